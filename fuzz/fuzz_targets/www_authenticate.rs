//! `WWW-Authenticate` headers from a registry. Parsing never panics; a Bearer challenge
//! has a realm; merging token scopes is idempotent and order-insensitive.
#![no_main]

use helmoci_oci::registry::fuzzing::{clean_scopes, parse_challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((scheme, realm, _service, scope, _error)) = parse_challenge(header) {
        assert!(scheme != "bearer" || realm.is_some(), "{header:?}");
        if let Some(scope) = scope {
            let once = clean_scopes([scope.as_str(), "repository:a/b:pull"]);
            let twice = clean_scopes(once.iter().map(String::as_str));
            assert_eq!(once, twice, "clean_scopes is not idempotent for {scope:?}");
            let swapped = clean_scopes(["repository:a/b:pull", scope.as_str()]);
            assert_eq!(once, swapped, "clean_scopes depends on order for {scope:?}");
        }
    }
    let once = clean_scopes(header.split(',').take(16));
    let twice = clean_scopes(once.iter().map(String::as_str));
    assert_eq!(once, twice, "clean_scopes is not idempotent for {header:?}");
});
