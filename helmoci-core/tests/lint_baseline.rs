//! `helmoci_core::lint` against real Helm's `helm lint` (v4.2.3, through the Python SDK).
//!
//! `fixtures/lint/make_lint_baseline.py` ran Helm over every chart in
//! `fixtures/lint/charts/` and `fixtures/lint/archives/` and recorded its findings in
//! `fixtures/lint/lint_baseline.json`. For every case, our (severity, path, message) list
//! must equal Helm's after:
//! - dropping what only template rendering finds (anything under `templates/` other than
//!   the directory checks, the chart-load error and the schema check), and the schema
//!   check at `templates/` for charts with dependencies or subcharts (not reproduced);
//! - normalizing text that quotes another library's wording: YAML syntax errors (libyaml's
//!   words and line vs saphyr's) and metaschema failures (only the first line is
//!   compared); the absolute chart directory becomes `<chart>`; and the order of sibling
//!   `- at ...` schema errors (Helm's follows Go map order) is sorted.
//!
//! `committed_baseline_is_current` re-runs the script with real Helm when it is available
//! (`HELMOCI_PYTHON`, else `/tmp/hvenv/bin/python`); with `CI=true` a missing Helm fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use helmoci_core::lint::{lint, LintOptions, LintReport};
use serde_json::Value;

const CASES: usize = 48;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn baseline() -> Value {
    let text = std::fs::read_to_string(fixtures().join("lint_baseline.json")).expect("baseline");
    serde_json::from_str(&text).expect("baseline is JSON")
}

fn is_bullet(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    line[indent..].starts_with("- ").then_some(indent)
}

fn sort_tree(lines: &[&str]) -> Vec<String> {
    let Some(base) = lines.first().and_then(|l| is_bullet(l)) else {
        return Vec::new();
    };
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in lines {
        if is_bullet(line) == Some(base) || blocks.is_empty() {
            blocks.push(Vec::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    let mut sorted: Vec<Vec<String>> = blocks
        .iter()
        .map(|b| {
            let mut v = vec![b[0].to_owned()];
            v.extend(sort_tree(&b[1..]));
            v
        })
        .collect();
    sorted.sort_by_key(|b| b.join("\n"));
    sorted.into_iter().flatten().collect()
}

/// The same canonical form the generator script writes.
fn canonical(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if is_bullet(lines[i]).is_some() {
            let mut j = i;
            while j < lines.len() && is_bullet(lines[j]).is_some() {
                j += 1;
            }
            out.extend(sort_tree(&lines[i..j]));
            i = j;
        } else {
            out.push(lines[i].to_owned());
            i += 1;
        }
    }
    out.join("\n")
}

/// Cuts text that quotes another library's words down to what we reproduce.
fn approximate(message: &str) -> String {
    let message = canonical(message);
    if let Some(i) = message.find("error converting YAML to JSON: yaml: ") {
        return format!(
            "{}error converting YAML to JSON: yaml: <syntax error>",
            &message[..i]
        );
    }
    if message.contains("is not valid against metaschema") {
        return message.lines().next().unwrap_or_default().to_owned();
    }
    message
}

fn is_rendering(path: &str, message: &str, has_dependencies: bool) -> bool {
    (path.starts_with("templates/") && path != "templates/")
        || (has_dependencies
            && message.starts_with("values don't meet the specifications of the schema"))
}

/// Whether the fixture chart has subcharts or declares dependencies.
fn has_dependencies(chart: &Path) -> bool {
    chart.join("charts").exists()
        || std::fs::read_to_string(chart.join("Chart.yaml"))
            .is_ok_and(|y| y.contains("dependencies:"))
        || chart.join("requirements.yaml").exists()
}

fn helm_side(case: &Value, deps: bool) -> Vec<(u64, String, String)> {
    case["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let path = m["path"].as_str().unwrap_or_default().to_owned();
            let error = m["error"].as_str().unwrap_or_default();
            if is_rendering(&path, error, deps) {
                return None;
            }
            Some((
                m["severity"].as_u64().unwrap_or(0),
                path,
                approximate(error),
            ))
        })
        .collect()
}

fn our_side(report: &LintReport, chart: &Path) -> Vec<(u64, String, String)> {
    let abs = std::path::absolute(chart).expect("absolute path");
    let abs = abs.to_string_lossy();
    let shown = chart.to_string_lossy();
    report
        .messages
        .iter()
        .map(|m| {
            let fix = |s: &str| {
                s.replace(abs.as_ref(), "<chart>")
                    .replace(shown.as_ref(), "<chart>")
            };
            (
                u64::from(m.severity.helm_code()),
                fix(&m.path),
                approximate(&fix(&m.message)),
            )
        })
        .collect()
}

#[test]
fn every_case_matches_helm() {
    let base = baseline();
    let cases = base["cases"].as_object().expect("cases");
    assert_eq!(cases.len(), CASES, "case count");
    let mut mismatches = Vec::new();
    for (name, case) in cases {
        let path = fixtures().join(if name.starts_with("archives/") {
            name.clone()
        } else {
            format!("charts/{name}")
        });
        let report = lint(&path, &LintOptions::default()).expect("lint runs");
        if case["total_charts_linted"].as_u64() == Some(0) {
            let helm = case["errors"][0].as_str().unwrap_or_default();
            let ours = report.failure.clone().unwrap_or_default();
            let ours = ours.replace(path.to_string_lossy().as_ref(), "<chart>");
            if ours != helm {
                mismatches.push(format!("{name}: failure {ours:?} != Helm's {helm:?}"));
            }
            continue;
        }
        assert!(report.failure.is_none(), "{name}: {:?}", report.failure);
        let (ours, helm) = (
            our_side(&report, &path),
            helm_side(case, has_dependencies(&path)),
        );
        if ours != helm {
            mismatches.push(format!("{name}:\n  ours: {ours:#?}\n  helm: {helm:#?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_fixture_chart_has_a_baseline_case() {
    let base = baseline();
    let cases = base["cases"].as_object().expect("cases");
    for entry in std::fs::read_dir(fixtures().join("charts")).expect("charts dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            cases.contains_key(&name),
            "{name} has no baseline case; run the script"
        );
    }
}

fn helm_python() -> Option<PathBuf> {
    let candidates = std::env::var_os("HELMOCI_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/tmp/hvenv/bin/python")]);
    for p in candidates {
        let ok = Command::new(&p)
            .args(["-c", "import helm_python"])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(p);
        }
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "CI=true but no Python with helm_python (set HELMOCI_PYTHON)"
    );
    eprintln!("note: skipping, no Python with helm_python (set HELMOCI_PYTHON)");
    None
}

#[test]
fn committed_baseline_is_current() {
    let Some(python) = helm_python() else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let json = out.path().join("lint_baseline.json");
    let status = Command::new(python)
        .arg(fixtures().join("make_lint_baseline.py"))
        .arg("--out")
        .arg(&json)
        .status()
        .expect("run the generator");
    assert!(status.success(), "make_lint_baseline.py failed");
    let fresh = std::fs::read_to_string(&json).expect("fresh baseline");
    let committed =
        std::fs::read_to_string(fixtures().join("lint_baseline.json")).expect("baseline");
    assert!(
        fresh == committed,
        "Helm's findings changed; rerun fixtures/lint/make_lint_baseline.py and review"
    );
}
