//! Helm's `rules.ValuesWithOverrides`, the non-rendering part of `rules.Templates`,
//! `rules.Dependencies` and `rules.Crds`.

use std::collections::BTreeSet;
use std::fs;

use crate::chart::Chart;

use crate::value::Value;
use crate::yaml::{self, NodeValue};

use super::{go_io, go_yaml_error, schema, Linter, Severity};

/// `values.yaml` exists ([INFO] otherwise), parses as a mapping, and conforms to
/// `values.schema.json` when there is one.
pub(super) fn values(l: &mut Linter, skip_schema: bool) {
    const FILE: &str = "values.yaml";
    let path = l.dir.join(FILE);
    if fs::metadata(&path).is_err() {
        l.rule(Severity::Info, FILE, Err("file does not exist".into()));
        return;
    }
    let result = check_values(l, skip_schema);
    l.rule(Severity::Error, FILE, result);
}

fn check_values(l: &Linter, skip_schema: bool) -> Result<(), String> {
    let path = l.dir.join("values.yaml");
    let bytes =
        fs::read(&path).map_err(|e| format!("unable to parse YAML: read {}", go_io(&path, &e)))?;
    let values = read_values(&bytes).map_err(|e| format!("unable to parse YAML: {e}"))?;
    let schema = fs::read(l.dir.join("values.schema.json")).unwrap_or_default();
    if schema.is_empty() || skip_schema {
        return Ok(());
    }
    schema::validate(&values, &schema)
}

/// `common.ReadValues`: the first YAML document, which must be a mapping (or empty).
fn read_values(bytes: &[u8]) -> Result<Value, String> {
    let Some(node) = yaml::parse(bytes, "values.yaml").map_err(|e| go_yaml_error(&e, ""))? else {
        return Ok(Value::Map(Default::default()));
    };
    match node.try_resolve("values.yaml") {
        Ok(v @ Value::Map(_)) => Ok(v),
        Ok(Value::Null) => Ok(Value::Map(Default::default())),
        Ok(other) => {
            let found = match other {
                Value::Seq(_) => "array",
                Value::Bool(_) => "bool",
                Value::Int(_) | Value::Float(_) => "number",
                _ => "string",
            };
            Err(format!("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {found} into Go value of type common.Values"))
        }
        Err(e) => Err(go_yaml_error(&e, "common.Values")),
    }
}

/// `templates/` exists ([WARNING] otherwise), is a directory, the chart loads, and the
/// chart's values conform to its schema. Helm then renders the templates; that part is not
/// done here.
///
/// # Deviation from Helm
/// Helm checks the schema here against the values coalesced with every enabled subchart's
/// (conditions, tags, `import-values`, globals). That coalescing is not reproduced, so the
/// check runs only for charts without dependencies or subcharts.
pub(super) fn templates(l: &mut Linter, skip_schema: bool) {
    const DIR: &str = "templates/";
    let meta = match fs::metadata(l.dir.join("templates")) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            l.rule(
                Severity::Warning,
                DIR,
                Err("directory does not exist".into()),
            );
            return;
        }
        Err(e) => {
            l.rule(Severity::Error, DIR, Err(e.to_string()));
            return;
        }
        Ok(m) => m,
    };
    if !meta.is_dir() {
        l.rule(Severity::Error, DIR, Err("not a directory".into()));
        return;
    }
    let checked = l.chart().map(|chart| {
        if skip_schema || !chart.subcharts.is_empty() || !chart.metadata.dependencies.is_empty() {
            return Ok(());
        }
        coalesced_schema_check(chart)
    });
    match checked {
        Ok(result) => l.rule(Severity::Error, DIR, result),
        Err(e) => l.rule(Severity::Error, DIR, Err(e)),
    };
}

/// `ToRenderValuesWithSchemaValidation` for a chart without subcharts: its values (all
/// documents of `values.yaml`, merged) with nulls removed, against its schema.
fn coalesced_schema_check(chart: &Chart) -> Result<(), String> {
    let Some(schema) = chart.schema.as_ref().and_then(|f| f.data().ok()) else {
        return Ok(());
    };
    if schema.is_empty() {
        return Ok(());
    }
    let mut values = Value::Map(Default::default());
    if let Some(data) = chart.values.as_ref().and_then(|f| f.data().ok()) {
        for doc in documents(&data) {
            if let Ok(Some(node)) = yaml::parse(doc, "values.yaml") {
                merge(&mut values, node.resolve());
            }
        }
    }
    clean_nils(&mut values);
    schema::validate(&values, &schema).map_err(|e| {
        format!(
            "values don't meet the specifications of the schema(s) in the following chart(s):\n{}:\n{e}",
            chart.metadata.name
        )
    })
}

/// Deep-merges `src` into `dst`, `src` winning (Helm's `MergeMaps`).
fn merge(dst: &mut Value, src: Value) {
    match (dst, src) {
        (Value::Map(d), Value::Map(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(existing @ Value::Map(_)) if matches!(v, Value::Map(_)) => {
                        merge(existing, v)
                    }
                    _ => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (_, Value::Null) => {}
        (d, s) => *d = s,
    }
}

/// Helm's `cleanNilValues`: null entries of maps removed, recursively through maps.
fn clean_nils(v: &mut Value) {
    if let Value::Map(m) = v {
        m.retain(|_, v| *v != Value::Null);
        m.values_mut().for_each(clean_nils);
    }
}

/// Dependencies in `Chart.yaml` against the subcharts in `charts/`.
pub(super) fn dependencies(l: &mut Linter) {
    let (declared, present) = match l.chart() {
        Ok(chart) => (
            chart.metadata.dependencies.clone(),
            chart
                .subcharts
                .iter()
                .map(|c| c.metadata.name.clone())
                .collect::<Vec<_>>(),
        ),
        Err(e) => {
            l.rule(
                Severity::Error,
                "",
                Err(format!("unable to load chart\n\t{e}")),
            );
            return;
        }
    };
    let dir = l.shown_dir.clone();
    let declared_names: BTreeSet<&str> = declared.iter().map(|d| d.name.as_str()).collect();
    let extra: Vec<&str> = present
        .iter()
        .map(String::as_str)
        .filter(|n| !declared_names.contains(n))
        .collect();
    if !extra.is_empty() {
        let msg = format!(
            "chart metadata is missing these dependencies: {}",
            extra.join(",")
        );
        l.rule(Severity::Error, &dir, Err(msg));
    }
    let mut seen = BTreeSet::new();
    let mut shadowing = Vec::new();
    for d in &declared {
        let key = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        if !seen.insert(key.as_str()) {
            shadowing.push(key.as_str());
        }
    }
    if !shadowing.is_empty() {
        let msg = format!(
            "multiple dependencies with name or alias: {}",
            shadowing.join(",")
        );
        l.rule(Severity::Error, &dir, Err(msg));
    }
    let missing: Vec<&str> = declared
        .iter()
        .map(|d| d.name.as_str())
        .filter(|n| !present.iter().any(|p| p == n))
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "chart directory is missing these dependencies: {}",
            missing.join(",")
        );
        l.rule(Severity::Warning, &dir, Err(msg));
    }
}

/// `crds/` is a directory and every CRD file's documents parse and are
/// `apiextensions.k8s.io` `CustomResourceDefinition`s.
pub(super) fn crds(l: &mut Linter) {
    const DIR: &str = "crds/";
    let Ok(meta) = fs::metadata(l.dir.join("crds")) else {
        return;
    };
    if !meta.is_dir() {
        l.rule(Severity::Error, DIR, Err("not a directory".into()));
        return;
    }
    let files: Vec<(String, Vec<u8>)> = match l.chart() {
        Ok(chart) => chart
            .crds()
            .into_iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.data().map(|d| d.into_owned()).unwrap_or_default(),
                )
            })
            .collect(),
        Err(e) => {
            l.rule(Severity::Error, DIR, Err(e));
            return;
        }
    };
    for (name, data) in files {
        for doc in documents(&data) {
            let object = match crd_document(doc) {
                Ok(Some(o)) => o,
                Ok(None) => continue,
                Err(e) => {
                    // Helm stops linting CRDs at the first document that does not parse.
                    l.rule(
                        Severity::Error,
                        &name,
                        Err(format!("unable to parse YAML: {e}")),
                    );
                    return;
                }
            };
            if !object.0.starts_with("apiextensions.k8s.io") {
                l.rule(
                    Severity::Error,
                    &name,
                    Err("apiVersion is not in 'apiextensions.k8s.io'".into()),
                );
            }
            if object.1 != "CustomResourceDefinition" {
                l.rule(
                    Severity::Error,
                    &name,
                    Err("object kind is not 'CustomResourceDefinition'".into()),
                );
            }
        }
    }
}

/// `(apiVersion, kind)` of one document, `None` for an empty one.
fn crd_document(doc: &[u8]) -> Result<Option<(String, String)>, String> {
    let Some(node) = yaml::parse(doc, "crd").map_err(|e| go_yaml_error(&e, ""))? else {
        return Ok(None);
    };
    let NodeValue::Map(_) = node.value else {
        if node.resolve() == Value::Null {
            return Ok(None);
        }
        let found = if matches!(node.value, NodeValue::Seq(_)) {
            "array"
        } else {
            "string"
        };
        return Err(format!("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {found} into Go value of type rules.k8sYamlStruct"));
    };
    let field = |key: &str| {
        node.get(key)
            .and_then(|n| n.to_go_string())
            .unwrap_or_default()
    };
    Ok(Some((field("apiVersion"), field("kind"))))
}

/// Kubernetes' `YAMLReader`: documents split at lines starting with `---` followed only
/// by spaces or a comment.
fn documents(input: &[u8]) -> Vec<&[u8]> {
    let mut docs = Vec::new();
    let (mut start, mut pos) = (0, 0);
    while pos < input.len() {
        let end = input[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |i| pos + i + 1);
        if let Some(rest) = input[pos..end].strip_prefix(b"---") {
            let rest = String::from_utf8_lossy(rest);
            let rest = rest.trim();
            if rest.is_empty() || rest.starts_with('#') {
                docs.push(&input[start..pos]);
                start = end;
            }
        }
        pos = end;
    }
    docs.push(&input[start..]);
    docs
}
