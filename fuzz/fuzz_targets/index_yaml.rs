//! Repository `index.yaml` (YAML or JSON). Parsing never panics; what parses is written
//! back (YAML and JSON) to text that parses to the same index, and writing is stable.
#![no_main]

use helmoci_core::index::IndexFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(index) = IndexFile::parse(data, "index.yaml") else {
        return;
    };
    let yaml = index.to_yaml();
    let again = IndexFile::parse(yaml.as_bytes(), "index.yaml")
        .unwrap_or_else(|e| panic!("our own index.yaml does not parse: {e}\n{yaml}"));
    assert_eq!(again.to_yaml(), yaml, "index.yaml writing is not stable");
    let json = index.to_json();
    let from_json = IndexFile::parse(json.as_bytes(), "index.json")
        .unwrap_or_else(|e| panic!("our own index JSON does not parse: {e}\n{json}"));
    assert_eq!(from_json.to_yaml(), yaml, "JSON and YAML disagree");
});
