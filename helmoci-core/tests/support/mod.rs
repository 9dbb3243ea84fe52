//! Shared helpers for helmoci-core's integration tests: real Helm through the
//! `helm-python-sdk` venv, and a chart-building helper.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

/// The instant every test chart file is stamped with.
pub const EPOCH: u64 = 1_700_000_000;

/// The Python interpreter that has `helm_python` (Helm v4's SDK), or `None` to skip.
///
/// Looks at `HELMOCI_PYTHON`, then the repository's `.venv`. With `CI=true` a missing
/// interpreter fails the test instead of skipping it.
pub fn helm_python() -> Option<PathBuf> {
    let candidates = std::env::var_os("HELMOCI_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")]);
    for p in candidates {
        if p.exists()
            && Command::new(&p)
                .args(["-c", "import helm_python"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        {
            return Some(p);
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but no Python with helm_python (set HELMOCI_PYTHON; run scripts/test.sh)");
    }
    eprintln!("note: skipping, no Python with helm_python (set HELMOCI_PYTHON)");
    None
}

/// An error and its causes on one line, joined by `: ` (as the CLI prints them).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// Runs a Python snippet with `helm_python` imported as `h`; `args` are `sys.argv[1:]`.
/// Returns stdout; panics with stderr on failure.
pub fn run_helm(python: &Path, script: &str, args: &[&str]) -> String {
    let full = format!("import sys, json\nimport helm_python as h\n{script}");
    let out = Command::new(python)
        .arg("-c")
        .arg(&full)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "helm_python failed:\n{}\nscript:\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Like [`run_helm`] but returns Err(stderr) on failure.
pub fn try_run_helm(python: &Path, script: &str, args: &[&str]) -> Result<String, String> {
    let full = format!("import sys, json\nimport helm_python as h\n{script}");
    let out = Command::new(python)
        .arg("-c")
        .arg(&full)
        .args(args)
        .output()
        .expect("run python");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Writes `files` (relative path, content) under `dir` and stamps every file and
/// directory with [`EPOCH`].
pub fn write_chart(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, data) in files {
        let p = dir.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
    }
    stamp(dir);
}

/// Sets the mtime of every file below `dir` to [`EPOCH`].
pub fn stamp(dir: &Path) {
    let t = UNIX_EPOCH + Duration::from_secs(EPOCH);
    for entry in walk(dir) {
        if entry.is_file() {
            let f = fs::OpenOptions::new().write(true).open(&entry).unwrap();
            f.set_modified(t).unwrap();
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// Decompresses a `.tgz` into its tar bytes.
pub fn gunzip(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}
