//! The same push/pull/tags round trip against a second, independent registry
//! implementation: `container-registry` (crates.io, `cargo install container-registry
//! --features bin`; a minimal Rust OCI registry). It is not installed by `scripts/test.sh`,
//! so the test runs only when `HELMOCI_ALT_REGISTRY_BIN` names the binary (also under
//! `CI=true`).
//!
//! What it shows about our assumptions: it serves only `NAMESPACE/NAME` repositories,
//! requires some Basic credential but sends its challenge only on `GET /v2/` (a 401
//! elsewhere has no `WWW-Authenticate`; we now ask `/v2/` then, as Docker does), takes blobs
//! only as `PATCH` chunks (we chunk in-memory blobs too now), has no tag listing, and
//! refuses manifests without a `mediaType` field, i.e. every Helm chart manifest (Helm's
//! bytes omit it, and so do ours). So charts cannot be stored there by Helm or by us; the
//! test pins how far a push gets and that the failures are clear.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use helmoci_oci::credential::{Credential, StaticCredentials};
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::RegistryClient;

use crate::support::{fake_chart, free_port, TestResult};

struct AltRegistry {
    child: Child,
    host: String,
    _dir: tempfile::TempDir,
}

impl Drop for AltRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AltRegistry {
    fn start() -> Option<AltRegistry> {
        let Some(bin) = std::env::var_os("HELMOCI_ALT_REGISTRY_BIN").map(PathBuf::from) else {
            eprintln!("note: skipping: HELMOCI_ALT_REGISTRY_BIN not set");
            return None;
        };
        assert!(
            bin.is_file(),
            "HELMOCI_ALT_REGISTRY_BIN={} missing",
            bin.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let child = Command::new(bin)
            .args(["--bind", &host, "--storage"])
            .arg(dir.path().join("store"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start container-registry");
        let start = Instant::now();
        while std::net::TcpStream::connect(&host).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(AltRegistry {
            child,
            host,
            _dir: dir,
        })
    }
}

fn pushed_tag() -> Result<helmoci_oci::reference::Tag, helmoci_oci::Error> {
    helmoci_oci::reference::Tag::for_version("1.2.3+b")
}

#[tokio::test]
async fn push_pull_and_tags_against_a_second_registry() -> TestResult {
    let Some(reg) = AltRegistry::start() else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    // It takes no monolithic `PUT` upload (only `PATCH` chunks and an empty `PUT`): our
    // chunked upload path, forced for every blob.
    let c = RegistryClient::builder()
        .plain_http(true)
        .chunk_threshold(1)
        .chunk_size(16 * 1024)
        .credentials(StaticCredentials::new().with(&reg.host, Credential::basic("any", "thing")))
        .build()?;
    let target: Target = format!("oci://{}/charts", reg.host).parse()?;
    let chart = fake_chart(tmp.path(), "alt", "1.2.3+b", 30_000);
    // Blobs go up (auth learned from `GET /v2/`, chunked uploads), but the manifest is
    // refused: this registry requires a `mediaType` field, which Helm's manifests (and
    // ours, byte for byte) never carry. Helm fails the same way here.
    let e = c
        .push(&chart, &target, &PushOptions::default())
        .await
        .unwrap_err();
    eprintln!("second registry, push: {e}");
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(e.to_string().contains("/manifests/1.2.3_b"), "{e}");
    let base: ChartRef = format!("oci://{}/charts/alt", reg.host).parse()?;
    let repo = helmoci_oci::reference::Reference::new(&reg.host, "charts/alt", None, None)?;
    for d in [
        &chart.digest,
        &helmoci_core::digest::Digest::sha256_of(chart.metadata.to_config_json().as_bytes()),
    ] {
        assert!(
            c.blob_exists(&repo, d).await?,
            "blob {d} was uploaded and is found by HEAD"
        );
    }

    // Nothing is tagged, and there is no tag listing: clear errors, nothing written.
    let out = tmp.path().join("out");
    let e = c
        .pull(&base.with_tag(pushed_tag()?), &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    eprintln!("second registry, pull: {e}");
    let e = c.tags(&base).await.unwrap_err();
    eprintln!("second registry, tags: {e}");
    assert_eq!(e.status(), Some(404), "{e}");
    assert_eq!(crate::support::list_dir(&out), Vec::<String>::new());
    Ok(())
}

/// Found with the second registry, checked here without it: a 401 that carries no
/// `WWW-Authenticate` makes the client ask `GET /v2/` for the challenge, then retry.
#[tokio::test]
async fn a_401_without_a_challenge_learns_it_from_v2() -> TestResult {
    use std::sync::Arc;

    use crate::support::http::{Handler, Reply, Request, Server};

    let handler: Handler = Arc::new(|req: Request| {
        Box::pin(async move {
            let authed = req.header("authorization") == Some("Basic YW55OnRoaW5n");
            match (req.path.as_str(), authed) {
                (_, true) => Reply::new(404),
                ("/v2/", false) => Reply::new(401).header("WWW-Authenticate", r#"Basic realm="r""#),
                _ => Reply::new(401),
            }
        })
    });
    let s = Server::start(handler).await;
    let c = RegistryClient::builder()
        .plain_http(true)
        .credentials(StaticCredentials::new().with(&s.host, Credential::basic("any", "thing")))
        .build()?;
    let repo = helmoci_oci::reference::Reference::new(&s.host, "ns/c", None, None)?;
    let d = helmoci_core::digest::Digest::sha256_of(b"x");
    assert!(
        !c.blob_exists(&repo, &d).await?,
        "answered after authenticating"
    );
    let seen: Vec<(String, bool)> = s
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.header("authorization").is_some()))
        .collect();
    let blob = format!("/v2/ns/c/blobs/{d}");
    assert_eq!(
        seen,
        [(blob.clone(), false), ("/v2/".into(), false), (blob, true)]
    );
    Ok(())
}

/// Found with the second registry: with chunking on, in-memory blobs (the config) go up
/// as `PATCH` chunks too, and the real registry assembles them to the right digest.
#[tokio::test]
async fn small_chunks_for_every_blob_against_the_real_registry() -> TestResult {
    let reg = crate::require!(crate::support::registry::Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "chunky", "0.1.0", 5_000);
    let c = RegistryClient::builder()
        .plain_http(true)
        .chunk_threshold(1)
        .chunk_size(50)
        .build()?;
    let pushed = c
        .push(&chart, &reg.oci("ch").parse()?, &PushOptions::default())
        .await?;
    assert_eq!(pushed.blobs_uploaded, 2);
    let p = c
        .pull(
            &pushed.reference,
            &PullOptions::into_dir(tmp.path().join("o")),
        )
        .await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&chart.path)?);
    Ok(())
}
