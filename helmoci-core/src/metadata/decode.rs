//! Decoding `Chart.yaml` the way Helm does: yaml.v2 (YAML 1.1) into generic values, then
//! Go's `encoding/json` into the `Metadata` struct.
//!
//! That path has consequences we reproduce: scalars read into string fields are
//! stringified (`version: 1.10` becomes `"1.1"`), keys match field names
//! case-insensitively, unknown keys are ignored, and `null` leaves a field unset.

use crate::value::Value;
use crate::yaml::{self, Node, NodeValue};
use crate::Error;

use super::{ChartMetadata, Dependency, Maintainer};

/// Something worth telling the user about a `Chart.yaml` that still loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file, e.g. `Chart.yaml`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Where a value is being decoded into, for error messages (`Metadata.version`).
struct Ctx<'a> {
    file: &'a str,
    owner: &'static str,
}

impl Ctx<'_> {
    fn type_error(&self, node: &Node, field: &str, expected: &'static str) -> Error {
        Error::ChartYamlType {
            file: self.file.to_owned(),
            line: node.line,
            column: node.column,
            field: format!("{}.{field}", self.owner),
            expected,
            found: describe(node),
        }
    }

    fn string(&self, node: &Node, field: &str, out: &mut String) -> Result<(), Error> {
        if is_null(node) {
            return Ok(());
        }
        match node.to_go_string() {
            Some(s) => {
                *out = s;
                Ok(())
            }
            None => Err(self.type_error(node, field, "a string")),
        }
    }

    fn bool(&self, node: &Node, field: &str, out: &mut bool) -> Result<(), Error> {
        match node.resolve() {
            Value::Null => Ok(()),
            Value::Bool(b) => {
                *out = b;
                Ok(())
            }
            _ => Err(self.type_error(node, field, "a boolean")),
        }
    }

    fn strings(&self, node: &Node, field: &str, out: &mut Vec<String>) -> Result<(), Error> {
        match &node.value {
            _ if is_null(node) => Ok(()),
            NodeValue::Seq(items) => {
                let mut v = Vec::with_capacity(items.len());
                for item in items {
                    let mut s = String::new();
                    self.string(item, field, &mut s)?;
                    v.push(s);
                }
                *out = v;
                Ok(())
            }
            _ => Err(self.type_error(node, field, "a list of strings")),
        }
    }
}

fn is_null(node: &Node) -> bool {
    matches!(node.value, NodeValue::Scalar { .. }) && node.resolve() == Value::Null
}

fn describe(node: &Node) -> &'static str {
    match &node.value {
        NodeValue::Seq(_) => "a list",
        NodeValue::Map(_) => "a mapping",
        NodeValue::Scalar { .. } => match node.resolve() {
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Null => "null",
            _ => "a string",
        },
    }
}

/// Go's JSON field matching: exact name, else ASCII case-insensitive.
fn key_is(key: &str, field: &str) -> bool {
    key.eq_ignore_ascii_case(field)
}

fn map_entries<'n>(
    ctx: &Ctx<'_>,
    node: &'n Node,
    field: &str,
) -> Result<Option<Vec<(String, &'n Node)>>, Error> {
    match &node.value {
        _ if is_null(node) => Ok(None),
        NodeValue::Map(pairs) => {
            // Helm converts the whole file to JSON before decoding it: a key JSON cannot
            // have fails the load wherever it is.
            for (k, _) in pairs {
                k.try_key(ctx.file)?;
            }
            Ok(Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_go_string().unwrap_or_default(), v))
                    .collect(),
            ))
        }
        _ => Err(ctx.type_error(node, field, "a mapping")),
    }
}

impl ChartMetadata {
    /// Parses `Chart.yaml` (or `requirements.yaml`, which only carries `dependencies`) the
    /// way Helm's loader does, overlaying it on `self` as Go's decoder does.
    ///
    /// `file` names the file in errors and warnings. Returns warnings for values Helm
    /// silently coerces (an unquoted `version: 1.10` becomes `"1.1"`).
    ///
    /// # Errors
    /// [`Error::Yaml`] for YAML syntax errors and [`Error::ChartYamlType`] for a value of
    /// the wrong type, both with line and column.
    pub fn merge_yaml(&mut self, input: &[u8], file: &str) -> Result<Vec<Warning>, Error> {
        let Some(root) = yaml::parse(input, file)? else {
            return Ok(Vec::new());
        };
        self.merge_node(&root, file)
    }

    /// [`merge_yaml`](Self::merge_yaml) for an already parsed node (used for `index.yaml`
    /// entries, whose metadata fields sit beside `urls`, `digest` and `created`).
    pub(crate) fn merge_node(&mut self, root: &Node, file: &str) -> Result<Vec<Warning>, Error> {
        let mut warnings = Vec::new();
        let ctx = Ctx {
            file,
            owner: "Metadata",
        };
        let Some(entries) = map_entries(&ctx, root, "")? else {
            return Ok(warnings);
        };
        for (key, node) in entries {
            let k = key.as_str();
            match () {
                _ if key_is(k, "name") => ctx.string(node, "name", &mut self.name)?,
                _ if key_is(k, "home") => ctx.string(node, "home", &mut self.home)?,
                _ if key_is(k, "sources") => ctx.strings(node, "sources", &mut self.sources)?,
                _ if key_is(k, "version") => {
                    numeric_warning(node, file, "version", &mut warnings);
                    ctx.string(node, "version", &mut self.version)?
                }
                _ if key_is(k, "description") => {
                    ctx.string(node, "description", &mut self.description)?
                }
                _ if key_is(k, "keywords") => ctx.strings(node, "keywords", &mut self.keywords)?,
                _ if key_is(k, "maintainers") => self.maintainers = maintainers(&ctx, node)?,
                _ if key_is(k, "icon") => ctx.string(node, "icon", &mut self.icon)?,
                _ if key_is(k, "apiVersion") => {
                    ctx.string(node, "apiVersion", &mut self.api_version)?
                }
                _ if key_is(k, "condition") => {
                    ctx.string(node, "condition", &mut self.condition)?
                }
                _ if key_is(k, "tags") => ctx.string(node, "tags", &mut self.tags)?,
                _ if key_is(k, "appVersion") => {
                    numeric_warning(node, file, "appVersion", &mut warnings);
                    ctx.string(node, "appVersion", &mut self.app_version)?
                }
                _ if key_is(k, "deprecated") => {
                    ctx.bool(node, "deprecated", &mut self.deprecated)?
                }
                _ if key_is(k, "annotations") => {
                    if let Some(pairs) = map_entries(&ctx, node, "annotations")? {
                        for (ak, av) in pairs {
                            let mut s = String::new();
                            ctx.string(av, "annotations", &mut s)?;
                            self.annotations.insert(ak, s);
                        }
                    }
                }
                _ if key_is(k, "kubeVersion") => {
                    ctx.string(node, "kubeVersion", &mut self.kube_version)?
                }
                _ if key_is(k, "dependencies") => {
                    self.dependencies = dependencies(file, node)?;
                }
                _ if key_is(k, "type") => ctx.string(node, "type", &mut self.chart_type)?,
                // Not a field, but converted to JSON with the rest: a NaN or infinite float
                // (or a bad key) in it fails the load, as in Helm.
                _ => drop(node.try_resolve(file)?),
            }
        }
        Ok(warnings)
    }

    /// Parses a `Chart.yaml` into fresh metadata. See [`merge_yaml`](Self::merge_yaml).
    pub fn from_yaml(input: &[u8], file: &str) -> Result<(ChartMetadata, Vec<Warning>), Error> {
        let mut md = ChartMetadata::default();
        let warnings = md.merge_yaml(input, file)?;
        Ok((md, warnings))
    }
}

/// `helm lint` flags unquoted numbers in version fields; Helm's loader silently
/// stringifies them, which can change the value (`1.10` → `1.1`).
fn numeric_warning(node: &Node, file: &str, field: &str, warnings: &mut Vec<Warning>) {
    let kind = match node.resolve() {
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        _ => return,
    };
    let as_loaded = node.to_go_string().unwrap_or_default();
    warnings.push(Warning {
        file: file.to_owned(),
        line: node.line,
        message: format!(
            "{field} should be of type string but it's of type {kind}; it loads as {as_loaded:?} — quote it"
        ),
    });
}

fn maintainers(ctx: &Ctx<'_>, node: &Node) -> Result<Vec<Maintainer>, Error> {
    let NodeValue::Seq(items) = &node.value else {
        if is_null(node) {
            return Ok(Vec::new());
        }
        return Err(ctx.type_error(node, "maintainers", "a list"));
    };
    let mctx = Ctx {
        file: ctx.file,
        owner: "Maintainer",
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(pairs) = map_entries(&mctx, item, "")? else {
            return Err(Error::Validation {
                message: "maintainers must not contain empty or null nodes".into(),
            });
        };
        let mut m = Maintainer::default();
        for (k, v) in pairs {
            match () {
                _ if key_is(&k, "name") => mctx.string(v, "name", &mut m.name)?,
                _ if key_is(&k, "email") => mctx.string(v, "email", &mut m.email)?,
                _ if key_is(&k, "url") => mctx.string(v, "url", &mut m.url)?,
                _ => drop(v.try_resolve(ctx.file)?),
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// Decodes a `dependencies` list (also used for `Chart.lock` entries).
pub(crate) fn dependencies(file: &str, node: &Node) -> Result<Vec<Dependency>, Error> {
    let ctx = Ctx {
        file,
        owner: "Dependency",
    };
    let NodeValue::Seq(items) = &node.value else {
        if is_null(node) {
            return Ok(Vec::new());
        }
        return Err(ctx.type_error(node, "dependencies", "a list"));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(pairs) = map_entries(&ctx, item, "")? else {
            return Err(Error::Validation {
                message: "dependencies must not contain empty or null nodes".into(),
            });
        };
        let mut d = Dependency::default();
        for (k, v) in pairs {
            match () {
                _ if key_is(&k, "name") => ctx.string(v, "name", &mut d.name)?,
                _ if key_is(&k, "version") => ctx.string(v, "version", &mut d.version)?,
                _ if key_is(&k, "repository") => ctx.string(v, "repository", &mut d.repository)?,
                _ if key_is(&k, "condition") => ctx.string(v, "condition", &mut d.condition)?,
                _ if key_is(&k, "tags") => ctx.strings(v, "tags", &mut d.tags)?,
                _ if key_is(&k, "enabled") => ctx.bool(v, "enabled", &mut d.enabled)?,
                // Helm converts Chart.yaml to JSON first: a NaN or infinite float here
                // (an untyped field) fails the load.
                _ if key_is(&k, "import-values") => match v.try_resolve(ctx.file)? {
                    Value::Null => {}
                    Value::Seq(values) => d.import_values = values,
                    _ => return Err(ctx.type_error(v, "import-values", "a list")),
                },
                _ if key_is(&k, "alias") => ctx.string(v, "alias", &mut d.alias)?,
                _ => drop(v.try_resolve(ctx.file)?),
            }
        }
        out.push(d);
    }
    Ok(out)
}
