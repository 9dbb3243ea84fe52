//! OCI dependencies against a real registry (CNCF distribution on 127.0.0.1) and real
//! Helm: our resolution of tag lists locks what Helm's `dependency update` locks.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use helmoci_core::deps::{plan, resolve, Candidates, Source};
use helmoci_core::lock::Lock;
use helmoci_core::repo::RepositoryFile;
use helmoci_core::time::Timestamp;

/// A `docker-registry` child process, stopped on drop.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry() -> Option<Registry> {
    let bin = Path::new("/usr/bin/docker-registry");
    if !bin.exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true needs docker-registry"
        );
        eprintln!("note: skipping, docker-registry is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = format!(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: s\n",
        dir.path().join("data").display()
    );
    fs::write(dir.path().join("config.yml"), cfg).unwrap();
    let child = Command::new(bin)
        .arg("serve")
        .arg(dir.path().join("config.yml"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reg = Registry {
        child,
        port,
        _dir: dir,
    };
    let start = Instant::now();
    while get(reg.port, "/v2/").is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "registry did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(reg)
}

/// A plain-HTTP GET on 127.0.0.1; the body, or `None` when nothing answers.
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

fn tags(port: u16, repository: &str) -> Vec<String> {
    let path = repository.split_once('/').unwrap().1;
    let body = get(port, &format!("/v2/{path}/tags/list")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["tags"]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn oci_dependencies_lock_like_helm() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let Some(reg) = start_registry() else { return };
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let remote = format!("oci://127.0.0.1:{}/ns", reg.port);
    // Helm pushes the charts (tags in `_` form for build metadata).
    let mut pushes = Vec::new();
    for (name, version) in [
        ("web", "1.0.0"),
        ("web", "1.2.0"),
        ("web", "1.2.9+build.1"),
        ("web", "2.0.0-rc.1"),
        ("db", "0.4.0"),
        ("db", "0.5.0"),
    ] {
        let src = r.join(format!("src/{name}-{version}"));
        fs::create_dir_all(&src).unwrap();
        fs::write(
            src.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
        )
        .unwrap();
        pushes.push(src.display().to_string());
    }
    let script = "for src in sys.argv[2:]:\n    p = h.package(src, destination=src + '-out')\n    h.push(p, sys.argv[1], plain_http=True)";
    let mut args = vec![remote.as_str()];
    args.extend(pushes.iter().map(String::as_str));
    support::run_helm(&python, script, &args);

    let deps = format!(
        "dependencies:\n- name: web\n  version: \"~1.2\"\n  repository: {remote}\n- name: db\n  version: \"0.4.0\"\n  repository: {remote}\n  alias: old\n- name: web\n  version: \">=2.0.0-0\"\n  repository: {remote}\n  alias: next\n- name: db\n  version: \"*\"\n  repository: {remote}\n"
    );
    let chart_dir = r.join("p");
    fs::create_dir_all(&chart_dir).unwrap();
    fs::write(
        chart_dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: p\nversion: 0.1.0\n{deps}"),
    )
    .unwrap();
    support::run_helm(
        &python,
        "h.dependency_update(sys.argv[1], plain_http=True)",
        &[chart_dir.to_str().unwrap()],
    );
    let helm = Lock::from_yaml(
        &fs::read(chart_dir.join("Chart.lock")).unwrap(),
        "Chart.lock",
    )
    .unwrap();

    let chart = helmoci_core::load::load(&chart_dir).unwrap();
    let p = plan(
        &chart_dir,
        &chart.metadata.dependencies,
        &RepositoryFile::default(),
    )
    .unwrap();
    let lists: Vec<Vec<String>> = p
        .dependencies
        .iter()
        .map(|d| match &d.source {
            Source::Oci {
                repository,
                exact: false,
            } => tags(reg.port, repository),
            _ => Vec::new(),
        })
        .collect();
    let candidates: Vec<Candidates<'_>> = p
        .dependencies
        .iter()
        .zip(&lists)
        .map(|(d, l)| match d.source {
            Source::Oci { exact: true, .. } => Candidates::Exact,
            _ => Candidates::Tags(l),
        })
        .collect();
    let ours = resolve(&p, &candidates).unwrap().lock(Timestamp::now());
    assert_eq!(ours.dependencies, helm.dependencies);
    assert_eq!(ours.digest, helm.digest);
    let versions: Vec<&str> = ours
        .dependencies
        .iter()
        .map(|d| d.version.as_str())
        .collect();
    assert_eq!(versions, ["1.2.9+build.1", "0.4.0", "2.0.0-rc.1", "0.5.0"]);
    let mut files: Vec<String> = fs::read_dir(chart_dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "db-0.4.0.tgz",
            "db-0.5.0.tgz",
            "web-1.2.9+build.1.tgz",
            "web-2.0.0-rc.1.tgz"
        ]
    );
}
