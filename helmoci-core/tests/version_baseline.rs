//! Versions and constraints against real Helm.
//!
//! `tests/fixtures/baseline/version_baseline.json` is written by
//! `make_version_baseline.py`, which asks Helm v4's SDK (a `dependency update` with one
//! `file://` dependency per version, and `package` per chart version) and records the
//! answers. This test reads only the committed JSON; it needs no Python.

use helmoci_core::version::{ChartVersion, VersionReq};
use helmoci_core::Error;
use serde_json::Value;

const BASELINE: &str = include_str!("fixtures/baseline/version_baseline.json");

/// Sizes of the committed baseline; a regenerated fixture must update these on purpose.
const VERSIONS: usize = 49;
const CONSTRAINTS: usize = 155;
const CHART_VERSIONS: usize = 35;

fn doc() -> Value {
    serde_json::from_str(BASELINE).expect("baseline is JSON")
}

#[test]
fn constraints_match_helm() {
    let doc = doc();
    let versions: Vec<(String, ChartVersion)> = doc["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            let text = v.as_str().expect("a string").to_owned();
            let parsed = text.parse().expect("baseline versions are valid");
            (text, parsed)
        })
        .collect();
    assert_eq!(versions.len(), VERSIONS);
    let cases = doc["constraints"].as_array().expect("constraints");
    assert_eq!(cases.len(), CONSTRAINTS);

    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases {
        let text = case["constraint"].as_str().expect("constraint");
        let ours = text.parse::<VersionReq>();
        if let Some(helm) = case["error"].as_str() {
            match ours {
                Err(err @ Error::InvalidConstraint { .. }) if helm.ends_with(&err.to_string()) => {}
                Err(Error::InvalidConstraintVersion { .. })
                    if helm.ends_with("constraint parser error") => {}
                other => failures.push(format!("{text:?}: Helm says {helm:?}, we say {other:?}")),
            }
            continue;
        }
        let req = match ours {
            Ok(req) => req,
            Err(err) => {
                failures.push(format!("{text:?}: Helm accepts it, we fail with {err}"));
                continue;
            }
        };
        let matches = case["matches"].as_array().expect("matches");
        assert_eq!(matches.len(), VERSIONS);
        for ((vtext, version), helm) in versions.iter().zip(matches) {
            let helm = helm.as_bool().expect("a bool");
            checked += 1;
            if req.matches(version) != helm {
                failures.push(format!("{text:?} on {vtext}: Helm says {helm}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences from Helm ({checked} pairs checked):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn chart_versions_match_helm() {
    let doc = doc();
    let cases = doc["chart_versions"].as_array().expect("chart_versions");
    assert_eq!(cases.len(), CHART_VERSIONS);
    let mut failures = Vec::new();
    for case in cases {
        let text = case["version"].as_str().expect("version");
        let ours = text.parse::<ChartVersion>();
        match (case["archive"].as_str(), ours) {
            (Some(archive), Ok(v)) => {
                // Helm names the archive with the version as written.
                if archive != format!("c-{}.tgz", v.original()) {
                    failures.push(format!("{text:?}: Helm wrote {archive}"));
                }
            }
            (None, Err(Error::InvalidVersion { .. })) => {}
            (helm, ours) => failures.push(format!("{text:?}: Helm {helm:?}, ours {ours:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
