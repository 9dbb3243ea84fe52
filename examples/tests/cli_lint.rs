//! `helmoci lint` through the real binary: Helm's output format, exit codes and flags, on
//! the fixture charts whose findings `helmoci-core/tests/lint_baseline.rs` pins to Helm's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn charts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../helmoci-core/tests/fixtures/lint")
}

/// Runs `helmoci lint ARGS...` from the lint fixtures directory.
fn lint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helmoci"))
        .arg("lint")
        .args(args)
        .current_dir(charts())
        .output()
        .expect("run helmoci")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn clean_chart_passes_with_helms_summary() {
    let out = lint(&["charts/good"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "==> Linting charts/good\n\n1 chart(s) linted, 0 chart(s) failed\n"
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn info_and_warnings_do_not_fail_without_strict() {
    let out = lint(&["charts/minimal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "==> Linting charts/minimal\n\
         [INFO] Chart.yaml: icon is recommended\n\
         [INFO] values.yaml: file does not exist\n\
         [WARNING] templates/: directory does not exist\n\
         \n\
         1 chart(s) linted, 0 chart(s) failed\n"
    );
}

#[test]
fn strict_fails_on_warnings() {
    let out = lint(&["--strict", "charts/minimal"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("[WARNING] templates/: directory does not exist\n"));
    assert!(!stdout(&out).contains("chart(s) linted"));
    assert_eq!(
        stderr(&out),
        "Error: 1 chart(s) linted, 1 chart(s) failed\n"
    );
}

#[test]
fn errors_fail_and_print_helms_lines() {
    let out = lint(&["charts/version-float"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "==> Linting charts/version-float\n\
         [ERROR] Chart.yaml: version should be of type string but it's of type float64\n\
         [ERROR] Chart.yaml: appVersion should be of type string but it's of type float64\n\
         [WARNING] Chart.yaml: version '1.1' is not a valid SemVerV2\n\n"
    );
    assert_eq!(
        stderr(&out),
        "Error: 1 chart(s) linted, 1 chart(s) failed\n"
    );
}

#[test]
fn json_lists_every_chart_and_message_with_the_same_exit_code() {
    let out = lint(&["--json", "charts/minimal", "charts/version-float", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "Error: 3 chart(s) linted, 2 chart(s) failed\n"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let charts = json.as_array().unwrap();
    assert_eq!(charts.len(), 3);
    assert_eq!(
        charts[0],
        serde_json::json!({
            "path": "charts/minimal",
            "failed": false,
            "failure": null,
            "messages": [
                {"severity": "info", "path": "Chart.yaml", "message": "icon is recommended"},
                {"severity": "info", "path": "values.yaml", "message": "file does not exist"},
                {"severity": "warning", "path": "templates/", "message": "directory does not exist"},
            ],
        })
    );
    assert_eq!(charts[1]["failed"], true);
    assert_eq!(
        charts[1]["messages"][0],
        serde_json::json!({
            "severity": "error",
            "path": "Chart.yaml",
            "message": "version should be of type string but it's of type float64",
        })
    );
    assert_eq!(charts[2]["failed"], true);
    assert!(charts[2]["failure"].as_str().unwrap().contains("nope"));

    // --strict fails the warning; --quiet drops the info messages.
    let out = lint(&["--json", "--strict", "--quiet", "charts/minimal"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json[0]["failed"], true);
    assert_eq!(json[0]["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn several_paths_count_failures() {
    let out = lint(&[
        "charts/good",
        "charts/urls-bad",
        "archives/urls-bad-1.0.0.tgz",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("==> Linting charts/good\n\n==> Linting charts/urls-bad\n"));
    assert!(text.contains(
        "==> Linting archives/urls-bad-1.0.0.tgz\n[ERROR] Chart.yaml: invalid source URL 'not a url'\n"
    ));
    assert_eq!(
        stderr(&out),
        "Error: 3 chart(s) linted, 2 chart(s) failed\n"
    );
}

#[test]
fn quiet_hides_clean_charts_and_info() {
    let out = lint(&["--quiet", "charts/good", "charts/minimal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "==> Linting charts/minimal\n\
         [WARNING] templates/: directory does not exist\n\
         \n\
         2 chart(s) linted, 0 chart(s) failed\n"
    );
    let out = lint(&["--quiet", "charts/good"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "", "nothing to say about a clean chart");
}

#[test]
fn not_a_chart_is_an_error_line() {
    let out = lint(&["charts/no-chart-yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "==> Linting charts/no-chart-yaml\n\
         Error unable to check Chart.yaml file in chart: stat charts/no-chart-yaml/Chart.yaml: no such file or directory\n\n"
    );
}

#[test]
fn with_subcharts_lints_charts_below() {
    let out = lint(&["--with-subcharts", "charts/with-sub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("==> Linting charts/with-sub\n"), "{text}");
    assert!(
        text.contains("==> Linting charts/with-sub/charts/child\n"),
        "{text}"
    );
    assert!(
        text.ends_with("2 chart(s) linted, 0 chart(s) failed\n"),
        "{text}"
    );
}

#[test]
fn a_path_is_required() {
    let out = lint(&[]);
    assert_eq!(out.status.code(), Some(2));
}
