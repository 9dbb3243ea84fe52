//! Interop with real Helm v4 through its Python SDK (`helm_python`).
//!
//! Without a registry, Helm can still log out: it reads the file, deletes the entry and
//! rewrites the file with its own writer. So we give Helm and helmoci the same file, let
//! both remove the same entry, and compare the bytes. (Login against a registry is tested
//! with the registry client.)
//!
//! The interpreter is `$HELMOCI_PYTHON`, else `/tmp/hvenv/bin/python` or the workspace's
//! `.venv`. When none imports `helm_python`, the tests skip with a note, or fail when
//! `CI=true`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use helmoci_auth::{Credential, Registry, StoreTarget};

use crate::store::HELM_LOGIN_FILE;
use crate::support::{Env, TestResult};

fn python() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("HELMOCI_PYTHON").filter(|p| !p.is_empty()) {
        candidates.push(p.into());
    } else {
        candidates.push("/tmp/hvenv/bin/python".into());
        candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"));
    }
    for p in candidates {
        let ok = Command::new(&p)
            .args(["-c", "import helm_python"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(p);
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "CI=true but no Python with helm_python: set HELMOCI_PYTHON (scripts/test.sh does)"
    );
    eprintln!("note: skipping Helm interop test: no Python with helm_python (set HELMOCI_PYTHON)");
    None
}

/// Runs Helm's logout of `host` on the credentials file `file`.
fn helm_logout(python: &Path, home: &Path, file: &Path, host: &str) {
    helm_logout_with_path(python, home, file, host, "/usr/bin:/bin")
}

fn helm_logout_with_path(python: &Path, home: &Path, file: &Path, host: &str, path: &str) {
    let script = "import sys, helm_python as h\n\
                  c = h.RegistryClient(credentials_file=sys.argv[1])\n\
                  c.logout(sys.argv[2])\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(file)
        .arg(host)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("HELM_CONFIG_HOME", home.join("helm"))
        .env("PATH", path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "helm logout failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Gives Helm and helmoci the same file, lets both log out of `host`, and compares.
fn same_logout(start: &str, host: &str) -> String {
    let python = match python() {
        Some(p) => p,
        None => return String::new(),
    };
    let env = Env::new();
    let helm_copy = env.dir.path().join("by-helm/config.json");
    env.write(&helm_copy, start);
    env.write(&env.helm, start);
    helm_logout(&python, env.dir.path(), &helm_copy, host);
    let registry: Registry = host.parse().expect("registry");
    env.store()
        .logout(&registry, StoreTarget::HelmConfig)
        .expect("our logout");
    let theirs = fs::read_to_string(&helm_copy).expect("helm's file");
    let ours = fs::read_to_string(&env.helm).expect("our file");
    assert_eq!(
        ours, theirs,
        "helmoci and Helm rewrote the file differently"
    );
    theirs
}

#[test]
fn helm_rewrites_our_login_file_like_we_do() -> TestResult {
    let env = Env::new();
    let store = env.store();
    for (host, user) in [
        ("localhost:5000", "user"),
        ("gone.example", "g"),
        ("docker.io", "hub"),
    ] {
        store.login(
            &host.parse()?,
            &Credential::basic(user, "pass"),
            StoreTarget::HelmConfig,
        )?;
    }
    store.login(
        &"tok.example".parse()?,
        &Credential::IdentityToken("r&t".into()),
        StoreTarget::HelmConfig,
    )?;
    let ours = fs::read_to_string(&env.helm)?;
    same_logout(&ours, "gone.example");
    Ok(())
}

#[test]
fn helm_and_we_agree_on_the_login_literal() {
    let with_extra = "{\n\t\"auths\": {\n\t\t\"extra.example\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t},\n\t\t\"localhost:5000\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t}\n\t}\n}";
    let after = same_logout(with_extra, "extra.example");
    if !after.is_empty() {
        assert_eq!(after, HELM_LOGIN_FILE);
    }
}

#[test]
fn helm_and_we_keep_unknown_content_alike() {
    let start = "{ \"zz\": {\"b\": [1.0, 1e5, -0, 2E-3, {}, [], true, false, null], \"a\": \"<&>\\u00e9\\u2028 \u{2029}\\/\"},\n\
        \"auths\": {\"other\": {\"username\": \"u\", \"password\": \"p\", \"email\": \"e\"},\n\
        \"https://legacy.example/v1/\": {\"auth\": \"dTpw\"}, \"gone.example\": {}, \"a<b\": {\"auth\": \"\"}},\n\
        \"credsStore\": null, \"aa\": null, \"credHelpers\": {\"x.example\": \"nothere\"},\n\
        \"HttpHeaders\": {\"X\": \"<1>\"}, \"k\\u00e9y\u{e9}<&>\": [ ], \"Zed\": 12345678901234567890 }\n";
    same_logout(start, "gone.example");
}

#[test]
fn helm_and_we_agree_on_emptying_the_file() {
    let after = same_logout(HELM_LOGIN_FILE, "localhost:5000");
    if !after.is_empty() {
        assert_eq!(after, "{\n\t\"auths\": {}\n}");
    }
}

#[test]
fn helm_and_we_leave_a_missing_entry_alone() {
    let odd = "{\"auths\":{\"https://h.example/\":{\"auth\":\"dTpw\"}}}";
    let after = same_logout(odd, "h.example");
    if !after.is_empty() {
        assert_eq!(after, odd);
    }
}

#[test]
fn helm_erases_through_the_helper_we_stored_with() -> TestResult {
    let Some(python) = python() else {
        return Ok(());
    };
    let env = Env::new();
    env.install_test_helper("helmocitest");
    let original = r#"{"credsStore": "helmocitest"}"#;
    env.write(&env.helm, original);
    let store = env.store();
    let registry: Registry = "localhost:5000".parse()?;
    store.login(
        &registry,
        &Credential::basic("user", "pass"),
        StoreTarget::HelmConfig,
    )?;
    assert_eq!(env.helper_entries(), 1);
    let path = format!("{}:/usr/bin:/bin", env.bin.display());
    helm_logout_with_path(&python, env.dir.path(), &env.helm, "localhost:5000", &path);
    assert_eq!(
        env.helper_entries(),
        0,
        "Helm erased our entry through the helper"
    );
    assert!(
        env.helper_log().ends_with("erase\n"),
        "{}",
        env.helper_log()
    );
    assert_eq!(
        fs::read_to_string(&env.helm)?,
        original,
        "neither of us rewrote the file"
    );
    assert!(store.lookup(&registry, None)?.credential.is_anonymous());
    Ok(())
}
