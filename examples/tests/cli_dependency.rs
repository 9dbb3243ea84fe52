//! `helmoci dependency update|build|list` and `package -u` through the binary: Helm's
//! output lines, the files written, and `list` statuses compared with Helm's.

#[path = "../../helmoci-oci/tests/support/chartrepo.rs"]
#[allow(dead_code)]
mod chartrepo;
#[path = "../../helmoci-oci/tests/support/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chartrepo::{chart_src, package_into, write_index, ChartRepo};
use support::helm::Helm;
use support::registry::Registry;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `helmoci` with an isolated HOME, Helm paths and caches under `home`.
fn helmoci(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helmoci"))
        .args(args)
        .env("HOME", home)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env_remove("HELM_REPOSITORY_CONFIG")
        .env_remove("HELM_REPOSITORY_CACHE")
        .env_remove("HELM_CONTENT_CACHE")
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("REGISTRY_AUTH_FILE", home.join("auth.json"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdin(Stdio::null())
        .output()
        .expect("run helmoci")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "helmoci failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// An umbrella with one OCI, one HTTP and one `file://` dependency.
fn umbrella(root: &Path, oci: &str, http: &str) -> PathBuf {
    let dir = root.join("umbrella");
    write(
        &dir.join("Chart.yaml"),
        &format!(
            "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: c0\n  version: ^1.0.0\n  repository: {oci}\n- name: web\n  version: ^1.0.0\n  repository: {http}\n- name: lib\n  version: \">=0.1.0\"\n  repository: file://../lib\n"
        ),
    );
    write(
        &root.join("lib/Chart.yaml"),
        "apiVersion: v2\nname: lib\nversion: 0.2.0\n",
    );
    dir
}

/// The rows of a dependency listing given as JSON objects (ours, or Helm's SDK's).
fn json_rows(listing: &serde_json::Value) -> Vec<Vec<String>> {
    let cell = |d: &serde_json::Value, k: &str| d[k].as_str().unwrap().to_owned();
    listing
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            ["name", "version", "repository", "status"]
                .map(|k| cell(d, k))
                .to_vec()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_build_list_print_helms_lines() -> TestResult {
    let Some(reg) = Registry::start() else {
        return Ok(());
    };
    let root = tempfile::tempdir()?;
    let r = root.path();
    let home = r.join("home");
    for v in ["1.0.0", "1.1.0", "2.0.0"] {
        let tgz = package_into(r, "c0", v, &r.join("pkg"));
        let oci = reg.oci("deps");
        ok(&helmoci(
            &home,
            &["push", tgz.to_str().unwrap(), &oci, "--plain-http"],
        ));
    }
    let www = r.join("www/charts");
    for v in ["1.0.0", "1.5.0"] {
        package_into(r, "web", v, &www);
    }
    write_index(&www);
    let repo = ChartRepo::serve(r.join("www")).await;
    let dir = umbrella(r, &reg.oci("deps"), &repo.url);
    let d = dir.to_str().unwrap();

    let out = ok(&helmoci(
        &home,
        &["dependency", "update", d, "--plain-http"],
    ));
    assert_eq!(
        out,
        format!(
            "Getting updates for unmanaged Helm repositories...\n...Successfully got an update from the \"{0}\" chart repository\nSaving 3 charts\nDownloading c0 from repo {1}\nDownloading web from repo {0}\nDeleting outdated charts\n",
            repo.url,
            reg.oci("deps")
        )
    );
    let mut files: Vec<String> = fs::read_dir(dir.join("charts"))?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["c0-1.1.0.tgz", "lib-0.2.0.tgz", "web-1.5.0.tgz"]);
    let lock = fs::read_to_string(dir.join("Chart.lock"))?;
    assert!(
        lock.ends_with("generated: \"2023-11-14T22:13:20Z\"\n"),
        "{lock}"
    );
    // Helm's content cache was filled.
    assert!(home.join("cache/content").is_dir());

    // build from the lock, with the cached index.
    fs::remove_dir_all(dir.join("charts"))?;
    let out = ok(&helmoci(
        &home,
        &["dependency", "build", d, "--plain-http", "--skip-refresh"],
    ));
    assert!(out.starts_with("Saving 3 charts\n"), "{out}");
    assert!(dir.join("charts/c0-1.1.0.tgz").is_file());

    // --json: the document alone on stdout. The lock is unchanged, the two remote charts
    // come from the content cache, lib is archived from its directory.
    let out = ok(&helmoci(
        &home,
        &["dependency", "update", d, "--plain-http", "--json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&out)?;
    let lock =
        helmoci_core::lock::Lock::from_yaml(&fs::read(dir.join("Chart.lock"))?, "Chart.lock")?;
    let charts = std::path::absolute(dir.join("charts"))?;
    assert_eq!(json["lock"]["digest"], lock.digest.as_str(), "{out}");
    assert_eq!(json["lock"]["generated"], lock.generated.as_str());
    assert_eq!(
        json["lock"]["dependencies"],
        serde_json::json!([
            {"name": "c0", "version": "1.1.0", "repository": reg.oci("deps")},
            {"name": "web", "version": "1.5.0", "repository": repo.url},
            {"name": "lib", "version": "0.2.0", "repository": "file://../lib"},
        ])
    );
    assert_eq!(json["lock_written"], false);
    assert_eq!(
        json["saved"],
        serde_json::json!(
            ["c0-1.1.0.tgz", "web-1.5.0.tgz", "lib-0.2.0.tgz"].map(|f| charts.join(f))
        )
    );
    assert_eq!(json["downloaded"], 0);
    assert_eq!(json["cache_hits"], 2);

    // list: statuses as Helm computes them (ok, wrong version, missing).
    fs::remove_file(dir.join("charts/web-1.5.0.tgz"))?;
    package_into(r, "lib", "0.0.1", &dir.join("charts"));
    fs::remove_file(dir.join("charts/lib-0.2.0.tgz"))?;
    let out = ok(&helmoci(&home, &["dependency", "list", d]));
    let rows: Vec<Vec<String>> = out
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split('\t').map(|c| c.trim_end().to_owned()).collect())
        .collect();
    let header: Vec<&str> = out
        .lines()
        .next()
        .unwrap_or("")
        .split('\t')
        .map(str::trim_end)
        .collect();
    assert_eq!(header, ["NAME", "VERSION", "REPOSITORY", "STATUS"]);
    assert!(
        out.lines().next().unwrap_or("").ends_with("STATUS       "),
        "{out}"
    );
    let statuses: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(statuses, ["ok", "missing", "wrong version"]);
    package_into(r, "other", "0.1.0", &dir.join("charts"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&helmoci(&home, &["dependency", "list", d, "--json"])))?;
    assert_eq!(json_rows(&json["dependencies"]), rows);
    assert_eq!(
        json["warnings"],
        serde_json::json!([format!(
            "{:?} is not in Chart.yaml.",
            dir.join("charts/other-0.1.0.tgz").display().to_string()
        )])
    );
    fs::remove_file(dir.join("charts/other-0.1.0.tgz"))?;
    if let Some(helm) = Helm::new() {
        let v = helm.run(
            "out = h.dependency_list(args['dir'])",
            serde_json::json!({ "dir": dir }),
        );
        assert_eq!(rows, json_rows(&v));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_u_updates_first_and_errors_are_one_line() -> TestResult {
    let root = tempfile::tempdir()?;
    let r = root.path();
    let home = r.join("home");
    let www = r.join("www/charts");
    package_into(r, "web", "1.0.0", &www);
    write_index(&www);
    let repo = ChartRepo::serve(r.join("www")).await;
    let dir = r.join("umbrella");
    write(
        &dir.join("Chart.yaml"),
        &format!(
            "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: web\n  version: ^1.0.0\n  repository: {}\n- name: lib\n  version: \">=0.1.0\"\n  repository: file://../lib\n",
            repo.url
        ),
    );
    chart_src(r, "lib", "0.2.0");
    fs::rename(r.join("src/lib-0.2.0"), r.join("lib"))?;
    let out_dir = r.join("out");
    let out = ok(&helmoci(
        &home,
        &[
            "package",
            "-u",
            dir.to_str().unwrap(),
            "-d",
            out_dir.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("Saving 2 charts\n"), "{out}");
    assert!(out.ends_with(&format!(
        "Successfully packaged chart and saved it to: {}\n",
        out_dir.join("umbrella-0.1.0.tgz").display()
    )));
    assert!(dir.join("charts/web-1.0.0.tgz").is_file());
    assert!(dir.join("Chart.lock").is_file());

    // A constraint nothing satisfies: one line naming the dependency, exit 1, nothing written.
    let yaml = fs::read_to_string(dir.join("Chart.yaml"))?.replace("^1.0.0", "^3.0.0");
    fs::write(dir.join("Chart.yaml"), yaml)?;
    let lock = fs::read(dir.join("Chart.lock"))?;
    let out = helmoci(&home, &["dependency", "update", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr)?;
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "Error: dependencies of {}: can't get a valid version for 1 subchart(s): \"web\"",
            dir.display()
        )),
        "{err}"
    );
    assert_eq!(fs::read(dir.join("Chart.lock"))?, lock);

    // Not a directory.
    let tgz = out_dir.join("umbrella-0.1.0.tgz");
    let out = helmoci(&home, &["dependency", "update", tgz.to_str().unwrap()]);
    let err = String::from_utf8(out.stderr)?;
    assert!(err.contains("only unpacked charts can be updated"), "{err}");
    Ok(())
}
