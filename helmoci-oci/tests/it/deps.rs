//! `dependency update`/`build` against the real registry, an HTTP chart repository on
//! 127.0.0.1 and a `file://` chart, compared with Helm's (`helm_python`) results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use helmoci_core::archive::{read_archive, Limits};
use helmoci_core::lock::Lock;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;
use helmoci_oci::deps::{
    build_dependencies, update_dependencies, DependencyOptions, Event, Progress,
};
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::Target;
use helmoci_oci::{Error, RegistryClient, RetryPolicy};

use crate::chartrepo::{chart_src, package_into, write_index, ChartRepo};
use crate::require;
use crate::support::helm::Helm;
use crate::support::registry::Registry;
use crate::support::TestResult;

pub const OCI_CHARTS: usize = 10;

/// The registry with `c0`…`c9` at 1.0.0, 1.1.0, 1.2.0, 2.0.0; an HTTP repository with
/// `web` (1.0.0, 1.5.0, 2.0.0) and `db` (0.3.0, 0.3.1, 0.4.0); a `file://` chart `lib`.
pub struct Fixture {
    pub root: tempfile::TempDir,
    pub reg: Registry,
    pub repo: ChartRepo,
    pub client: RegistryClient,
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
        max_total: Duration::from_secs(5),
    }
}

impl Fixture {
    pub async fn new() -> Option<Fixture> {
        let reg = Registry::start()?;
        let root = tempfile::tempdir().unwrap();
        let r = root.path().to_owned();
        let client = RegistryClient::builder()
            .plain_http(true)
            .retry(fast_retry())
            .build()
            .unwrap();
        let target: Target = reg.oci("deps").parse().unwrap();
        let mut archives = Vec::new();
        for i in 0..OCI_CHARTS {
            for v in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] {
                let src = chart_src(&r, &format!("c{i}"), v);
                let opts = PackageOptions {
                    destination: r.join("oci-out"),
                    mtime: Some(Timestamp::from_unix(1_700_000_000)),
                    ..PackageOptions::default()
                };
                archives.push(package(&src, &opts).unwrap());
            }
        }
        let push_opts = PushOptions::default();
        let pushes = archives.iter().map(|a| client.push(a, &target, &push_opts));
        for p in join_all(pushes).await {
            p.unwrap();
        }
        let www = r.join("www/charts");
        for (n, v) in [
            ("web", "1.0.0"),
            ("web", "1.5.0"),
            ("web", "2.0.0"),
            ("db", "0.3.0"),
            ("db", "0.3.1"),
            ("db", "0.4.0"),
        ] {
            package_into(&r, n, v, &www);
        }
        write_index(&www);
        let repo = ChartRepo::serve(r.join("www")).await;
        let lib = r.join("lib");
        std::fs::create_dir_all(lib.join("templates")).unwrap();
        std::fs::write(
            lib.join("Chart.yaml"),
            "apiVersion: v2\nname: lib\nversion: 0.2.0\ntype: library\n",
        )
        .unwrap();
        std::fs::write(
            lib.join("templates/_helpers.tpl"),
            "{{- define \"x\" }}x{{ end }}\n",
        )
        .unwrap();
        Some(Fixture {
            root,
            reg,
            repo,
            client,
        })
    }

    /// The umbrella's `dependencies:` (10 OCI, 2 HTTP, 1 `file://`) plus `extra`.
    pub fn dependencies(&self, extra: &str) -> String {
        let mut deps = String::from("dependencies:\n");
        for i in 0..OCI_CHARTS {
            deps.push_str(&format!(
                "- name: c{i}\n  version: ^1.0.0\n  repository: {}\n",
                self.reg.oci("deps")
            ));
            if i == 1 {
                deps.push_str("  alias: first\n");
            }
            if i == 2 {
                deps.push_str("  condition: c2.enabled\n  tags:\n  - backend\n");
            }
        }
        deps.push_str(&format!(
            "- name: web\n  version: ^1.0.0\n  repository: {0}\n- name: db\n  version: ~0.3.0\n  repository: {0}\n",
            self.repo.url
        ));
        deps.push_str("- name: lib\n  version: \">=0.1.0\"\n  repository: file://../../lib\n");
        deps.push_str(extra);
        deps
    }

    /// Writes `<root>/<sub>/umbrella/Chart.yaml`; returns the chart directory.
    pub fn umbrella(&self, sub: &str, extra: &str) -> PathBuf {
        let dir = self.root.path().join(sub).join("umbrella");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            format!(
                "apiVersion: v2\nname: umbrella\nversion: 0.1.0\n{}",
                self.dependencies(extra)
            ),
        )
        .unwrap();
        dir
    }

    /// Options with private repository config and caches under `<root>/<cache>`.
    pub fn options(&self, cache: &str) -> DependencyOptions {
        let c = self.root.path().join(cache);
        let mut o = DependencyOptions::default();
        o.repository_config = c.join("repositories.yaml");
        o.repository_cache = c.join("repository");
        o.content_cache = Some(c.join("content"));
        o
    }
}

/// Collects every event.
pub fn recorder() -> (Progress, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    (
        Arc::new(move |e: &Event| e2.lock().unwrap().push(e.clone())),
        events,
    )
}

/// `charts/*` and the lock, byte for byte, plus anything else in the chart directory.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            out.insert(format!("{name}/"), Vec::new());
        } else {
            out.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
    if let Ok(rd) = std::fs::read_dir(dir.join("charts")) {
        for e in rd {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            out.insert(format!("charts/{name}"), std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// The files of a chart archive: (path, mtime, bytes), in archive order.
fn entries(path: &Path) -> Vec<(String, i64, Vec<u8>)> {
    let mut out = Vec::new();
    let f = std::fs::File::open(path).unwrap();
    read_archive("x", f, &Limits::default(), |e, r| {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        out.push((e.path.clone(), e.mtime.unix_seconds(), v));
        Ok(())
    })
    .unwrap();
    out
}

fn chart_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `charts/` and the lock of `ours` equal Helm's (`generated` aside); downloaded
/// archives byte for byte, the re-packaged `file://` one by its tar contents.
pub fn assert_same_as_helm(ours: &Path, helm: &Path) {
    let files = chart_files(ours);
    assert_eq!(files, chart_files(helm));
    for f in &files {
        let (a, b) = (ours.join("charts").join(f), helm.join("charts").join(f));
        if f.starts_with("lib-") {
            assert_eq!(entries(&a), entries(&b), "{f}: tar contents differ");
        } else {
            assert!(
                std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
                "{f} differs"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&a), mode(&b), "{f}: file mode differs from Helm's");
        }
    }
    let read = |d: &Path| {
        Lock::from_yaml(&std::fs::read(d.join("Chart.lock")).unwrap(), "Chart.lock").unwrap()
    };
    let (a, b) = (read(ours), read(helm));
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.dependencies, b.dependencies);
}

fn helm_update(helm: &Helm, dir: &Path) {
    helm.run(
        "h.dependency_update(args['dir'], plain_http=True)",
        serde_json::json!({ "dir": dir }),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn umbrella_update_equals_helm_then_second_update_hits_the_cache() -> TestResult {
    let helm = require!(Helm::new());
    let fx = require!(Fixture::new().await);
    let helm_dir = fx.umbrella("helm", "");
    helm_update(&helm, &helm_dir);

    let ours = fx.umbrella("ours", "");
    // A stale archive of a dependency in charts/ (a stray non-chart file would fail the
    // chart's load, in Helm as here).
    std::fs::create_dir_all(ours.join("charts"))?;
    package_into(fx.root.path(), "c0", "0.9.0", &ours.join("charts"));
    let (progress, events) = recorder();
    let mut opts = fx.options("cache");
    opts.progress = Some(progress);
    let updated = update_dependencies(&fx.client, &ours, &opts).await?;
    assert!(updated.lock_written);
    assert_eq!(updated.downloaded, OCI_CHARTS + 2);
    assert_eq!(updated.cache_hits, 0);
    assert_eq!(updated.deleted, vec![ours.join("charts/c0-0.9.0.tgz")]);
    assert_same_as_helm(&ours, &helm_dir);
    let ev = events.lock().unwrap().clone();
    assert!(ev.contains(&Event::Saving { count: 13 }), "{ev:?}");
    assert!(ev.contains(&Event::DeletingOutdated));
    assert!(ev.contains(&Event::RefreshingUnmanagedRepositories));
    assert!(!ours.read_dir()?.any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("tmpcharts")));

    // Second update: tags and the index are looked up again, archives come from the cache.
    let before = snapshot(&ours);
    let gets = fx.repo.archive_gets();
    let again = update_dependencies(&fx.client, &ours, &fx.options("cache")).await?;
    assert_eq!(again.downloaded, 0);
    assert_eq!(again.cache_hits, OCI_CHARTS + 2);
    assert!(!again.lock_written);
    assert_eq!(fx.repo.archive_gets(), gets, "no archive downloaded twice");
    assert_eq!(snapshot(&ours), before, "charts/ and Chart.lock unchanged");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_from_our_lock_equals_helms_build() -> TestResult {
    let helm = require!(Helm::new());
    let fx = require!(Fixture::new().await);
    let ours = fx.umbrella("ours", "");
    update_dependencies(&fx.client, &ours, &fx.options("cache")).await?;
    // Newer versions appear: build must still fetch the locked ones.
    let target: Target = fx.reg.oci("deps").parse()?;
    let newer = package_into(fx.root.path(), "c3", "1.9.0", &fx.root.path().join("newer"));
    let newer = crate::support::packaged(&newer, helmoci_core::load::load(&newer)?.metadata);
    fx.client
        .push(&newer, &target, &PushOptions::default())
        .await?;

    let helm_dir = fx.root.path().join("helmbuild/umbrella");
    std::fs::create_dir_all(&helm_dir)?;
    std::fs::copy(ours.join("Chart.yaml"), helm_dir.join("Chart.yaml"))?;
    std::fs::copy(ours.join("Chart.lock"), helm_dir.join("Chart.lock"))?;
    let lock_before = std::fs::read(ours.join("Chart.lock"))?;
    std::fs::remove_dir_all(ours.join("charts"))?;
    let built = build_dependencies(&fx.client, &ours, &fx.options("cold")).await?;
    assert!(!built.lock_written);
    assert_eq!(std::fs::read(ours.join("Chart.lock"))?, lock_before);
    helm.run(
        "h.dependency_build(args['dir'], plain_http=True)",
        serde_json::json!({ "dir": helm_dir }),
    );
    assert_same_as_helm(&ours, &helm_dir);
    assert!(chart_files(&ours).contains(&"c3-1.2.0.tgz".to_owned()));

    // A lock out of sync is refused with Helm's meaning.
    let yaml = std::fs::read_to_string(ours.join("Chart.yaml"))?.replace("~0.3.0", "~0.4.0");
    std::fs::write(ours.join("Chart.yaml"), yaml)?;
    let err = build_dependencies(&fx.client, &ours, &fx.options("cache"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("the lock file (Chart.lock) is out of sync"),
        "{text}"
    );
    Ok(())
}

/// The error and its causes, as the CLI prints them.
pub fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// Side by side with Helm's SDK call, cold caches (run with `--release --ignored`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run with --release -- --ignored --nocapture"]
async fn umbrella_update_timing_vs_helm() -> TestResult {
    let helm = require!(Helm::new());
    let fx = require!(Fixture::new().await);
    let rounds = 5;
    let mut ours_t = Vec::new();
    let mut helm_t = Vec::new();
    for i in 0..rounds {
        let dir = fx.umbrella(&format!("ours{i}"), "");
        let client = RegistryClient::builder().plain_http(true).build()?;
        let marks = Arc::new(Mutex::new(Vec::new()));
        let m2 = marks.clone();
        let start = Instant::now();
        let mut opts = fx.options(&format!("c{i}"));
        if std::env::var_os("NO_CONTENT_CACHE").is_some() {
            opts.content_cache = None;
        }
        opts.progress = Some(Arc::new(move |e: &Event| {
            if matches!(e, Event::Saving { .. } | Event::DeletingOutdated) {
                m2.lock().unwrap().push(start.elapsed());
            }
        }));
        update_dependencies(&client, &dir, &opts).await?;
        ours_t.push(start.elapsed());
        let m = marks.lock().unwrap().clone();
        eprintln!(
            "  helmoci: lookups {:?}, downloads done {:?}, total {:?}",
            m.first(),
            m.get(1),
            start.elapsed()
        );
        let hdir = fx.umbrella(&format!("helm{i}"), "");
        // Cold caches for Helm too: its home is shared by every round.
        helm.clear_caches();
        let v = helm.run(
            "import time, os\nos.environ['HELM_CACHE_HOME'] = args['cache']\nt = time.perf_counter()\nh.dependency_update(args['dir'], plain_http=True)\nout = time.perf_counter() - t",
            serde_json::json!({ "dir": hdir, "cache": fx.root.path().join(format!("hc{i}")) }),
        );
        helm_t.push(Duration::from_secs_f64(v.as_f64().unwrap_or(0.0)));
    }
    ours_t.sort();
    helm_t.sort();
    let (o, h) = (ours_t[rounds / 2], helm_t[rounds / 2]);
    eprintln!(
        "umbrella update (10 oci + 2 http + 1 file), median of {rounds}: helmoci {o:?}, Helm SDK {h:?}, ratio {:.2}x",
        h.as_secs_f64() / o.as_secs_f64()
    );
    Ok(())
}
