//! Helm converts Chart.yaml and values.yaml to JSON before decoding them
//! (sigs.k8s.io/yaml): what JSON cannot hold — a NaN or infinite float outside a string
//! field, a collection as a key — fails the chart's load, wherever it sits. Against real
//! Helm: we load a chart exactly when Helm does. (Found by fuzzing: an infinite float in
//! `import-values` went into the config JSON as `inf`.)

mod support;

use std::fs;

use support::*;

/// (case, Chart.yaml lines after the required fields, values.yaml).
fn cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("import_values_inf", "dependencies:\n  - name: r\n    version: 1.0.0\n    import-values:\n      - - child: .INF\n", ""),
        ("import_values_nan", "dependencies:\n  - name: r\n    version: 1.0.0\n    import-values:\n      - {a: .nan}\n", ""),
        ("import_values_big", "dependencies:\n  - name: r\n    version: 1.0.0\n    import-values:\n      - 1e400\n", ""),
        ("unknown_field_inf", "foo: .inf\n", ""),
        ("unknown_in_maintainer", "maintainers:\n  - name: x\n    foo: .nan\n", ""),
        ("unknown_in_dependency", "dependencies:\n  - name: r\n    version: 1.0.0\n    foo: -.inf\n", ""),
        ("collection_key", "foo:\n  ? [a]\n  : b\n", ""),
        ("string_field_inf", "description: .inf\nannotations:\n  a: .inf\n", ""),
        ("unknown_field_fine", "foo: [1, {b: c}]\n", ""),
        ("values_inf", "", "a: .inf\n"),
        ("values_nested_nan", "", "a:\n  b: [1, .nan]\n"),
        ("values_second_document", "", "a: 1\n---\nb: -.Inf\n"),
        ("values_collection_key", "", "? {a: 1}\n: x\n"),
        ("values_fine", "", "a: 1e400\nb: '.inf'\n"),
    ]
}

#[test]
fn we_load_a_chart_exactly_when_helm_does() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (name, chart, values) in cases() {
        let dir = tmp.path().join(name);
        fs::create_dir_all(dir.join("charts/r")).unwrap();
        let chart = format!("apiVersion: v2\nname: x\nversion: 0.1.0\n{chart}");
        fs::write(dir.join("Chart.yaml"), chart).unwrap();
        fs::write(
            dir.join("charts/r/Chart.yaml"),
            "apiVersion: v2\nname: r\nversion: 1.0.0\n",
        )
        .unwrap();
        if !values.is_empty() {
            fs::write(dir.join("values.yaml"), values).unwrap();
        }
        dirs.push(dir.to_str().unwrap().to_owned());
    }
    let script = "out = []\nfor d in sys.argv[1:]:\n    try:\n        h.Chart.load(d)\n        out.append('')\n    except Exception as e:\n        out.append(str(e))\nprint(json.dumps(out))";
    let args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let helm: Vec<String> = serde_json::from_str(&run_helm(&py, script, &args)).unwrap();
    let mut refused = 0;
    for ((name, _, _), (dir, theirs)) in cases().into_iter().zip(dirs.iter().zip(&helm)) {
        let ours = helmoci_core::load::load(dir);
        match (&ours, theirs.is_empty()) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                refused += 1;
                let text = chain(e);
                let reason = ["json: unsupported value", "invalid map key"];
                assert!(
                    reason
                        .iter()
                        .any(|r| text.contains(r) && theirs.contains(r)),
                    "{name}: ours {text:?}, Helm's {theirs:?}"
                );
            }
            (Ok(_), false) => panic!("{name}: we load it, Helm refuses it: {theirs}"),
            (Err(e), true) => panic!("{name}: Helm loads it, we refuse it: {e}"),
        }
    }
    assert_eq!(refused, 10);
}

#[test]
fn the_config_json_never_holds_what_json_cannot() {
    // Every float that reaches the metadata is finite, so the config is valid JSON.
    let chart = b"apiVersion: v2\nname: x\nversion: 0.1.0\ndependencies:\n  - name: r\n    version: 1.0.0\n    import-values:\n      - [{a: 1.5e300}, {b: -0.0}]\n";
    let (md, _) = helmoci_core::ChartMetadata::from_yaml(chart, "Chart.yaml").unwrap();
    let json = md.to_config_json();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        parsed["dependencies"][0]["import-values"][0][0]["a"],
        1.5e300
    );
}
