//! `.helmignore` against real Helm.
//!
//! `tests/fixtures/baseline/ignore_baseline.json` is written by
//! `make_ignore_baseline.py`, which packages one chart per case with Helm v4's SDK and
//! records the archive's entries. Here the same file lists go through [`IgnoreRules`]
//! the way Helm's directory loader walks them (an ignored directory is pruned whole),
//! then through the loader's own `charts/` rules, and must leave exactly the files Helm
//! archived, or fail where Helm failed. This test reads only the committed JSON; it needs
//! no Python.

use std::collections::BTreeSet;

use helmoci_core::ignore::IgnoreRules;
use helmoci_core::Error;
use serde_json::Value;

/// Cases in the committed baseline; a regenerated fixture with more or fewer cases must
/// update this on purpose.
const CASES: usize = 53;

const BASELINE: &str = include_str!("fixtures/baseline/ignore_baseline.json");

/// The files Helm's walk keeps: no ignored ancestor directory, not ignored itself.
fn walk(rules: &IgnoreRules, files: &[String]) -> BTreeSet<String> {
    files
        .iter()
        .filter(|f| {
            let parts: Vec<&str> = f.split('/').collect();
            let pruned = (1..parts.len()).any(|i| rules.ignores(&parts[..i].join("/"), true));
            !pruned && !rules.ignores(f, false)
        })
        .cloned()
        .collect()
}

/// The loader's `charts/` rules (Helm's `LoadFiles`): `.prov` files stay with the parent,
/// `charts/_x` and `charts/.x` vanish, `charts/<x>/...` is a subchart (recursively).
fn loader_keeps(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let mut i = 0;
    while parts.len() > i + 1 && parts[i] == "charts" {
        if path.ends_with(".prov") {
            return true;
        }
        let sub = parts[i + 1];
        if sub.starts_with('_') || sub.starts_with('.') {
            return false;
        }
        i += 2;
    }
    true
}

/// The chart roots ("" and `charts/<x>/` prefixes) that have files but no Chart.yaml.
fn missing_chart_yaml(kept: &BTreeSet<String>) -> Option<String> {
    let mut roots = BTreeSet::from([String::new()]);
    for f in kept {
        let parts: Vec<&str> = f.split('/').collect();
        let mut i = 0;
        while parts.len() > i + 2 && parts[i] == "charts" {
            roots.insert(format!("{}/", parts[..i + 2].join("/")));
            i += 2;
        }
    }
    roots
        .into_iter()
        .find(|root| !kept.contains(&format!("{root}Chart.yaml")))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn helmignore_matches_helm_package() {
    let doc: Value = serde_json::from_str(BASELINE).expect("baseline is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), CASES, "case count of the committed baseline");

    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let files = strings(&case["files"]);
        let helm_error = case["error"].as_str();
        let parsed = match case["helmignore"].as_str() {
            None => Ok(IgnoreRules::default()),
            Some(text) => IgnoreRules::parse(text),
        };
        let rules = match (parsed, helm_error) {
            (Ok(rules), _) => rules,
            (Err(Error::IgnoreDoubleStar { .. }), Some(e)) if e.contains("double-star") => continue,
            (Err(Error::IgnorePattern { .. }), Some(e))
                if e.contains("syntax error in pattern") =>
            {
                continue
            }
            (Err(err), helm) => {
                failures.push(format!("{name}: we failed with {err}, Helm gave {helm:?}"));
                continue;
            }
        };
        let kept: BTreeSet<String> = walk(&rules, &files)
            .into_iter()
            .filter(|f| loader_keeps(f))
            .collect();
        match (helm_error, missing_chart_yaml(&kept)) {
            (Some(e), Some(root)) if e.contains("Chart.yaml file is missing") => {
                let sub = root.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                if !root.is_empty() && !e.contains(&format!("subchart {sub} ")) {
                    failures.push(format!(
                        "{name}: Helm failed with {e:?}, we miss {root}Chart.yaml"
                    ));
                }
            }
            (Some(e), missing) => {
                failures.push(format!(
                    "{name}: Helm failed with {e:?}; we predict missing Chart.yaml in {missing:?}"
                ));
            }
            (None, Some(root)) => {
                failures.push(format!(
                    "{name}: Helm packaged it, but we drop {root}Chart.yaml"
                ));
            }
            (None, None) => {
                let archived: BTreeSet<String> = strings(&case["archived"]).into_iter().collect();
                if archived != kept {
                    let extra: Vec<_> = kept.difference(&archived).collect();
                    let missing: Vec<_> = archived.difference(&kept).collect();
                    failures.push(format!(
                        "{name}: we keep {extra:?} that Helm drops, and drop {missing:?} that Helm keeps"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {CASES} cases differ from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
