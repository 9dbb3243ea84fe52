//! `helmoci repo index` through the binary, compared with Helm's `repo index` when the
//! Helm SDK is available (`HELMOCI_PYTHON`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use helmoci_core::index::IndexFile;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;

fn helmoci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helmoci"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run helmoci")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "helmoci failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `repo/` with two charts at the top, one in `sub/`, and a file that is not a chart.
fn repo(root: &Path) -> PathBuf {
    let repo = root.join("repo");
    for (name, version, dest) in [
        ("a", "1.0.0", ""),
        ("a", "1.1.0", ""),
        ("b", "0.1.0", "sub"),
    ] {
        let src = root.join(format!("src-{name}-{version}"));
        fs::create_dir_all(&src).unwrap();
        fs::write(
            src.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
        )
        .unwrap();
        let opts = PackageOptions {
            destination: repo.join(dest),
            mtime: Some(Timestamp::from_unix(1_700_000_000)),
            ..PackageOptions::default()
        };
        package(&src, &opts).unwrap();
    }
    fs::write(repo.join("junk.tgz"), "junk").unwrap();
    repo
}

#[test]
fn index_with_url_json_and_merge() {
    let root = tempfile::tempdir().unwrap();
    let repo = repo(root.path());
    let dir = repo.to_str().unwrap();

    ok(&helmoci(&["repo", "index", dir]));
    let yaml = fs::read_to_string(repo.join("index.yaml")).unwrap();
    assert!(yaml.contains("  - sub/b-0.1.0.tgz\n"), "{yaml}");
    assert!(
        yaml.ends_with("generated: \"2023-11-14T22:13:20Z\"\n"),
        "{yaml}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(repo.join("index.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    let index = IndexFile::load(&repo.join("index.yaml")).unwrap();
    assert_eq!(index.entries["a"][0].metadata.version, "1.1.0");

    // Keep the old index elsewhere, then drop a chart and merge: its entry survives.
    let old = root.path().join("old.yaml");
    fs::rename(repo.join("index.yaml"), &old).unwrap();
    fs::remove_file(repo.join("a-1.0.0.tgz")).unwrap();
    ok(&helmoci(&[
        "repo",
        "index",
        dir,
        "--url",
        "https://c.example/x",
        "--merge",
        old.to_str().unwrap(),
        "--json",
    ]));
    let json = fs::read_to_string(repo.join("index.yaml")).unwrap();
    assert!(json.starts_with("{\n  \"apiVersion\": \"v1\""), "{json}");
    let merged = IndexFile::parse(json.as_bytes(), "index.yaml").unwrap();
    let urls: Vec<&str> = merged.entries["a"]
        .iter()
        .map(|e| e.urls[0].as_str())
        .collect();
    assert_eq!(urls, ["https://c.example/x/a-1.1.0.tgz", "a-1.0.0.tgz"]);

    // A broken merge file: one error line, exit 1, index untouched.
    fs::write(&old, "apiVersion: v1\nbogus: 1\n").unwrap();
    let out = helmoci(&["repo", "index", dir, "--merge", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("Error: merge failed: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(fs::read_to_string(repo.join("index.yaml")).unwrap(), json);
}

#[test]
fn index_equals_helms() {
    let Some(python) = std::env::var_os("HELMOCI_PYTHON") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true needs HELMOCI_PYTHON"
        );
        eprintln!("note: skipping, HELMOCI_PYTHON not set");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let repo = repo(root.path());
    let dir = repo.to_str().unwrap();
    let script = "import sys, helm_python as h\nh.repo_index_generate(sys.argv[1], base_url='https://c.example/x')";
    let status = Command::new(python)
        .args(["-c", script, dir])
        .status()
        .unwrap();
    assert!(status.success());
    let helm = fs::read_to_string(repo.join("index.yaml")).unwrap();
    ok(&helmoci(&[
        "repo",
        "index",
        dir,
        "--url",
        "https://c.example/x",
    ]));
    let ours = fs::read_to_string(repo.join("index.yaml")).unwrap();
    let times = regex_free_times(&helm);
    assert_eq!(regex_free_times(&ours), times);
}

/// The text with every quoted `created`/`generated` value blanked.
fn regex_free_times(text: &str) -> String {
    text.lines()
        .map(
            |l| match l.find("created: \"").or_else(|| l.find("generated: \"")) {
                Some(i) => format!("{}<time>\n", &l[..i + l[i..].find('"').unwrap()]),
                None => format!("{l}\n"),
            },
        )
        .collect()
}
