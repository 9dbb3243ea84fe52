//! Credential helpers: a real one (login stores through it, lookup reads it, logout erases
//! it), and broken ones that must give warnings and fall through, never hang or panic.

use std::time::{Duration, Instant};

use helmoci_auth::{
    ConfigKind, Credential, CredentialHelper, HelperError, HelperOptions, Location, Registry,
    Source, StoreTarget,
};

use crate::support::{Env, TestResult};

fn reg(s: &str) -> Registry {
    s.parse().expect("registry")
}

#[test]
fn login_lookup_logout_through_creds_store() -> TestResult {
    let env = Env::new();
    env.install_test_helper("helmocitest");
    let original = "{\n  \"credsStore\": \"helmocitest\"\n}\n";
    env.write(&env.helm, original);
    let store = env.store();
    let r = reg("localhost:5000");

    let at = store.login(
        &r,
        &Credential::basic("user", "pass"),
        StoreTarget::HelmConfig,
    )?;
    assert_eq!(
        at,
        Location::Helper {
            config: env.helm.clone(),
            helper: "helmocitest".into(),
            key: "localhost:5000".into()
        }
    );
    assert_eq!(
        std::fs::read_to_string(&env.helm)?,
        original,
        "the file is not touched"
    );
    assert_eq!(env.helper_entries(), 1);

    let found = store.lookup(&r, None)?;
    assert_eq!(found.credential, Credential::basic("user", "pass"));
    assert!(matches!(
        found.source,
        Source::Config {
            kind: ConfigKind::Helm,
            location: Location::Helper { .. }
        }
    ));

    let helper = store.helper("helmocitest");
    let listed = helper.list()?;
    assert_eq!(
        listed.get("localhost:5000").map(String::as_str),
        Some("user")
    );

    let out = store.logout(&r, StoreTarget::HelmConfig)?;
    assert!(out.removed);
    assert_eq!(env.helper_entries(), 0);
    assert!(store.lookup(&r, None)?.credential.is_anonymous());
    // Logging out again is a silent success.
    assert!(!store.logout(&r, StoreTarget::HelmConfig)?.removed);
    assert_eq!(env.helper_log(), "store\nget\nlist\nerase\nget\nerase\n");
    Ok(())
}

#[test]
fn identity_tokens_travel_as_token_username() -> TestResult {
    let env = Env::new();
    env.install_test_helper("helmocitest");
    env.write(&env.docker, r#"{"credHelpers":{"ghcr.io":"helmocitest"}}"#);
    let store = env.store();
    let r = reg("ghcr.io");
    let token = Credential::IdentityToken("refresh-123".into());
    store.login(&r, &token, StoreTarget::DockerConfig)?;
    let stored = std::fs::read_dir(env.dir.path().join("helper-store"))?
        .next()
        .expect("one entry")?;
    let text = std::fs::read_to_string(stored.path())?;
    assert_eq!(
        text,
        r#"{"ServerURL":"ghcr.io","Username":"\u003ctoken\u003e","Secret":"refresh-123"}"#
    );
    assert_eq!(store.lookup(&r, None)?.credential, token);
    Ok(())
}

#[test]
fn cred_helpers_apply_per_host_and_beat_auths() -> TestResult {
    let env = Env::new();
    env.install_test_helper("helmocitest");
    env.write(
        &env.helm,
        r#"{"credHelpers":{"helped.example":"helmocitest"},"auths":{"helped.example":{"auth":"aWdub3JlZDp4"}}}"#,
    );
    let store = env.store();
    // Not in the helper yet: the helper's "not found" passes on to the next source, and
    // the file's own auths entry is not consulted (as in Helm).
    let before = store.lookup(&reg("helped.example"), None)?;
    assert!(before.credential.is_anonymous() && before.warnings.is_empty());
    store.login(
        &reg("helped.example"),
        &Credential::basic("h", "p"),
        StoreTarget::HelmConfig,
    )?;
    store.login(
        &reg("plain.example"),
        &Credential::basic("f", "p"),
        StoreTarget::HelmConfig,
    )?;
    assert_eq!(
        env.helper_entries(),
        1,
        "only the helped host goes to the helper"
    );
    assert_eq!(
        store.lookup(&reg("helped.example"), None)?.credential,
        Credential::basic("h", "p")
    );
    let file = std::fs::read_to_string(&env.helm)?;
    assert!(file.contains("\"plain.example\""), "{file}");
    Ok(())
}

#[test]
fn registry_tokens_cannot_go_to_a_helper() {
    let env = Env::new();
    env.install_test_helper("helmocitest");
    env.write(&env.helm, r#"{"credsStore":"helmocitest"}"#);
    let err = env
        .store()
        .login(
            &reg("h.example"),
            &Credential::RegistryToken("tok".into()),
            StoreTarget::HelmConfig,
        )
        .unwrap_err();
    assert!(err.to_string().contains("cannot store"), "{err:#}");
    assert_eq!(env.helper_entries(), 0);
}

/// A broken helper configured as Helm's credsStore, with a good credential in Docker's file:
/// the lookup must warn and find Docker's.
fn falls_through(script: &str, timeout: Duration, check: impl Fn(&HelperError)) {
    falls_through_erase(script, timeout, true, check)
}

fn falls_through_erase(
    script: &str,
    timeout: Duration,
    erase_fails: bool,
    check: impl Fn(&HelperError),
) {
    let env = Env::new();
    if !script.is_empty() {
        env.install("docker-credential-broken", script);
    }
    env.write(&env.helm, r#"{"credsStore":"broken"}"#);
    env.write(&env.docker, r#"{"auths":{"h.example":{"auth":"ZDpw"}}}"#);
    let store = env.store().helper_timeout(timeout);
    let started = Instant::now();
    let found = store.lookup(&reg("h.example"), None).expect("lookup");
    assert!(
        started.elapsed() < timeout + Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(found.credential, Credential::basic("d", "p"));
    assert!(matches!(
        found.source,
        Source::Config {
            kind: ConfigKind::Docker,
            ..
        }
    ));
    assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    let w = &found.warnings[0];
    assert_eq!((w.kind, &w.config), (ConfigKind::Helm, &env.helm));
    let text = w.to_string();
    assert!(
        text.contains("docker-credential-broken") || text.contains("broken"),
        "{text}"
    );
    check(&w.error);
    // Logout through the broken helper is an error, not a warning.
    if erase_fails {
        let err = store
            .logout(&reg("h.example"), StoreTarget::HelmConfig)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("credential helper docker-credential-broken failed to erase credentials for h.example"), "{text}");
    }
}

const LONG: Duration = Duration::from_secs(10);

#[test]
fn missing_helper_warns() {
    falls_through("", LONG, |e| {
        assert!(matches!(e, HelperError::Missing { .. }), "{e}")
    });
}

#[test]
fn hanging_helper_is_killed_at_the_timeout() {
    let t = Duration::from_millis(300);
    falls_through("#!/bin/sh\nexec sleep 30\n", t, |e| {
        assert!(matches!(e, HelperError::Timeout { .. }), "{e}")
    });
}

#[test]
fn hanging_helper_with_a_child_holding_the_pipes() {
    let t = Duration::from_millis(300);
    falls_through("#!/bin/sh\nsleep 30\necho never\n", t, |e| {
        assert!(matches!(e, HelperError::Timeout { .. }), "{e}")
    });
}

#[test]
fn helper_exiting_with_a_running_child_holding_stdout() {
    let t = Duration::from_millis(500);
    falls_through("#!/bin/sh\n(sleep 30) &\nexit 0\n", t, |e| {
        assert!(matches!(e, HelperError::Timeout { .. }), "{e}")
    });
}

#[test]
fn crashing_helper_warns_with_its_message() {
    falls_through(
        "#!/bin/sh\necho 'keychain locked' >&2\nexit 3\n",
        LONG,
        |e| match e {
            HelperError::Failed {
                message, status, ..
            } => {
                assert_eq!(message, "keychain locked");
                assert!(status.contains('3'), "{status}");
            }
            other => panic!("{other}"),
        },
    );
}

#[test]
fn helper_killed_by_a_signal_warns() {
    falls_through("#!/bin/sh\nkill -9 $$\n", LONG, |e| {
        assert!(matches!(e, HelperError::Failed { .. }), "{e}")
    });
}

#[test]
fn garbage_output_warns() {
    falls_through_erase("#!/bin/sh\necho 'this is {not json'\n", LONG, false, |e| {
        assert!(matches!(e, HelperError::InvalidOutput { .. }), "{e}")
    });
}

#[test]
fn wrong_json_shape_warns() {
    falls_through_erase(
        "#!/bin/sh\necho '{\"Username\": 5, \"Secret\": []}'\n",
        LONG,
        false,
        |e| assert!(matches!(e, HelperError::InvalidOutput { .. }), "{e}"),
    );
}

#[test]
fn endless_output_is_capped() {
    falls_through("#!/bin/sh\nexec yes\n", LONG, |e| {
        assert!(matches!(e, HelperError::OutputTooLarge { .. }), "{e}")
    });
}

#[test]
fn not_executable_counts_as_missing() {
    let env = Env::new();
    let path = env.install("docker-credential-noexec", "#!/bin/sh\nexit 0\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let h = CredentialHelper::new(
        "noexec",
        HelperOptions {
            search_path: Some(env.bin.clone().into_os_string()),
            ..HelperOptions::default()
        },
    );
    assert!(matches!(h.get("x"), Err(HelperError::Missing { .. })));
}

#[test]
fn empty_answer_means_not_found() {
    let env = Env::new();
    env.install(
        "docker-credential-empty",
        "#!/bin/sh\necho '{\"ServerURL\":\"x\",\"Username\":\"\",\"Secret\":\"\"}'\n",
    );
    env.write(&env.helm, r#"{"credsStore":"empty"}"#);
    let found = env.store().lookup(&reg("h.example"), None).unwrap();
    assert!(found.credential.is_anonymous() && found.warnings.is_empty());
}

#[test]
fn the_helper_reads_the_server_key_on_stdin() -> TestResult {
    let env = Env::new();
    env.install(
        "docker-credential-echo",
        "#!/bin/sh\nkey=$(cat)\nprintf '{\"Username\":\"%s\",\"Secret\":\"s\"}' \"$1:$key\"\n",
    );
    env.write(&env.helm, r#"{"credsStore":"echo"}"#);
    let found = env.store().lookup(&reg("docker.io"), None)?;
    assert_eq!(
        found.credential,
        Credential::basic("get:https://index.docker.io/v1/", "s")
    );
    Ok(())
}

#[test]
fn detected_default_helper_is_used_and_recorded_like_helm() -> TestResult {
    let env = Env::new();
    env.install_test_helper("secretservice");
    let store = env
        .store()
        .default_helper(helmoci_auth::DefaultHelper::Detect);
    let r = reg("localhost:5000");
    store.login(&r, &Credential::basic("u", "p"), StoreTarget::HelmConfig)?;
    assert_eq!(
        std::fs::read_to_string(&env.helm)?,
        "{\n\t\"auths\": {},\n\t\"credsStore\": \"secretservice\"\n}"
    );
    assert_eq!(env.helper_entries(), 1);
    assert_eq!(
        store.lookup(&r, None)?.credential,
        Credential::basic("u", "p")
    );
    // With `pass` installed, Linux prefers docker-credential-pass (here: not installed, so
    // nothing is detected and the file is used).
    #[cfg(target_os = "linux")]
    {
        let env = Env::new();
        env.install_test_helper("secretservice");
        env.install("pass", "#!/bin/sh\nexit 0\n");
        let store = env
            .store()
            .default_helper(helmoci_auth::DefaultHelper::Detect);
        store.login(&r, &Credential::basic("u", "p"), StoreTarget::HelmConfig)?;
        assert_eq!(env.helper_entries(), 0);
        assert!(std::fs::read_to_string(&env.helm)?.contains("\"auth\""));
    }
    Ok(())
}
