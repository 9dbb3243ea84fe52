//! `Chart.lock` / `requirements.lock`. Parsing never panics; what parses is written back
//! to YAML that parses to the same lock.
#![no_main]

use helmoci_core::lock::Lock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(lock) = Lock::from_yaml(data, "Chart.lock") else {
        return;
    };
    let yaml = lock.to_yaml();
    let again = Lock::from_yaml(yaml.as_bytes(), "Chart.lock")
        .unwrap_or_else(|e| panic!("our own Chart.lock does not parse: {e}\n{yaml}"));
    assert_eq!(again.to_yaml(), yaml, "Chart.lock writing is not stable");
    // A lock without `generated` is written with Go's zero time, as Helm does.
    if !lock.generated.is_empty() {
        assert_eq!(again, lock, "Chart.lock round trip\n{yaml}");
    }
    let _ = lock.generated_time();
});
