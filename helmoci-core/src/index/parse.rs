//! Decoding `index.yaml` / `index.json` as Helm's `loadIndex` does.

use std::collections::BTreeMap;

use super::{ChartVersionEntry, IndexFile, ZERO_TIME};
use crate::lock::canonical_time;
use crate::metadata::{ChartMetadata, Warning, FIELDS, MAINTAINER_FIELDS};
use crate::value::Value;
use crate::yaml::{self, Node, NodeValue, ScalarStyle};
use crate::Error;

const TOP_FIELDS: &[&str] = &[
    "serverInfo",
    "apiVersion",
    "generated",
    "entries",
    "publicKeys",
    "annotations",
];
/// An entry's fields besides the metadata's.
const ENTRY_EXTRA_FIELDS: &[&str] = &[
    "urls",
    "created",
    "removed",
    "digest",
    "checksum",
    "engine",
    "tillerVersion",
    "url",
];
const DEPENDENCY_FIELDS: &[&str] = &[
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "enabled",
    "import-values",
    "alias",
];

pub(super) struct Ctx<'a> {
    pub(super) source: &'a str,
    /// Strict (YAML input): unknown fields are errors, as with `yaml.UnmarshalStrict`.
    pub(super) strict: bool,
    pub(super) warnings: Vec<Warning>,
}

impl Ctx<'_> {
    fn invalid(&self, node: &Node, message: String) -> Error {
        Error::IndexInvalid {
            source_name: self.source.to_owned(),
            line: node.line,
            message,
        }
    }

    fn check_fields(&self, node: &Node, known: &[&[&str]], owner: &str) -> Result<(), Error> {
        if !self.strict {
            return Ok(());
        }
        if let NodeValue::Map(pairs) = &node.value {
            for (k, _) in pairs {
                let key = k.key_string().unwrap_or_default();
                if !known
                    .iter()
                    .flat_map(|k| k.iter())
                    .any(|f| f.eq_ignore_ascii_case(&key))
                {
                    return Err(self.invalid(k, format!("json: unknown field {key:?} in {owner}")));
                }
            }
        }
        Ok(())
    }

    fn warn(&mut self, node: &Node, message: String) {
        self.warnings.push(Warning {
            file: self.source.to_owned(),
            line: node.line,
            message,
        });
    }
}

fn is_null(node: &Node) -> bool {
    matches!(node.value, NodeValue::Scalar { .. }) && node.resolve() == Value::Null
}

fn string(ctx: &Ctx<'_>, node: &Node, field: &str) -> Result<String, Error> {
    if is_null(node) {
        return Ok(String::new());
    }
    node.to_go_string()
        .ok_or_else(|| ctx.invalid(node, format!("{field} must be a string")))
}

fn time(ctx: &Ctx<'_>, node: &Node, field: &str) -> Result<String, Error> {
    let text = string(ctx, node, field)?;
    if text.is_empty() && is_null(node) {
        return Ok(ZERO_TIME.to_owned());
    }
    canonical_time(&text)
        .ok_or_else(|| ctx.invalid(node, format!("{field} {text:?} is not an RFC 3339 time")))
}

fn pairs<'n>(ctx: &Ctx<'_>, node: &'n Node, field: &str) -> Result<&'n [(Node, Node)], Error> {
    match &node.value {
        _ if is_null(node) => Ok(&[]),
        NodeValue::Map(p) => Ok(p),
        _ => Err(ctx.invalid(node, format!("{field} must be a mapping"))),
    }
}

pub(super) fn parse(input: &[u8], source: &str) -> Result<(IndexFile, Vec<Warning>), Error> {
    if input.is_empty() {
        return Err(Error::IndexEmpty {
            source_name: source.to_owned(),
        });
    }
    let json = serde_json::from_slice::<serde_json::Value>(input).ok();
    if json.is_none() {
        if let Some(result) = super::stream::parse(input, source) {
            return result;
        }
    }
    general(input, source, json)
}

/// Helm's `loadIndex` through the general YAML reader (or the decoded JSON).
pub(super) fn general(
    input: &[u8],
    source: &str,
    json: Option<serde_json::Value>,
) -> Result<(IndexFile, Vec<Warning>), Error> {
    let (root, strict) = match json {
        Some(json) => (Some(from_json(&json, 1)), false),
        None => (yaml::parse(input, source)?, true),
    };
    let mut ctx = Ctx {
        source,
        strict,
        warnings: Vec::new(),
    };
    let mut index = empty_index();
    if let Some(root) = &root {
        decode_top(&mut ctx, root, &mut index)?;
    }
    finish(index, ctx)
}

pub(super) fn empty_index() -> IndexFile {
    IndexFile {
        server_info: BTreeMap::new(),
        api_version: String::new(),
        generated: ZERO_TIME.to_owned(),
        entries: BTreeMap::new(),
        public_keys: Vec::new(),
        annotations: BTreeMap::new(),
    }
}

/// Sorts the entries and checks `apiVersion`, as the end of Helm's `loadIndex`.
pub(super) fn finish(
    mut index: IndexFile,
    ctx: Ctx<'_>,
) -> Result<(IndexFile, Vec<Warning>), Error> {
    index.sort_entries();
    if index.api_version.is_empty() {
        return Err(Error::IndexNoApiVersion {
            source_name: ctx.source.to_owned(),
        });
    }
    Ok((index, ctx.warnings))
}

fn decode_top(ctx: &mut Ctx<'_>, root: &Node, index: &mut IndexFile) -> Result<(), Error> {
    if !matches!(root.value, NodeValue::Map(_)) {
        if is_null(root) {
            return Ok(());
        }
        return Err(ctx.invalid(root, "an index must be a mapping".into()));
    }
    ctx.check_fields(root, &[TOP_FIELDS], "IndexFile")?;
    for (k, v) in pairs(ctx, root, "index")? {
        decode_top_field(ctx, k, v, index)?;
    }
    Ok(())
}

/// Whether `key` is a top-level field of an index (`IndexFile`); fails on unknown keys
/// in strict mode.
pub(super) fn check_top_key(ctx: &Ctx<'_>, key: &Node) -> Result<(), Error> {
    let name = key.key_string().unwrap_or_default();
    if ctx.strict && !TOP_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(&name)) {
        return Err(ctx.invalid(key, format!("json: unknown field {name:?} in IndexFile")));
    }
    Ok(())
}

pub(super) fn decode_top_field(
    ctx: &mut Ctx<'_>,
    k: &Node,
    v: &Node,
    index: &mut IndexFile,
) -> Result<(), Error> {
    let key = k.key_string().unwrap_or_default();
    let is = |f: &str| key.eq_ignore_ascii_case(f);
    if is("serverInfo") {
        match v.try_resolve(ctx.source)? {
            Value::Map(m) => index.server_info = m,
            Value::Null => {}
            _ => return Err(ctx.invalid(v, "serverInfo must be a mapping".into())),
        }
    } else if is("apiVersion") {
        index.api_version = string(ctx, v, "apiVersion")?;
    } else if is("generated") {
        index.generated = time(ctx, v, "generated")?;
    } else if is("publicKeys") {
        index.public_keys = strings(ctx, v, "publicKeys")?;
    } else if is("annotations") {
        for (ak, av) in pairs(ctx, v, "annotations")? {
            let value = string(ctx, av, "annotations")?;
            index
                .annotations
                .insert(ak.key_string().unwrap_or_default(), value);
        }
    } else if is("entries") {
        for (name_node, list) in pairs(ctx, v, "entries")? {
            let name = name_node.key_string().unwrap_or_default();
            let versions = decode_versions(ctx, &name, list)?;
            index.entries.insert(name, versions);
        }
    }
    Ok(())
}

fn strings(ctx: &Ctx<'_>, node: &Node, field: &str) -> Result<Vec<String>, Error> {
    match &node.value {
        _ if is_null(node) => Ok(Vec::new()),
        NodeValue::Seq(items) => items.iter().map(|i| string(ctx, i, field)).collect(),
        _ => Err(ctx.invalid(node, format!("{field} must be a list of strings"))),
    }
}

pub(super) fn decode_versions(
    ctx: &mut Ctx<'_>,
    name: &str,
    list: &Node,
) -> Result<Vec<ChartVersionEntry>, Error> {
    let items = match &list.value {
        _ if is_null(list) => return Ok(Vec::new()),
        NodeValue::Seq(items) => items,
        _ => return Err(ctx.invalid(list, format!("entries.{name} must be a list"))),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(entry) = decode_item(ctx, name, item)? {
            out.push(entry);
        }
    }
    Ok(out)
}

/// One item of a chart's version list: `None` (with a warning) for a null item or one
/// that fails Helm's metadata validation.
pub(super) fn decode_item(
    ctx: &mut Ctx<'_>,
    name: &str,
    item: &Node,
) -> Result<Option<ChartVersionEntry>, Error> {
    if is_null(item) {
        ctx.warn(
            item,
            format!("skipping loading invalid entry for chart {name:?}: empty entry"),
        );
        return Ok(None);
    }
    let mut entry = decode_entry(ctx, item)?;
    if entry.metadata.api_version.is_empty() {
        entry.metadata.api_version = "v1".into();
    }
    match entry.metadata.validate() {
        Err(Error::Validation { message })
            if message.starts_with("more than one dependency with name or alias") => {}
        Err(e) => {
            let version = entry.metadata.version.clone();
            ctx.warn(
                item,
                format!(
                    "skipping loading invalid entry for chart {name:?} version {version:?}: {e}"
                ),
            );
            return Ok(None);
        }
        Ok(()) => {}
    }
    Ok(Some(entry))
}

fn decode_entry(ctx: &mut Ctx<'_>, item: &Node) -> Result<ChartVersionEntry, Error> {
    if !matches!(item.value, NodeValue::Map(_)) {
        return Err(ctx.invalid(item, "a chart version must be a mapping".into()));
    }
    ctx.check_fields(item, &[FIELDS, ENTRY_EXTRA_FIELDS], "ChartVersion")?;
    let mut entry = ChartVersionEntry {
        created: ZERO_TIME.to_owned(),
        ..ChartVersionEntry::default()
    };
    for (k, v) in pairs(ctx, item, "entry")? {
        let key = k.key_string().unwrap_or_default();
        let is = |f: &str| key.eq_ignore_ascii_case(f);
        if is("urls") {
            entry.urls = strings(ctx, v, "urls")?;
        } else if is("created") {
            entry.created = time(ctx, v, "created")?;
        } else if is("removed") {
            entry.removed = match v.resolve() {
                Value::Bool(b) => b,
                Value::Null => false,
                _ => return Err(ctx.invalid(v, "removed must be a boolean".into())),
            };
        } else if is("digest") {
            entry.digest = string(ctx, v, "digest")?;
        } else if is("maintainers") || is("dependencies") {
            let (known, owner) = if is("maintainers") {
                (MAINTAINER_FIELDS, "Maintainer")
            } else {
                (DEPENDENCY_FIELDS, "Dependency")
            };
            if let NodeValue::Seq(items) = &v.value {
                for i in items {
                    ctx.check_fields(i, &[known], owner)?;
                }
            }
        }
    }
    let mut md = ChartMetadata::default();
    md.merge_node(item, ctx.source)?;
    entry.metadata = md;
    Ok(entry)
}

/// A JSON value as a YAML node tree, so both formats share one decoder. Strings become
/// quoted scalars (never re-resolved), other scalars plain ones.
fn from_json(v: &serde_json::Value, line: usize) -> Node {
    let scalar = |text: String, style| NodeValue::Scalar {
        text,
        style,
        tag: None,
    };
    let value = match v {
        serde_json::Value::Null => scalar("null".into(), ScalarStyle::Plain),
        serde_json::Value::Bool(b) => scalar(b.to_string(), ScalarStyle::Plain),
        serde_json::Value::Number(n) => scalar(n.to_string(), ScalarStyle::Plain),
        serde_json::Value::String(s) => scalar(s.clone(), ScalarStyle::DoubleQuoted),
        serde_json::Value::Array(a) => {
            NodeValue::Seq(a.iter().map(|x| from_json(x, line)).collect())
        }
        serde_json::Value::Object(o) => NodeValue::Map(
            o.iter()
                .map(|(k, x)| {
                    let key = Node {
                        value: scalar(k.clone(), ScalarStyle::DoubleQuoted),
                        line,
                        column: 1,
                    };
                    (key, from_json(x, line))
                })
                .collect(),
        ),
    };
    Node {
        value,
        line,
        column: 1,
    }
}
