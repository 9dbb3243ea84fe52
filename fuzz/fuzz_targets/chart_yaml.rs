//! Chart.yaml: `ChartMetadata::from_yaml` never panics, and what it accepts survives
//! both encodings it is written in: the archived Chart.yaml and the OCI config JSON.
#![no_main]

use helmoci_core::metadata::ChartMetadata;
use helmoci_core::value::Value;
use libfuzzer_sys::fuzz_target;

/// Whether `v` holds a whole float (`2.0`, `0e-7`): Helm writes it as an integer (`2`), as
/// Go's yaml and JSON encoders do, so it reads back as one — a round trip Helm changes too.
fn has_whole_float(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.fract() == 0.0,
        Value::Seq(items) => items.iter().any(has_whole_float),
        Value::Map(m) => m.values().any(has_whole_float),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = helmoci_core::yaml::parse(data, "Chart.yaml");
    let Ok((md, _warnings)) = ChartMetadata::from_yaml(data, "Chart.yaml") else {
        return;
    };
    let yaml = md.to_yaml();
    let lossy = format!("{md:?}").contains("\\u{85}")
        || md
            .dependencies
            .iter()
            .any(|d| d.import_values.iter().any(has_whole_float));
    // A `<<` key is written plain, as yaml.v2 writes it, and so reads back as a merge
    // key: Helm's own round trip breaks there identically (see yaml/tests.rs).
    if yaml.contains("<<:") {
        return;
    }
    let (again, _) = ChartMetadata::from_yaml(yaml.as_bytes(), "Chart.yaml")
        .unwrap_or_else(|e| panic!("our own Chart.yaml does not parse: {e}\n{yaml}"));
    // Helm's writer is lossy where it is (a raw NEL folds to a blank, as JSON then
    // yaml.v2 do; a whole float is written as an integer): what it writes must read back
    // to itself.
    if !lossy {
        assert_eq!(again, md, "Chart.yaml round trip\n{yaml}");
    }
    assert_eq!(again.to_yaml(), yaml, "Chart.yaml encoding is not stable");
    // The config blob is JSON, which the same decoder reads (YAML is a superset).
    let json = md.to_config_json();
    if let (false, Ok((from_json, _))) = (
        lossy,
        ChartMetadata::from_yaml(json.as_bytes(), "config.json"),
    ) {
        assert_eq!(from_json.to_config_json(), json, "config JSON round trip");
    }
});
