//! Chart.lock digests and writing, pinned by Helm's vectors (HELM-FACTS §6) and compared
//! with what Helm v4's SDK writes for umbrella charts with `file://` dependencies.

mod support;

use std::fs;
use std::path::Path;

use helmoci_core::lock::{Lock, LockFileKind};
use helmoci_core::time::Timestamp;
use helmoci_core::{Dependency, Error};

fn dep(name: &str, version: &str, repository: &str) -> Dependency {
    Dependency {
        name: name.into(),
        version: version.into(),
        repository: repository.into(),
        ..Default::default()
    }
}

#[test]
fn bitnami_common_vector() {
    let repo = "https://charts.bitnami.com/bitnami";
    assert_eq!(
        Lock::digest_of(
            &[dep("common", "^2.0.0", repo)],
            &[dep("common", "2.13.3", repo)]
        ),
        "sha256:4d6ddf0a55861ecb0e926334a703009945f671c75cf6b320fb5f08dcf05f3294"
    );
}

fn wordpress_req() -> Vec<Dependency> {
    let repo = "oci://registry-1.docker.io/bitnamicharts";
    vec![
        Dependency {
            condition: "memcached.enabled".into(),
            ..dep("memcached", "7.x.x", repo)
        },
        Dependency {
            condition: "mariadb.enabled".into(),
            ..dep("mariadb", "18.x.x", repo)
        },
        Dependency {
            tags: vec!["bitnami-common".into()],
            ..dep("common", "2.x.x", repo)
        },
    ]
}

#[test]
fn bitnami_wordpress_vector() {
    let repo = "oci://registry-1.docker.io/bitnamicharts";
    let locked = [
        dep("memcached", "7.0.6", repo),
        dep("mariadb", "18.0.5", repo),
        dep("common", "2.19.2", repo),
    ];
    let lock = Lock::new(&wordpress_req(), &locked, Timestamp::from_unix(0));
    assert_eq!(
        lock.digest,
        "sha256:88f139bdbfc47912743cec19b9ae0dccb73703e9df39b18a6797915702078ce9"
    );
    assert!(lock.is_in_sync(&wordpress_req()));
    let mut changed = wordpress_req();
    changed[0].version = "7.x".into();
    assert!(!lock.is_in_sync(&changed));
}

#[test]
fn new_keeps_only_name_version_repository() {
    let req = wordpress_req();
    let lock = Lock::new(&req, &req, Timestamp::from_unix(1_700_000_000));
    assert!(lock
        .dependencies
        .iter()
        .all(|d| d.condition.is_empty() && d.tags.is_empty()));
    assert_eq!(lock.generated, "2023-11-14T22:13:20Z");
}

#[test]
fn helm2_digest_is_accepted_for_v1_charts_only() {
    let req = vec![dep("mysql", "0.3.x", "@stable")];
    let lock = Lock {
        generated: "2019-01-01T00:00:00Z".into(),
        digest: Lock::helm2_digest_of(&req),
        dependencies: vec![dep(
            "mysql",
            "0.3.5",
            "https://kubernetes-charts.storage.googleapis.com",
        )],
    };
    let rewritten = vec![dep(
        "mysql",
        "0.3.x",
        "https://kubernetes-charts.storage.googleapis.com",
    )];
    lock.check_sync(&rewritten, &req, "v1").unwrap();
    let err = lock.check_sync(&rewritten, &req, "v2").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml); a dependency was added, removed or changed since the lock was written. Please update the dependencies with 'helm dependency update'"
    );
    // The Helm 2 JSON: {"dependencies":[...]}.
    assert_eq!(
        Lock::helm2_digest_of(&[]),
        helmoci_core::digest::Digest::sha256_of(br#"{"dependencies":[]}"#).as_str()
    );
}

#[test]
fn yaml_round_trip_and_quoted_generated() {
    let req = [dep("local", "^1.0.0", "")];
    let lock = Lock::new(
        &req,
        &req,
        Timestamp::parse_rfc3339("2024-01-02T03:04:05.1234560Z").unwrap(),
    );
    let yaml = lock.to_yaml();
    assert!(
        yaml.ends_with("generated: \"2024-01-02T03:04:05.123456Z\"\n"),
        "{yaml}"
    );
    assert!(yaml.contains("  repository: \"\"\n"), "{yaml}");
    let back = Lock::from_yaml(yaml.as_bytes(), "Chart.lock").unwrap();
    assert_eq!(back, lock);
}

#[test]
fn write_is_skipped_when_digest_unchanged_and_refuses_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let req = [dep("a", "1.0.0", "file://../a")];
    let first = Lock::new(&req, &req, Timestamp::from_unix(1));
    assert!(first
        .write_to_chart(dir.path(), LockFileKind::ChartLock)
        .unwrap());
    let path = dir.path().join("Chart.lock");
    let written = fs::read_to_string(&path).unwrap();
    assert_eq!(written, first.to_yaml());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
    let second = Lock::new(&req, &req, Timestamp::from_unix(2));
    assert!(!second
        .write_to_chart(dir.path(), LockFileKind::ChartLock)
        .unwrap());
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        written,
        "generated kept"
    );

    let changed = [dep("a", "1.0.1", "file://../a")];
    let third = Lock::new(&changed, &changed, Timestamp::from_unix(3));
    assert!(third
        .write_to_chart(dir.path(), LockFileKind::Requirements)
        .unwrap());
    assert!(dir.path().join("requirements.lock").exists());

    #[cfg(unix)]
    {
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("elsewhere.lock", &path).unwrap();
        let err = third
            .write_to_chart(dir.path(), LockFileKind::ChartLock)
            .unwrap_err();
        assert!(matches!(err, Error::LockSymlink { .. }), "{err}");
        assert_eq!(err.to_string(), "the Chart.lock file is a symlink to \"elsewhere.lock\"; remove the link or replace it with a regular file");
        assert!(!dir.path().join("elsewhere.lock").exists());
    }
}

/// Helm's Chart.lock without its `generated` line.
fn without_generated(lock: &str) -> String {
    lock.lines()
        .filter(|l| !l.starts_with("generated:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Builds an umbrella chart with `file://` dependencies, runs Helm's `dependency update`,
/// and checks that our digest and lock bytes (but `generated`) equal Helm's.
#[test]
fn helm_dependency_update_file_deps_match() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(
        &r.join("d1/Chart.yaml"),
        "apiVersion: v2\nname: d1\nversion: 1.4.2\n",
    );
    write(
        &r.join("d2/Chart.yaml"),
        "apiVersion: v2\nname: d2\nversion: 0.3.0-rc.1\n",
    );
    write(
        &r.join("d3/Chart.yaml"),
        "apiVersion: v2\nname: d3\nversion: \"2.0\"\n",
    );
    write(
        &r.join("parent/charts/loc/Chart.yaml"),
        "apiVersion: v2\nname: loc\nversion: 1.0.0\n",
    );
    let abs_d3 = r.join("d3");
    write(
        &r.join("parent/Chart.yaml"),
        &format!(
            r#"apiVersion: v2
name: parent
version: 0.1.0
dependencies:
- name: d1
  version: ^1.2
  repository: file://../d1
  condition: d1.enabled
  tags: [a, b]
  alias: first
  import-values:
  - child: x
    parent: y
  - data
- name: d2
  version: ">=0.1.0-0 <1"
  repository: "file://../d2"
  enabled: true
- name: d3
  version: "~2 || 3.x"
  repository: file://{}
- name: loc
  version: ">=1.0.0, <2"
  repository: ""
- name: d1
  version: "*"
  repository: file://../d1
  alias: second
"#,
            abs_d3.display()
        ),
    );
    support::run_helm(
        &python,
        "h.dependency_update(sys.argv[1])",
        &[r.join("parent").to_str().unwrap()],
    );
    let helm_lock = fs::read_to_string(r.join("parent/Chart.lock")).unwrap();

    let chart = helmoci_core::load::load(r.join("parent")).unwrap();
    let req = &chart.metadata.dependencies;
    let locked: Vec<Dependency> = req
        .iter()
        .map(|d| {
            let version = match d.repository.strip_prefix("file://") {
                Some(p) => {
                    let p = if p.starts_with('/') {
                        p.into()
                    } else {
                        r.join("parent").join(p)
                    };
                    helmoci_core::load::load(p).unwrap().metadata.version
                }
                None => d.version.clone(),
            };
            dep(&d.name, &version, &d.repository)
        })
        .collect();
    let ours = Lock::new(req, &locked, Timestamp::now());
    let helm = Lock::from_yaml(helm_lock.as_bytes(), "Chart.lock").unwrap();
    assert_eq!(ours.digest, helm.digest);
    assert_eq!(
        without_generated(&ours.to_yaml()),
        without_generated(&helm_lock)
    );
    assert!(helm.is_in_sync(req));
    // Helm's own `build` accepts a lock we wrote.
    fs::remove_file(r.join("parent/Chart.lock")).unwrap();
    assert!(ours
        .write_to_chart(&r.join("parent"), LockFileKind::ChartLock)
        .unwrap());
    support::run_helm(
        &python,
        "h.dependency_build(sys.argv[1])",
        &[r.join("parent").to_str().unwrap()],
    );
    // ...and refuses one that drifted, as we do.
    let mut drift = ours.clone();
    drift.dependencies[0].version = "1.4.3".into();
    fs::write(r.join("parent/Chart.lock"), drift.to_yaml()).unwrap();
    let err = support::try_run_helm(
        &python,
        "h.dependency_build(sys.argv[1])",
        &[r.join("parent").to_str().unwrap()],
    )
    .unwrap_err();
    assert!(err.contains("out of sync"), "{err}");
    assert!(drift.check_sync(req, req, "v2").is_err());
}

/// v1 charts: Helm writes `requirements.lock`, with the same digest rule.
#[test]
fn helm_dependency_update_v1_requirements_lock_matches() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(
        &r.join("lib/Chart.yaml"),
        "apiVersion: v1\nname: lib\nversion: 0.2.0\n",
    );
    write(
        &r.join("app/Chart.yaml"),
        "apiVersion: v1\nname: app\nversion: 1.0.0\n",
    );
    write(
        &r.join("app/requirements.yaml"),
        "dependencies:\n- name: lib\n  version: 0.x\n  repository: file://../lib\n  tags:\n  - x\n",
    );
    support::run_helm(
        &python,
        "h.dependency_update(sys.argv[1])",
        &[r.join("app").to_str().unwrap()],
    );
    let helm_lock = fs::read_to_string(r.join("app/requirements.lock")).unwrap();
    let chart = helmoci_core::load::load(r.join("app")).unwrap();
    let req = &chart.metadata.dependencies;
    let ours = Lock::new(
        req,
        &[dep("lib", "0.2.0", "file://../lib")],
        Timestamp::now(),
    );
    assert_eq!(
        without_generated(&ours.to_yaml()),
        without_generated(&helm_lock)
    );
    // A Helm 2 digest in requirements.lock is accepted by Helm's build, and by ours.
    let helm2 = Lock {
        digest: Lock::helm2_digest_of(req),
        ..ours.clone()
    };
    fs::write(r.join("app/requirements.lock"), helm2.to_yaml()).unwrap();
    support::run_helm(
        &python,
        "h.dependency_build(sys.argv[1])",
        &[r.join("app").to_str().unwrap()],
    );
    helm2.check_sync(req, req, "v1").unwrap();
}
