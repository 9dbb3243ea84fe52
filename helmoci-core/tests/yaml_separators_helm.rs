//! U+2028 and U+2029 against real Helm: its YAML 1.1 parser reads them as line breaks, ours
//! (YAML 1.2) as characters. Where we accept a Chart.yaml holding one, Helm must read the
//! same metadata; everywhere else we refuse the file with an error naming the character
//! (Helm then fails too, or reads something a YAML 1.2 reader cannot see).

mod support;

use std::fs;

use support::*;

const LS: &str = "\u{2028}";
const PS: &str = "\u{2029}";

/// (case, lines after the required fields, whether we accept it).
fn cases() -> Vec<(&'static str, String, bool)> {
    vec![
        ("dq_mid", format!("description: \"a{LS}b\"\n"), true),
        ("sq_mid", format!("description: 'a{LS}b'\n"), true),
        ("dq_paragraph", format!("description: \"a{PS}b\"\n"), true),
        ("dq_start", format!("description: \"{LS}b\"\n"), true),
        ("dq_end", format!("description: \"a{LS}\"\n"), true),
        ("flow_seq", format!("keywords: [\"a{LS}b\", c]\n"), true),
        (
            "after_document",
            format!("description: d\n---\n# {LS}\n"),
            true,
        ),
        // libyaml drops the blanks around the break: "a<LS>b", not "a<LS> b".
        (
            "dq_blank_after",
            format!("description: \"a{LS} b\"\n"),
            true,
        ),
        (
            "dq_blank_before",
            format!("description: \"a {LS}b\"\n"),
            true,
        ),
        ("dq_two", format!("description: \"a{LS}{LS}b\"\n"), true),
        // An escaped line break: Helm reads "ab", and so do we.
        ("dq_backslash", format!("description: \"a\\{LS}b\"\n"), true),
        (
            "dq_backslash_nested",
            format!("keywords:\n  - \"a\\{PS}   b\"\n  - c\n"),
            true,
        ),
        // What Helm's own writer makes of "a<LS>b" in a map.
        (
            "yaml_v2_output",
            format!("annotations:\n  k: 'a{LS}    b'\n  j: 'x{PS}'\n"),
            true,
        ),
        (
            "crlf_folding",
            format!("description: \"a \r\n {LS}\r\n\r\n  b  c\"\n"),
            true,
        ),
        (
            "escapes_and_tabs",
            format!("description: \"\\x41\\t{LS}\t\\u00e9 \\\"q\\\" {PS}\t \"\n"),
            true,
        ),
        (
            "sq_doubled_quote",
            format!("description: 'it''s{LS}  ''x'' {LS}'\n"),
            true,
        ),
        (
            "flow_map_value",
            format!("annotations: {{k: \"a{LS}  b\", j: 'c {PS} d'}}\n"),
            true,
        ),
        (
            "start_then_blanks",
            format!("keywords:\n  - \"{LS}   b\"\n  - '\n    {PS}  c'\n"),
            true,
        ),
        ("dq_dashes", format!("description: \"a{LS}---b\"\n"), true),
        // Helm: "found unexpected document indicator".
        ("dq_marker", format!("description: \"a{LS}--- b\"\n"), false),
        // Helm: "could not find expected ':'".
        ("plain", format!("description: a{LS}b\n"), false),
        ("literal", format!("description: |\n  a{LS}b\n"), false),
        // Helm: "mapping values are not allowed in this context".
        (
            "quoted_key",
            format!("annotations:\n  \"a{LS}b\": v\n"),
            false,
        ),
        // Helm sees a key that a YAML 1.2 reader reads as part of the comment.
        (
            "comment_hides_key",
            format!("# c{LS}appVersion: \"9\"\n"),
            false,
        ),
    ]
}

#[test]
fn where_we_read_a_separator_helm_reads_the_same() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (name, extra, _) in cases() {
        let dir = tmp.path().join(name);
        fs::create_dir_all(&dir).unwrap();
        let text = format!("apiVersion: v2\nname: {}\nversion: 0.1.0\n{extra}", "x");
        fs::write(dir.join("Chart.yaml"), text).unwrap();
        dirs.push(dir.to_str().unwrap().to_owned());
    }
    let script = "out = []\nfor d in sys.argv[1:]:\n    try:\n        m = h.Chart.load(d).metadata\n        out.append({k: m.get(k) for k in ('description', 'appVersion', 'keywords', 'annotations')})\n    except Exception as e:\n        out.append({'error': str(e)})\nprint(json.dumps(out))";
    let args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let helm: Vec<serde_json::Value> = serde_json::from_str(&run_helm(&py, script, &args)).unwrap();
    for ((name, _, accepted), (dir, theirs)) in cases().into_iter().zip(dirs.iter().zip(&helm)) {
        let ours = helmoci_core::load::load(dir);
        match ours {
            Ok(chart) => {
                assert!(accepted, "{name}: read, but should be refused");
                let md = chart.metadata;
                let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
                assert_eq!(md.description, text(&theirs["description"]), "{name}");
                assert_eq!(md.app_version, text(&theirs["appVersion"]), "{name}");
                let keywords: Vec<String> = theirs["keywords"]
                    .as_array()
                    .map(|a| a.iter().map(text).collect())
                    .unwrap_or_default();
                assert_eq!(md.keywords, keywords, "{name}");
                let annotations: std::collections::BTreeMap<String, String> = theirs["annotations"]
                    .as_object()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                    .unwrap_or_default();
                assert_eq!(md.annotations, annotations, "{name}");
                assert!(theirs.get("error").is_none(), "{name}: Helm {theirs}");
            }
            Err(e) => {
                assert!(!accepted, "{name}: refused: {e}");
                let message = chain(&e);
                assert!(
                    message.contains("U+2028") || message.contains("U+2029"),
                    "{name}: {message}"
                );
                assert!(message.contains("Chart.yaml"), "{name}: {message}");
            }
        }
    }
}

#[test]
fn the_refusal_names_the_place() {
    let err =
        helmoci_core::yaml::parse(format!("a: 1\n# note{LS}b: 2\n").as_bytes(), "values.yaml")
            .unwrap_err()
            .to_string();
    assert!(err.starts_with("values.yaml:2:7: "), "{err}");
    assert!(err.contains("U+2028 (line separator)"), "{err}");
}

/// What we write, Helm and we read back: a value with both `\n` and a separator is not a
/// literal block (yaml.v2 writes one, which a YAML 1.2 reader reads differently and we
/// refuse), nor a key a single-quoted scalar; both are double-quoted with `\L`/`\P`.
#[test]
fn separators_we_write_read_back_in_helm_and_in_helmoci() {
    use helmoci_core::package::{package, PackageOptions};
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sep");
    // Escapes in the source: no raw separator, so every reader agrees on these values.
    let chart_yaml = "apiVersion: v2\nname: sep\nversion: 0.1.0\nannotations:\n  multi: \"one\\ntwo\\Lthree\\nfour\"\n  \"k\\Ly\": \"v\\P w\"\n  plain: \"a\\Lb\"\n";
    write_chart(&dir, &[("Chart.yaml", chart_yaml.as_bytes())]);
    let packaged = package(
        &dir,
        &PackageOptions {
            destination: tmp.path().join("out"),
            ..PackageOptions::default()
        },
    )
    .unwrap();
    // The Chart.yaml in the archive, as written.
    let tar = gunzip(&packaged.path);
    let mut archive = tar::Archive::new(&tar[..]);
    let mut written = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("Chart.yaml") {
            std::io::Read::read_to_string(&mut entry, &mut written).unwrap();
        }
    }
    assert!(
        written.contains("  multi: \"one\\ntwo\\Lthree\\nfour\"\n"),
        "{written}"
    );
    assert!(written.contains("? \"k\\Ly\"\n"), "{written}");
    let md = helmoci_core::load::load(&packaged.path).unwrap().metadata;
    assert_eq!(md.annotations["multi"], "one\ntwo\u{2028}three\nfour");
    assert_eq!(md.annotations["k\u{2028}y"], "v\u{2029} w");
    assert_eq!(md.annotations["plain"], "a\u{2028}b");
    let script = "m = h.Chart.load(sys.argv[1]).metadata\nprint(json.dumps({'annotations': m.get('annotations')}))";
    let helm: serde_json::Value =
        serde_json::from_str(&run_helm(&py, script, &[packaged.path.to_str().unwrap()])).unwrap();
    assert_eq!(helm["annotations"]["multi"], "one\ntwo\u{2028}three\nfour");
    assert_eq!(helm["annotations"]["k\u{2028}y"], "v\u{2029} w");
    assert_eq!(helm["annotations"]["plain"], "a\u{2028}b");
}
