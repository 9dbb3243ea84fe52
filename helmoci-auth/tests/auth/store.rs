//! Login and logout write Helm's file exactly as Helm does.

use std::fs;

use helmoci_auth::{ConfigFile, Credential, Error, Location, Registry, StoreTarget};

use crate::support::{Env, TestResult};

/// HELM-FACTS §9: the file after `helm registry login localhost:5000 -u user -p pass`.
pub const HELM_LOGIN_FILE: &str =
    "{\n\t\"auths\": {\n\t\t\"localhost:5000\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t}\n\t}\n}";

fn reg(s: &str) -> Registry {
    s.parse().expect("registry")
}

fn login(env: &Env, host: &str, user: &str, pass: &str) -> Result<Location, Error> {
    env.store().login(
        &reg(host),
        &Credential::basic(user, pass),
        StoreTarget::HelmConfig,
    )
}

#[test]
fn first_login_writes_helms_exact_bytes() -> TestResult {
    let env = Env::new();
    let at = login(&env, "localhost:5000", "user", "pass")?;
    assert_eq!(
        at,
        Location::File {
            path: env.helm.clone(),
            key: "localhost:5000".into()
        }
    );
    assert_eq!(fs::read_to_string(&env.helm)?, HELM_LOGIN_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&env.helm), 0o600);
        assert_eq!(mode(env.helm.parent().unwrap()), 0o700);
        assert_eq!(mode(env.helm.parent().unwrap().parent().unwrap()), 0o700);
    }
    let leftovers: Vec<_> = fs::read_dir(env.helm.parent().unwrap())?.collect();
    assert_eq!(leftovers.len(), 1, "no temp files are left behind");
    Ok(())
}

#[test]
fn logins_accumulate_sorted_and_replace() -> TestResult {
    let env = Env::new();
    login(&env, "zeta.example", "z", "1")?;
    login(&env, "localhost:5000", "old", "old")?;
    login(&env, "localhost:5000", "user", "pass")?;
    login(&env, "docker.io", "hub", "pw")?;
    let expected = "{\n\t\"auths\": {\n\
        \t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"aHViOnB3\"\n\t\t},\n\
        \t\t\"localhost:5000\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t},\n\
        \t\t\"zeta.example\": {\n\t\t\t\"auth\": \"ejox\"\n\t\t}\n\t}\n}";
    assert_eq!(fs::read_to_string(&env.helm)?, expected);
    Ok(())
}

#[test]
fn unknown_keys_and_other_entries_are_kept_as_go_rewrites_them() -> TestResult {
    let env = Env::new();
    env.write(
        &env.helm,
        "{ \"zz\": {\"b\": [1.0, 1e5, {}, []], \"a\": \"<&>\\u00e9\"},\n  \"auths\": {\"other\": {\"username\": \"u\", \"password\": \"p\", \"email\": \"e\"}},\n  \"credsStore\": \"\", \"aa\": null }\n",
    );
    login(&env, "localhost:5000", "user", "pass")?;
    let expected = "{\n\
        \t\"aa\": null,\n\
        \t\"auths\": {\n\
        \t\t\"localhost:5000\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t},\n\
        \t\t\"other\": {\n\t\t\t\"username\": \"u\",\n\t\t\t\"password\": \"p\",\n\t\t\t\"email\": \"e\"\n\t\t}\n\t},\n\
        \t\"zz\": {\n\t\t\"b\": [\n\t\t\t1.0,\n\t\t\t1e5,\n\t\t\t{},\n\t\t\t[]\n\t\t],\n\t\t\"a\": \"\\u003c\\u0026\\u003e\\u00e9\"\n\t}\n}";
    assert_eq!(fs::read_to_string(&env.helm)?, expected);
    Ok(())
}

#[test]
fn tokens_are_stored_in_their_fields() -> TestResult {
    let env = Env::new();
    let store = env.store();
    store.login(
        &reg("a.example"),
        &Credential::IdentityToken("r<t>".into()),
        StoreTarget::HelmConfig,
    )?;
    store.login(
        &reg("b.example"),
        &Credential::RegistryToken("acc".into()),
        StoreTarget::HelmConfig,
    )?;
    let text = fs::read_to_string(&env.helm)?;
    assert!(
        text.contains("\"identitytoken\": \"r\\u003ct\\u003e\""),
        "{text}"
    );
    assert!(text.contains("\"registrytoken\": \"acc\""), "{text}");
    assert_eq!(
        store.lookup(&reg("a.example"), None)?.credential,
        Credential::IdentityToken("r<t>".into())
    );
    assert_eq!(
        store.lookup(&reg("b.example"), None)?.credential,
        Credential::RegistryToken("acc".into())
    );
    Ok(())
}

#[test]
fn colon_in_username_is_refused_and_nothing_written() {
    let env = Env::new();
    let err = login(&env, "localhost:5000", "us:er", "pass").unwrap_err();
    assert!(matches!(err, Error::ColonInUsername { .. }));
    assert!(
        err.to_string()
            .starts_with("bad credential format: colons(:) are not allowed in username"),
        "{err}"
    );
    assert!(err.to_string().contains("localhost:5000"));
    assert!(!env.helm.exists());
}

#[test]
fn anonymous_and_empty_credentials_cannot_be_stored() {
    let env = Env::new();
    for empty in [
        Credential::Anonymous,
        Credential::basic("", ""),
        Credential::IdentityToken("".into()),
        Credential::RegistryToken("".into()),
    ] {
        let err = env
            .store()
            .login(&reg("h.example"), &empty, StoreTarget::HelmConfig)
            .unwrap_err();
        assert!(matches!(err, Error::CannotStore { .. }), "{err}");
    }
    assert!(!env.helm.exists());
}

#[test]
fn logout_removes_the_entry() -> TestResult {
    let env = Env::new();
    login(&env, "localhost:5000", "user", "pass")?;
    login(&env, "other.example", "o", "p")?;
    let out = env
        .store()
        .logout(&reg("other.example"), StoreTarget::HelmConfig)?;
    assert!(out.removed);
    assert_eq!(fs::read_to_string(&env.helm)?, HELM_LOGIN_FILE);
    env.store()
        .logout(&reg("localhost:5000"), StoreTarget::HelmConfig)?;
    assert_eq!(fs::read_to_string(&env.helm)?, "{\n\t\"auths\": {}\n}");
    Ok(())
}

#[test]
fn logout_of_a_missing_entry_changes_nothing() -> TestResult {
    let env = Env::new();
    let out = env
        .store()
        .logout(&reg("h.example"), StoreTarget::HelmConfig)?;
    assert!(!out.removed);
    assert!(!env.helm.exists(), "no file is created");
    let odd = "{ \"auths\" : { \"https://h.example/\": {\"auth\": \"dTpw\"} } }";
    env.write(&env.helm, odd);
    let out = env
        .store()
        .logout(&reg("h.example"), StoreTarget::HelmConfig)?;
    assert!(!out.removed, "only the exact key is removed, as in Helm");
    assert_eq!(
        fs::read_to_string(&env.helm)?,
        odd,
        "the file is not rewritten"
    );
    Ok(())
}

#[test]
fn docker_target_writes_dockers_file_only() -> TestResult {
    let env = Env::new();
    let store = env.store();
    let at = store.login(
        &reg("localhost:5000"),
        &Credential::basic("user", "pass"),
        StoreTarget::DockerConfig,
    )?;
    assert_eq!(
        at,
        Location::File {
            path: env.docker.clone(),
            key: "localhost:5000".into()
        }
    );
    assert_eq!(fs::read_to_string(&env.docker)?, HELM_LOGIN_FILE);
    assert!(!env.helm.exists());
    assert_eq!(
        store.lookup(&reg("localhost:5000"), None)?.credential,
        Credential::basic("user", "pass")
    );
    assert!(
        store
            .logout(&reg("localhost:5000"), StoreTarget::DockerConfig)?
            .removed
    );
    Ok(())
}

#[test]
fn helper_failure_during_login_writes_nothing() {
    let env = Env::new();
    env.install(
        "docker-credential-fails",
        "#!/bin/sh\necho 'locked'\nexit 1\n",
    );
    let original = r#"{"credsStore":"fails"}"#;
    env.write(&env.helm, original);
    let err = login(&env, "h.example", "u", "p").unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(
        chain.contains("docker-credential-fails store") && chain.contains("locked"),
        "{chain}"
    );
    assert_eq!(fs::read_to_string(&env.helm).unwrap(), original);
}

#[test]
fn no_location_is_a_clear_error() {
    let store = helmoci_auth::CredentialStore::new(helmoci_auth::ConfigLocations::default());
    let err = store
        .login(
            &reg("h.example"),
            &Credential::basic("u", "p"),
            StoreTarget::HelmConfig,
        )
        .unwrap_err();
    assert!(err.to_string().contains("HELM_REGISTRY_CONFIG"), "{err}");
}

#[test]
fn config_file_round_trips_through_save() -> TestResult {
    let env = Env::new();
    let mut file = ConfigFile::load_or_empty(&env.helm)?;
    file.set("localhost:5000", &Credential::basic("user", "pass"))?;
    file.save()?;
    let again = ConfigFile::load(&env.helm)?.expect("saved");
    assert_eq!(again.to_json(), HELM_LOGIN_FILE);
    assert_eq!(
        again.credential("localhost:5000")?,
        Some(Credential::basic("user", "pass"))
    );
    assert_eq!(again.auth_keys().collect::<Vec<_>>(), ["localhost:5000"]);
    Ok(())
}
