//! Property tests: no input panics, and Helm's writer keeps what it reads.

use std::path::Path;

use helmoci_auth::{ConfigFile, Credential, Registry};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn path() -> &'static Path {
    Path::new("/nonexistent/config.json")
}

/// Everything a lookup does with a parsed file, for every key it has.
fn exercise(file: &ConfigFile) {
    let keys: Vec<String> = file.auth_keys().map(str::to_owned).collect();
    for key in keys
        .iter()
        .map(String::as_str)
        .chain(["h.example", "https://index.docker.io/v1/"])
    {
        let _ = file.credential(key);
        let _ = file.find(key);
        let _ = file.helper_for(key);
        if let Ok(r) = key.parse::<Registry>() {
            let _ = file.find_scoped(r.podman_key(), Some("org/repo"));
        }
    }
    let text = file.to_json();
    let again = ConfigFile::parse(path(), text.as_bytes()).expect("our output parses");
    assert_eq!(again.to_json(), text, "writing is idempotent");
    serde_json::from_str::<Value>(&text).expect("our output is JSON");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[<>&\u{2028}\u{2029}\"\\\\a/\n]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A config file's top level: unknown keys plus well-typed Docker keys.
fn config_value() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map("[a-zA-Z<&]{1,8}", json_value(), 0..4),
        prop::option::of(prop::collection::btree_map(
            any::<String>(),
            json_value(),
            0..4,
        )),
        prop::option::of(any::<String>()),
        prop::option::of(prop::collection::btree_map(
            any::<String>(),
            any::<String>(),
            0..3,
        )),
    )
        .prop_map(|(unknown, auths, store, helpers)| {
            let mut top: Map<String, Value> = unknown.into_iter().collect();
            if let Some(a) = auths {
                top.insert("auths".into(), Value::Object(a.into_iter().collect()));
            }
            if let Some(s) = store {
                top.insert("credsStore".into(), Value::String(s));
            }
            if let Some(h) = helpers {
                let h = h.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                top.insert("credHelpers".into(), Value::Object(h));
            }
            Value::Object(top)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(file) = ConfigFile::parse(path(), &bytes) {
            exercise(&file);
        }
    }

    #[test]
    fn json_like_text_never_panics(
        head in prop::sample::select(vec!["", "{\"auths\":", "{\"auths\":{\"h.example\":", "{\"credHelpers\":", "{\"auths\":{\"h.example\":{\"auth\":"]),
        body in "[{}\\[\\]\":,a-zA-Z0-9=+/ \\\\.\\-]{0,48}",
    ) {
        if let Ok(file) = ConfigFile::parse(path(), format!("{head}{body}").as_bytes()) {
            exercise(&file);
        }
    }

    #[test]
    fn helms_writer_keeps_every_value(value in config_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        let file = ConfigFile::parse(path(), text.as_bytes()).expect("well-typed config");
        exercise(&file);
        // Compare through the same (lossy for some floats) parser on both sides.
        let reread: Value = serde_json::from_str(&text).unwrap();
        let mut expected = reread.as_object().unwrap().clone();
        expected.entry("auths").or_insert(json!({}));
        if expected.get("credsStore") == Some(&json!("")) {
            expected.remove("credsStore");
        }
        let written: Value = serde_json::from_str(&file.to_json()).unwrap();
        prop_assert_eq!(written, Value::Object(expected));
        prop_assert!(!file.to_json().ends_with('\n'));
    }

    #[test]
    fn stored_credentials_read_back(
        user in "[^:]{0,16}",
        password in any::<String>(),
        token in "\\PC{1,16}",
    ) {
        let mut file = ConfigFile::empty(path());
        let basic = Credential::basic(user.clone(), password.clone());
        file.set("h.example", &basic).unwrap();
        file.set("t.example", &Credential::IdentityToken(token.clone().into())).unwrap();
        let again = ConfigFile::parse(path(), file.to_json().as_bytes()).unwrap();
        let want = if user.is_empty() && password.is_empty() { None } else { Some(basic) };
        prop_assert_eq!(again.credential("h.example").unwrap(), want);
        prop_assert_eq!(again.credential("t.example").unwrap(), Some(Credential::IdentityToken(token.into())));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The whole store over files on disk: arbitrary bytes in any of the three files never
    /// panic, and every error names a file.
    #[test]
    fn arbitrary_files_never_panic_the_store(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        json in config_value(),
        which in 0usize..3,
    ) {
        let env = crate::support::Env::new();
        let paths = [&env.helm, &env.docker, &env.podman];
        env.write(paths[which], "");
        std::fs::write(paths[which], &bytes).unwrap();
        env.write(paths[(which + 1) % 3], &json.to_string());
        let store = env.store();
        let r: Registry = "h.example".parse().unwrap();
        // Every error names the file, except a helper's failure, which names the helper.
        let named = |e: &helmoci_auth::Error| {
            if matches!(e, helmoci_auth::Error::Helper { .. }) {
                return true;
            }
            let text = e.to_string();
            paths.iter().any(|p| text.contains(&p.display().to_string()))
        };
        if let Err(e) = store.lookup(&r, Some("org/repo")) {
            prop_assert!(named(&e), "{}", e);
        }
        match store.login(&r, &Credential::basic("u", "p"), helmoci_auth::StoreTarget::HelmConfig) {
            Ok(_) => {
                let found = store.lookup(&r, None);
                if let Ok(found) = found {
                    prop_assert_eq!(found.credential, Credential::basic("u", "p"));
                }
            }
            Err(e) => prop_assert!(named(&e), "{}", e),
        }
        if let Err(e) = store.logout(&r, helmoci_auth::StoreTarget::HelmConfig) {
            prop_assert!(named(&e), "{}", e);
        }
    }
}
