//! `dependency update` failing midway (a missing version, a cut HTTP download, a cut OCI
//! blob): a clear error naming the dependency, and `charts/` and `Chart.lock` unchanged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use helmoci_oci::deps::update_dependencies;
use helmoci_oci::RegistryClient;

use crate::deps::{chain, fast_retry, snapshot, Fixture};
use crate::require;
use crate::support::http::{forward, Handler, Request, Server};
use crate::support::TestResult;

fn no_tmpcharts(dir: &std::path::Path) -> bool {
    !std::fs::read_dir(dir).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("tmpcharts")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_version_and_cut_download_leave_everything_unchanged() -> TestResult {
    let fx = require!(Fixture::new().await);
    let dir = fx.umbrella("ours", "");
    update_dependencies(&fx.client, &dir, &fx.options("cache")).await?;
    let before = snapshot(&dir);

    // A dependency no version satisfies: Helm's message, naming it.
    let yaml = std::fs::read_to_string(dir.join("Chart.yaml"))?;
    std::fs::write(
        dir.join("Chart.yaml"),
        format!(
            "{yaml}- name: c4\n  version: ^9.0.0\n  repository: {}\n  alias: nine\n",
            fx.reg.oci("deps")
        ),
    )?;
    let err = update_dependencies(&fx.client, &dir, &fx.options("cache"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("can't get a valid version for 1 subchart(s): \"c4\" (repository \"oci://"),
        "{text}"
    );
    assert!(text.contains("version \"^9.0.0\")"), "{text}");
    let mut after = snapshot(&dir);
    after.remove("Chart.yaml");
    let mut want = before.clone();
    want.remove("Chart.yaml");
    assert_eq!(after, want);
    std::fs::write(dir.join("Chart.yaml"), &yaml)?;

    // A download cut in half (every attempt): the dependency is named, nothing changes.
    // A different constraint makes the lock change, and a cold cache forces downloads.
    std::fs::write(dir.join("Chart.yaml"), yaml.replace("~0.3.0", "0.3.0"))?;
    *fx.repo.cut.lock().unwrap() = Some("web-1.5.0.tgz".into());
    let err = update_dependencies(&fx.client, &dir, &fx.options("cold"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.starts_with("dependency \"web\": could not download http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("web-1.5.0.tgz"), "{text}");
    let mut after = snapshot(&dir);
    after.remove("Chart.yaml");
    assert_eq!(after, want, "charts/ and Chart.lock unchanged");
    assert!(no_tmpcharts(&dir));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_oci_blob_names_the_dependency() -> TestResult {
    let fx = require!(Fixture::new().await);
    // A proxy in front of the registry that cuts every blob body short.
    let upstream = fx.reg.host.clone();
    let me = Arc::new(std::sync::Mutex::new(String::new()));
    let me2 = me.clone();
    let blob_gets = Arc::new(AtomicUsize::new(0));
    let gets2 = blob_gets.clone();
    let handler: Handler = Arc::new(move |req: Request| {
        let (upstream, me, gets) = (upstream.clone(), me2.clone(), gets2.clone());
        Box::pin(async move {
            let me = me.lock().unwrap().clone();
            let mut reply = forward(&req, &upstream, &me).await;
            if req.method == "GET" && req.path.contains("/blobs/sha256:") {
                gets.fetch_add(1, Ordering::SeqCst);
                reply.truncate_at = Some(reply.body.len() / 2);
            }
            reply
        })
    });
    let proxy = Server::start(handler).await;
    *me.lock().unwrap() = proxy.host.clone();

    let dir = fx.root.path().join("p/umbrella");
    std::fs::create_dir_all(dir.join("charts"))?;
    std::fs::write(
        dir.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: c7\n  version: ^1.0.0\n  repository: oci://{}/deps\n",
            proxy.host
        ),
    )?;
    let before = snapshot(&dir);
    let client = RegistryClient::builder()
        .plain_http(true)
        .retry(fast_retry())
        .build()?;
    let err = update_dependencies(&client, &dir, &fx.options("cold"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.starts_with(&format!(
            "dependency \"c7\": could not download oci://{}/deps/c7:1.2.0",
            proxy.host
        )),
        "{text}"
    );
    assert!(blob_gets.load(Ordering::SeqCst) >= 1);
    assert_eq!(snapshot(&dir), before);
    assert!(no_tmpcharts(&dir));
    Ok(())
}
