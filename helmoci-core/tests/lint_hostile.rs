//! `helmoci_core::lint` on hostile and broken charts: always a report, never a panic, a
//! hang, a network access or a read outside the chart.

use std::fs;
use std::path::Path;

use helmoci_core::lint::{lint, LintOptions, LintReport, Severity};
use proptest::prelude::*;

fn chart(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, data) in files {
        let p = dir.path().join(name);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, data).expect("write");
    }
    dir
}

fn run(dir: &Path) -> LintReport {
    lint(dir, &LintOptions::default()).expect("lint returns a report")
}

const CHART: &[u8] = b"apiVersion: v2\nname: h\nversion: 1.0.0\nicon: https://x.io/i.png\n";

/// The errors about `values.yaml` (Helm repeats schema failures at `templates/`).
fn errors(r: &LintReport) -> Vec<String> {
    r.messages
        .iter()
        .filter(|m| m.severity == Severity::Error && m.path == "values.yaml")
        .map(ToString::to_string)
        .collect()
}

#[test]
fn schema_refs_outside_the_file_are_refused_not_fetched() {
    for reference in [
        "file:///dev/zero",
        "https://example.invalid/s.json",
        "/etc/passwd",
    ] {
        let schema = format!(r#"{{"properties": {{"a": {{"$ref": "{reference}"}}}}}}"#);
        let dir = chart(&[
            ("Chart.yaml", CHART),
            ("templates/cm.yaml", b"a: b\n"),
            ("values.yaml", b"a: 1\n"),
            ("values.schema.json", schema.as_bytes()),
        ]);
        let errs = errors(&run(dir.path()));
        assert_eq!(errs.len(), 1, "{reference}: {errs:?}");
        assert!(errs[0].contains("refused"), "{reference}: {errs:?}");
    }
}

#[test]
fn urn_refs_are_permissive_as_in_helm() {
    let dir = chart(&[
        ("Chart.yaml", CHART),
        ("templates/cm.yaml", b"a: b\n"),
        ("values.yaml", b"a: 1\n"),
        (
            "values.schema.json",
            br#"{"properties": {"a": {"$ref": "urn:x:y"}}}"#,
        ),
    ]);
    assert_eq!(errors(&run(dir.path())), Vec::<String>::new());
}

#[test]
fn deeply_nested_values_with_a_recursive_schema_do_not_overflow() {
    let mut values = String::from("a:\n");
    for depth in 1..=900 {
        values.push_str(&"  ".repeat(depth));
        values.push_str("k:\n");
    }
    values.push_str(&"  ".repeat(901));
    values.push_str("1\n");
    let dir = chart(&[
        ("Chart.yaml", CHART),
        ("templates/cm.yaml", b"a: b\n"),
        ("values.yaml", values.as_bytes()),
        (
            "values.schema.json",
            br##"{"type": "object", "additionalProperties": {"$ref": "#"}}"##,
        ),
    ]);
    let errs = errors(&run(dir.path()));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("got number, want object") || errs[0].contains("got integer, want object"),
        "{}",
        &errs[0][errs[0].len().saturating_sub(200)..]
    );
}

#[test]
fn an_archive_that_is_not_gzip_is_a_failure_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x-1.0.0.tgz");
    fs::write(&p, b"not gzip at all").expect("write");
    let report = lint(&p, &LintOptions::default()).expect("a report");
    let failure = report.failure.clone().unwrap_or_default();
    assert!(
        failure.starts_with("unable to extract tarball: "),
        "{failure}"
    );
    assert!(report.has_failed(false));
}

#[test]
fn a_missing_path_is_a_failure() {
    let report = lint(Path::new("/nonexistent/chart"), &LintOptions::default()).expect("report");
    assert_eq!(
        report.failure.as_deref(),
        Some("unable to check Chart.yaml file in chart: stat /nonexistent/chart/Chart.yaml: no such file or directory")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_files_never_panic(
        chart_yaml in proptest::collection::vec(any::<u8>(), 0..200),
        values in proptest::collection::vec(any::<u8>(), 0..200),
        schema in proptest::collection::vec(any::<u8>(), 0..200),
        crd in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let dir = chart(&[
            ("Chart.yaml", &chart_yaml),
            ("values.yaml", &values),
            ("values.schema.json", &schema),
            ("crds/x.yaml", &crd),
            ("templates/cm.yaml", b"a: b\n"),
        ]);
        let report = run(dir.path());
        prop_assert!(report.failure.is_none());
    }

    #[test]
    fn yamlish_chart_files_never_panic(
        chart_yaml in "(apiVersion|name|version|maintainers|dependencies|icon|sources|type|x)(: |:\n  - )[-a-z0-9.:/ \\[\\]{}~]{0,30}\n{0,3}",
        values in "[a-z]{1,3}: [-\\[\\]{}a-z0-9 ]{0,20}\n",
        schema in r##"\{"(type|required|properties|items|\$ref|enum)": (\[|\{|"[a-z#/]{0,8}"|1|true)[\]\}]{0,2}\}"##,
    ) {
        let dir = chart(&[
            ("Chart.yaml", chart_yaml.as_bytes()),
            ("values.yaml", values.as_bytes()),
            ("values.schema.json", schema.as_bytes()),
        ]);
        let _ = run(dir.path());
    }
}
