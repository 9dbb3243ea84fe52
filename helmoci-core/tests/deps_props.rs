//! The index, lock and repositories.yaml parsers never panic, whatever the input.

use helmoci_core::index::IndexFile;
use helmoci_core::lock::Lock;
use proptest::prelude::*;

/// Fragments that steer random documents into the parsers' interesting paths.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("apiVersion: v1\n".to_owned()),
        Just("entries:\n  a:\n  - name: a\n    version: 1.0.0\n".to_owned()),
        Just("  - null\n".to_owned()),
        Just("    urls: [x]\n".to_owned()),
        Just("    created: 2024-01-02T03:04:05Z\n".to_owned()),
        Just("generated: \"x\"\n".to_owned()),
        Just("dependencies:\n- name: a\n".to_owned()),
        Just("digest: sha256:00\n".to_owned()),
        Just("{\"apiVersion\":\"v1\",\"entries\":{\"a\":[{}]}}".to_owned()),
        Just("repositories:\n- name: r\n  url: https://r\n".to_owned()),
        "[ -~\n]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn index_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = IndexFile::parse(&bytes, "index.yaml");
    }

    #[test]
    fn index_parse_never_panics_on_yamlish(parts in proptest::collection::vec(fragment(), 0..8)) {
        let doc = parts.concat();
        if let Ok(index) = IndexFile::parse(doc.as_bytes(), "index.yaml") {
            // What we write, we (and so Helm) read back.
            let again = IndexFile::parse(index.to_yaml().as_bytes(), "again").unwrap();
            prop_assert_eq!(again.entries.len(), index.entries.len());
            let _ = IndexFile::parse(index.to_json().as_bytes(), "again.json").unwrap();
        }
        let _ = Lock::from_yaml(doc.as_bytes(), "Chart.lock");
        let _ = helmoci_core::repo::RepositoryFile::parse(doc.as_bytes(), "repositories.yaml");
    }

    #[test]
    fn repositories_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = helmoci_core::repo::RepositoryFile::parse(&bytes, "repositories.yaml");
    }

    #[test]
    fn lock_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Lock::from_yaml(&bytes, "Chart.lock");
    }
}
