//! No secret ever appears in Debug, Display or an error message (including its causes).

use helmoci_auth::{ConfigFile, Credential, Registry, StoreTarget};

use crate::support::Env;

const SECRET: &str = "S3CRET-xyz";

fn reg(s: &str) -> Registry {
    s.parse().expect("registry")
}

/// Every way of printing `value`, with the source chain of errors.
fn printed<T: std::fmt::Debug + std::fmt::Display>(value: &T) -> String {
    format!("{value} | {value:?} | {value:#?}")
}

fn printed_error(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{err} | {err:?} | {err:#?}");
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(&format!(" | {s} | {s:?}"));
        source = s.source();
    }
    text
}

fn assert_clean(text: &str) {
    assert!(!text.contains(SECRET), "secret leaked: {text}");
    assert!(
        !text.contains("S3CRET"),
        "part of the secret leaked: {text}"
    );
}

#[test]
fn credentials_never_print() {
    for c in [
        Credential::basic("user", SECRET),
        Credential::IdentityToken(SECRET.into()),
        Credential::RegistryToken(SECRET.into()),
        Credential::Anonymous,
    ] {
        assert_clean(&printed(&c));
        if let Some(s) = c.secret() {
            assert_clean(&printed(s));
        }
    }
}

#[test]
fn file_errors_never_quote_the_file() {
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let files = [
        format!("\"{SECRET}\""),
        format!(r#"{{"auths": "{SECRET}"}}"#),
        format!(r#"{{"auths": ["{SECRET}"]}}"#),
        format!(r#"{{"credsStore": ["{SECRET}"]}}"#),
        format!(r#"{{"credHelpers": {{"h.example": ["{SECRET}"]}}}}"#),
        format!(r#"{{"auths": {{"h.example": {{"auth": "{SECRET}"#),
        format!(r#"{{"auths": {{"h.example": "{SECRET}"}}}}"#),
        format!(r#"{{"auths": {{"h.example": {{"auth": "{SECRET}!"}}}}}}"#),
        format!(
            r#"{{"auths": {{"h.example": {{"auth": "{}"}}}}}}"#,
            b64(SECRET)
        ),
        format!(r#"{{"auths": {{"h.example": {{"password": ["{SECRET}"]}}}}}}"#),
        format!(r#"{{"auths": {{"h.example": {{"identitytoken": {{"t": "{SECRET}"}}}}}}}}"#),
        format!("{{\"auths\": {{\"h.example\": {{\"auth\": \"{SECRET}\u{1}\"}}}}}}"),
    ];
    for text in &files {
        let env = Env::new();
        env.write(&env.helm, text);
        let err = env
            .store()
            .lookup(&reg("h.example"), None)
            .map(|_| ())
            .expect_err(text);
        assert_clean(&printed_error(&err));
    }
}

#[test]
fn store_errors_never_quote_the_password() {
    let env = Env::new();
    let store = env.store();
    let errors = [
        store.login(
            &reg("h.example"),
            &Credential::basic("us:er", SECRET),
            StoreTarget::HelmConfig,
        ),
        store.login(
            &reg("h.example"),
            &Credential::Anonymous,
            StoreTarget::HelmConfig,
        ),
    ];
    for err in errors {
        assert_clean(&printed_error(&err.unwrap_err()));
    }
}

#[test]
fn a_helper_echoing_its_input_is_scrubbed() {
    let env = Env::new();
    // Fails and prints what it was given on stdin: our JSON with the secret.
    env.install("docker-credential-echo", "#!/bin/sh\ncat\nexit 1\n");
    env.write(&env.helm, r#"{"credsStore": "echo"}"#);
    let err = env
        .store()
        .login(
            &reg("h.example"),
            &Credential::basic("user", SECRET),
            StoreTarget::HelmConfig,
        )
        .unwrap_err();
    let text = printed_error(&err);
    assert_clean(&text);
    assert!(text.contains("<redacted>"), "{text}");
}

#[test]
fn helper_garbage_is_not_quoted_in_warnings() {
    let env = Env::new();
    env.install(
        "docker-credential-leaky",
        &format!("#!/bin/sh\necho 'garbage {SECRET}'\n"),
    );
    env.install(
        "docker-credential-shape",
        &format!("#!/bin/sh\necho '{{\"Username\": 1, \"Secret\": \"{SECRET}\"}}'\n"),
    );
    for helper in ["leaky", "shape"] {
        env.write(&env.helm, &format!(r#"{{"credsStore": "{helper}"}}"#));
        let found = env.store().lookup(&reg("h.example"), None).unwrap();
        assert_eq!(found.warnings.len(), 1);
        let w = &found.warnings[0];
        assert_clean(&printed(w));
        assert_clean(&printed_error(&w.error));
        assert_clean(&format!("{found:?}"));
    }
}

#[test]
fn found_credentials_and_stores_do_not_print_secrets() {
    let env = Env::new();
    let store = env
        .store()
        .with_credential(reg("e.example"), Credential::basic("u", SECRET));
    store
        .login(
            &reg("h.example"),
            &Credential::basic("u", SECRET),
            StoreTarget::HelmConfig,
        )
        .unwrap();
    let found = store.lookup(&reg("h.example"), None).unwrap();
    assert_eq!(found.credential.secret().unwrap().expose(), SECRET);
    assert_clean(&format!("{found:?} {found:#?} {store:?}"));
    let file = ConfigFile::load(&env.helm).unwrap().unwrap();
    assert_clean(&format!("{file:?}"));
}
