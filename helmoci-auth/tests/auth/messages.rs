//! The exact wording of errors and warnings (lowercase, naming the file, host or helper and
//! the fix), pinned so that changes are deliberate.

use std::time::Duration;

use helmoci_auth::{
    ConfigFile, ConfigKind, Credential, CredentialHelper, Error, HelperAction, HelperError,
    HelperOptions, Registry, StoreTarget,
};

use crate::support::Env;

fn assert_send_sync<T: Send + Sync + 'static>() {}

#[test]
fn errors_are_send_sync_static() {
    assert_send_sync::<Error>();
    assert_send_sync::<HelperError>();
}

#[test]
fn registry_messages() {
    let err = "oci://localhost:5000".parse::<Registry>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid registry \"oci://localhost:5000\": it has a scheme; leave out `oci://`, \
         `https://` or `http://`; give the registry as host[:port], e.g. localhost:5000"
    );
}

#[test]
fn file_messages() {
    let p = std::path::Path::new("/cfg/config.json");
    let msg = |bytes: &[u8]| ConfigFile::parse(p, bytes).unwrap_err().to_string();
    assert_eq!(
        msg(b"{\"auths\": 1}"),
        "credentials file /cfg/config.json is malformed: `auths` must be an object, found a \
         number; fix or remove it"
    );
    assert_eq!(
        msg(b"{\"auths\": {"),
        "credentials file /cfg/config.json is malformed: invalid JSON: EOF while parsing an \
         object at line 1 column 11; fix or remove it"
    );
    let file = ConfigFile::parse(p, br#"{"auths":{"h":{"auth":"eA=="}}}"#).unwrap();
    assert_eq!(
        file.credential("h").unwrap_err().to_string(),
        "credentials file /cfg/config.json: the entry \"h\" is malformed: `auth` does not \
         decode to `username:password`; log in again or remove the entry"
    );
}

#[test]
fn store_messages() {
    let env = Env::new();
    let r: Registry = "localhost:5000".parse().unwrap();
    let err = env
        .store()
        .login(&r, &Credential::basic("a:b", "p"), StoreTarget::HelmConfig)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad credential format: colons(:) are not allowed in username (logging in to localhost:5000)"
    );
    let err = env
        .store()
        .login(&r, &Credential::Anonymous, StoreTarget::HelmConfig)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot store credentials for localhost:5000: the credential is anonymous or empty; \
         give a username and password or a token"
    );
    let none = helmoci_auth::CredentialStore::new(Default::default());
    let err = none.logout(&r, StoreTarget::DockerConfig).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no location for the Docker config: set DOCKER_CONFIG (HOME is not set either)"
    );
}

#[test]
fn helper_messages() {
    let env = Env::new();
    let opts = HelperOptions {
        search_path: Some(env.bin.clone().into_os_string()),
        timeout: Duration::from_millis(200),
        ..HelperOptions::default()
    };
    let missing = CredentialHelper::new("nothere", opts.clone())
        .get("h")
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "docker-credential-nothere was not found on PATH; install it, or remove the \
         credsStore/credHelpers entry that names it"
    );
    env.install("docker-credential-slow", "#!/bin/sh\nexec sleep 5\n");
    let slow = CredentialHelper::new("slow", opts.clone())
        .get("h")
        .unwrap_err();
    assert_eq!(
        slow.to_string(),
        "`docker-credential-slow get` did not finish within 200ms and was killed"
    );
    env.install("docker-credential-bad", "#!/bin/sh\necho nope\nexit 2\n");
    let bad = CredentialHelper::new("bad", opts).erase("h").unwrap_err();
    assert_eq!(
        bad.to_string(),
        "`docker-credential-bad erase` failed (exit status: 2): nope"
    );
    env.write(&env.helm, r#"{"credsStore":"nothere"}"#);
    let found = env
        .store()
        .lookup(&"h.example".parse().unwrap(), None)
        .unwrap();
    assert_eq!(
        found.warnings[0].to_string(),
        format!(
            "ignoring the credential helper of Helm registry config {}: docker-credential-nothere \
             was not found on PATH; install it, or remove the credsStore/credHelpers entry that \
             names it; trying the next source",
            env.helm.display()
        )
    );
    assert_eq!(found.warnings[0].kind, ConfigKind::Helm);
    assert_eq!(HelperAction::List.to_string(), "list");
}
