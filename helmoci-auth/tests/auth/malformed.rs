//! Malformed files give a typed error naming the file, never a panic.

use std::fs;

use helmoci_auth::config::MAX_CONFIG_SIZE;
use helmoci_auth::{ConfigFile, Credential, Error, Registry, StoreTarget};

use crate::support::Env;

fn reg(s: &str) -> Registry {
    s.parse().expect("registry")
}

/// Writes `bytes` as Helm's file and checks that lookup, login and logout of `h.example`
/// all fail with an error that names the file and matches `is`.
fn broken(bytes: &[u8], is: fn(&Error) -> bool, says: &str) {
    let env = Env::new();
    fs::create_dir_all(env.helm.parent().unwrap()).unwrap();
    fs::write(&env.helm, bytes).unwrap();
    let store = env.store();
    let r = reg("h.example");
    let errors = [
        store.lookup(&r, None).map(|_| ()).unwrap_err(),
        store
            .login(&r, &Credential::basic("u", "p"), StoreTarget::HelmConfig)
            .map(|_| ())
            .unwrap_err(),
        store
            .logout(&r, StoreTarget::HelmConfig)
            .map(|_| ())
            .unwrap_err(),
    ];
    for err in errors {
        assert!(is(&err), "unexpected variant: {err:?}");
        let text = err.to_string();
        assert!(text.contains(&env.helm.display().to_string()), "{text}");
        assert!(text.contains(says), "{text:?} should say {says:?}");
    }
    assert_eq!(
        fs::read(&env.helm).unwrap(),
        bytes,
        "a broken file is never rewritten"
    );
}

macro_rules! malformed {
    ($name:ident, $bytes:expr, $says:expr) => {
        #[test]
        fn $name() {
            broken(
                $bytes,
                |e| matches!(e, Error::MalformedConfig { .. }),
                $says,
            );
        }
    };
}

malformed!(not_json, b"{\"auths\": ", "invalid JSON");
malformed!(
    top_level_array,
    b"[1, 2]",
    "top level must be a JSON object, found an array"
);
malformed!(top_level_string, b"\"s3cr3t\"", "found a string");
malformed!(
    auths_is_an_array,
    br#"{"auths": []}"#,
    "`auths` must be an object"
);
malformed!(
    auths_is_a_string,
    br#"{"auths": "x"}"#,
    "`auths` must be an object, found a string"
);
malformed!(
    creds_store_is_a_number,
    br#"{"credsStore": 5}"#,
    "`credsStore` must be a string"
);
malformed!(
    cred_helpers_is_an_array,
    br#"{"credHelpers": ["x"]}"#,
    "`credHelpers` must be an object"
);
malformed!(
    cred_helper_is_a_bool,
    br#"{"credHelpers": {"h.example": true}}"#,
    "`credHelpers[\"h.example\"]` must be a string"
);
malformed!(not_utf8, b"{\"auths\": {\"h\xff\": {}}}", "not UTF-8");
malformed!(invalid_escape, br#"{"auths": {"\q": {}}}"#, "invalid JSON");

macro_rules! bad_entry {
    ($name:ident, $entry:expr, $says:expr) => {
        #[test]
        fn $name() {
            let env = Env::new();
            let text = format!(
                r#"{{"auths": {{"h.example": {}, "ok.example": {{"auth": "dTpw"}}}}}}"#,
                $entry
            );
            env.write(&env.docker, &text);
            let store = env.store();
            let err = store.lookup(&reg("h.example"), None).unwrap_err();
            assert!(matches!(err, Error::MalformedEntry { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(
                msg.contains(&env.docker.display().to_string()) && msg.contains($says),
                "{msg}"
            );
            assert!(msg.contains("\"h.example\""), "{msg}");
            // Other entries of the same file still work.
            assert_eq!(
                store.lookup(&reg("ok.example"), None).unwrap().credential,
                Credential::basic("u", "p")
            );
        }
    };
}

bad_entry!(entry_is_a_string, r#""dTpw""#, "not a JSON object");
bad_entry!(entry_is_a_number, "7", "not a JSON object");
bad_entry!(
    auth_is_a_number,
    r#"{"auth": 5}"#,
    "`auth` must be a string"
);
bad_entry!(
    username_is_an_object,
    r#"{"username": {}}"#,
    "`username` must be a string"
);
bad_entry!(
    identitytoken_is_an_array,
    r#"{"identitytoken": []}"#,
    "`identitytoken` must be a string"
);
bad_entry!(invalid_base64, r#"{"auth": "%%%"}"#, "not valid base64");
bad_entry!(
    base64_without_colon,
    r#"{"auth": "dXNlcg=="}"#,
    "`username:password`"
);
bad_entry!(base64_of_non_utf8, r#"{"auth": "/w=="}"#, "UTF-8");

#[test]
fn directory_instead_of_file() {
    let env = Env::new();
    fs::create_dir_all(&env.helm).unwrap();
    let store = env.store();
    for err in [
        store
            .lookup(&reg("h.example"), None)
            .map(|_| ())
            .unwrap_err(),
        store
            .login(
                &reg("h.example"),
                &Credential::basic("u", "p"),
                StoreTarget::HelmConfig,
            )
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::NotAFile { .. }), "{err:?}");
        assert!(err.to_string().contains(&env.helm.display().to_string()));
    }
}

#[test]
fn huge_file() {
    let env = Env::new();
    let mut text = String::from("{\"auths\": {}, \"pad\": \"");
    text.push_str(&"x".repeat(MAX_CONFIG_SIZE as usize));
    text.push_str("\"}");
    env.write(&env.podman, &text);
    let err = env.store().lookup(&reg("h.example"), None).unwrap_err();
    assert!(matches!(err, Error::ConfigTooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains(&env.podman.display().to_string()));
}

#[test]
fn tolerated_like_go() {
    let p = std::path::Path::new("/x/config.json");
    // Empty and blank files are empty configs; text after the value is ignored.
    for ok in [
        &b""[..],
        b"  \n",
        b"null",
        b"{} trailing",
        br#"{"auths": null, "credsStore": null}"#,
    ] {
        let file = ConfigFile::parse(p, ok).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.auth_keys().count(), 0);
        assert!(file.is_unconfigured());
    }
    // Go's JSON decoder keeps the last of duplicate keys.
    let file = ConfigFile::parse(
        p,
        br#"{"auths": {"h": {"auth": "YTpi"}, "h": {"auth": "Yzpk"}}}"#,
    )
    .unwrap();
    assert_eq!(
        file.credential("h").unwrap(),
        Some(Credential::basic("c", "d"))
    );
    // Unpadded base64 and embedded newlines are accepted.
    let file = ConfigFile::parse(p, br#"{"auths": {"h": {"auth": "dXNl\ncjpw"}}}"#).unwrap();
    assert_eq!(
        file.credential("h").unwrap(),
        Some(Credential::basic("user", "p"))
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let env = Env::new();
    std::fs::create_dir_all(env.docker.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&env.docker)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mkfifo unavailable; skipping");
        return;
    }
    let err = env.store().lookup(&reg("h.example"), None).unwrap_err();
    assert!(matches!(err, Error::NotAFile { .. }), "{err:?}");
}
