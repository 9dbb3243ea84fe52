//! YAML exactly as Helm reads and writes it.
//!
//! Helm reads YAML with yaml.v2 (YAML **1.1** resolution) through sigs.k8s.io/yaml, which
//! converts the document to JSON before Go's JSON decoder fills a struct; and it writes YAML
//! by encoding to JSON and handing that to yaml.v2's `Marshal`. Both directions have
//! consequences a YAML 1.2 library does not reproduce:
//!
//! - on input, `version: 1.10` is the float 1.1, so a string field receives `"1.1"`;
//!   `yes`/`on` are booleans, `010` is octal 8, and map keys are turned into strings;
//! - on output, every map's keys are sorted in yaml.v2's natural order, strings that would
//!   read back as something else are quoted, and long lines fold at column 80.
//!
//! [`parse`] reads the first document into a [`Node`] tree (aliases expanded, merge keys
//! applied, duplicate keys resolved). [`Node::to_go_string`] gives what a Go `string`
//! field receives from a scalar, [`Node::resolve`] the generic [`Value`], and
//! [`to_yaml_string`] writes a [`Value`] byte for byte as Helm does.
//!
//! ```
//! use helmoci_core::yaml;
//! let doc = yaml::parse(b"name: demo\nversion: 1.10\nappVersion: on\n", "Chart.yaml")?
//!     .expect("not empty");
//! assert_eq!(doc.get("version").and_then(|n| n.to_go_string()).as_deref(), Some("1.1"));
//! assert_eq!(doc.get("appVersion").and_then(|n| n.to_go_string()).as_deref(), Some("true"));
//!
//! let value = doc.resolve();
//! assert_eq!(yaml::to_yaml_string(&value), "appVersion: true\nname: demo\nversion: 1.1\n");
//! # Ok::<(), helmoci_core::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::value::Value;

mod compat;
mod emit;
mod parse;
mod resolve;
mod sort;
mod style;

pub use sort::key_less;
pub(crate) use style::is_separator;

use resolve::{go_format_g, resolve_plain, resolve_tagged, Resolved};

/// Reads the first YAML document of `input` as yaml.v2 does.
///
/// A leading UTF-8 byte order mark is skipped; later documents are ignored (Helm reads only
/// the first). Aliases are expanded, `<<` merge keys applied where they stand (a key written
/// *before* `<<` is overridden by the merged value, as in yaml.v2), and of duplicate keys
/// the last wins. Returns `None` for an empty document (no content, only comments, or a
/// bare `---`).
///
/// `file` names the input in errors.
///
/// # Errors
/// [`Error::Yaml`] with the 1-based line and column for invalid UTF-8, characters libyaml
/// refuses (C0/C1 controls other than tab, LF, CR, NEL; DEL; U+FFFE/U+FFFF), syntax errors,
/// unknown or self-referencing anchors, excessive aliasing (yaml.v2's rule, which stops
/// "billion laughs" documents), nesting deeper than 1000 levels, and merge keys whose value
/// is not a map or a sequence of maps.
///
/// # Deviation from Helm
/// Syntax is checked by saphyr-parser (a YAML 1.2 parser), adjusted where libyaml's YAML 1.1
/// syntax differs in ways charts hit: a tab alone after `:` is a separator, `\'` is an
/// escape in double quotes, `\/` is not, only `%YAML 1.1` is accepted, and NEL (U+0085) is
/// a line break. U+2028 and U+2029 are line breaks for libyaml and characters for YAML
/// 1.2: in quoted values they are read as libyaml reads them (folding with the blanks
/// around them); anywhere else (comments, keys, plain and block scalars) the document is
/// refused with an error naming the character, rather than read differently from Helm.
/// Remaining differences:
/// - yaml.v2 also reads UTF-16 input with a BOM; this parser wants UTF-8;
/// - nesting: yaml.v2 allows 10000 levels; here block nesting stops at 1000 and flow
///   nesting (`[[[...]]]`) at 255 (saphyr-parser's limit);
/// - the excessive-aliasing rule counts nodes slightly differently from yaml.v2, so a
///   document right at yaml.v2's threshold may be judged differently.
pub fn parse(input: &[u8], file: &str) -> Result<Option<Node>> {
    parse::parse(input, file)
}

/// Writes `value` as Helm writes YAML (`sigs.k8s.io/yaml.Marshal`: Go's JSON encoding of
/// the value, decoded and re-encoded by yaml.v2).
///
/// Keys are sorted with [`key_less`] at every level; the indent is 2 and sequence items are
/// not indented under their key; empty collections are `[]`/`{}`; strings that would read
/// back as non-strings are double-quoted, strings the emitter cannot write plain are
/// single-quoted, multi-line strings use a literal block (`|`, `|-`, `|+`); long scalars
/// fold at column 80. The output ends with a newline.
///
/// Values Helm cannot write (NaN and infinite floats, strings with characters libyaml's
/// reader refuses) are written anyway, as yaml.v2 would if asked directly;
/// [`try_to_yaml_string`] refuses them like Helm.
///
/// ```
/// use std::collections::BTreeMap;
/// use helmoci_core::{value::Value, yaml};
/// let mut md = BTreeMap::new();
/// md.insert("version".to_owned(), Value::String("1.0".into()));
/// md.insert("kubeVersion".to_owned(), Value::String(">=1.22.0-0".into()));
/// md.insert("keywords".to_owned(), Value::Seq(vec![Value::String("web".into())]));
/// assert_eq!(
///     yaml::to_yaml_string(&Value::Map(md)),
///     "keywords:\n- web\nkubeVersion: '>=1.22.0-0'\nversion: \"1.0\"\n"
/// );
/// ```
pub fn to_yaml_string(value: &Value) -> String {
    emit::marshal(value)
}

/// Like [`to_yaml_string`], but fails where Helm's marshaller fails.
///
/// # Errors
/// [`Error::YamlUnrepresentable`] for NaN or infinite floats (Go's JSON encoder refuses
/// them) and for strings or keys holding DEL, C1 controls other than NEL, U+FFFE or U+FFFF
/// (JSON leaves them raw and yaml.v2's reader then refuses them).
pub fn try_to_yaml_string(value: &Value) -> Result<String> {
    check_representable(value)?;
    Ok(emit::marshal(value))
}

fn check_representable(value: &Value) -> Result<()> {
    let bad_str = |s: &str| {
        s.chars()
            .find(|c| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'))
            .map(|c| Error::YamlUnrepresentable {
                reason: format!("control characters are not allowed (U+{:04X} in {s:?})", u32::from(c)),
            })
    };
    match value {
        Value::Float(f) if !f.is_finite() => Err(Error::YamlUnrepresentable {
            reason: format!("json: unsupported value: {}", go_format_g(*f, false)),
        }),
        Value::String(s) => bad_str(s).map_or(Ok(()), Err),
        Value::Seq(items) => items.iter().try_for_each(check_representable),
        Value::Map(map) => map.iter().try_for_each(|(k, v)| {
            bad_str(k).map_or(Ok(()), Err)?;
            check_representable(v)
        }),
        _ => Ok(()),
    }
}

/// A YAML node, with aliases expanded and merge keys applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: NodeValue,
    /// 1-based line where the node starts.
    pub line: usize,
    /// 1-based column where the node starts.
    pub column: usize,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A scalar, as written (after YAML's quoting and folding rules).
    Scalar {
        /// The scalar's text.
        text: String,
        /// How it was written.
        style: ScalarStyle,
        /// Its explicit tag, in full form (`tag:yaml.org,2002:str` for `!!str`, `!foo`
        /// for a local tag, `!` for the non-specific tag).
        tag: Option<String>,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order, keys unique.
    Map(Vec<(Node, Node)>),
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted: subject to YAML 1.1 resolution (`yes`, `1.10`, `~`, ...).
    Plain,
    /// `'...'`: always a string.
    SingleQuoted,
    /// `"..."`: always a string.
    DoubleQuoted,
    /// `|` block: always a string.
    Literal,
    /// `>` block: always a string.
    Folded,
}

impl Node {
    /// The generic value yaml.v2 and sigs.k8s.io/yaml make of this node, leniently.
    ///
    /// Plain scalars resolve as YAML 1.1 (`yes` → `true`, `010` → 8, `1_000` → 1000,
    /// `0x1F` → 31, `1e3` → 1000.0, `.inf`); timestamps stay strings as written; quoted and
    /// block scalars are strings; `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
    /// `!!binary` are honoured. Map keys become strings as sigs.k8s.io/yaml makes them
    /// (`1.5` → `"1.5"`, `true` → `"true"`, `0x10` → `"16"`).
    ///
    /// Where Helm would fail ([`try_resolve`](Self::try_resolve)), this is lenient: a null
    /// key becomes `"null"`, collections as keys are dropped, a scalar whose tag does not fit
    /// stays a string. Integers above `i64::MAX` become floats.
    pub fn resolve(&self) -> Value {
        self.to_value(false).unwrap_or(Value::Null)
    }

    /// Like [`resolve`](Self::resolve), but fails where sigs.k8s.io/yaml fails.
    ///
    /// # Errors
    /// [`Error::Yaml`] (at the node's line and column) for a null, uint64 or collection map
    /// key, a NaN or infinite float (JSON cannot hold it), and a tagged scalar whose text
    /// does not fit its tag (`!!int abc`).
    pub fn try_resolve(&self, file: &str) -> Result<Value> {
        self.to_value(true).map_err(|(node, message)| Error::Yaml {
            file: file.to_owned(),
            line: node.line,
            column: node.column,
            message,
        })
    }

    /// Checks this node as a map key the way sigs.k8s.io/yaml converts keys to JSON (see
    /// [`try_resolve`](Self::try_resolve)): a null, uint64 or collection key fails.
    ///
    /// # Errors
    /// [`Error::Yaml`] at the key's line and column.
    pub(crate) fn try_key(&self, file: &str) -> Result<()> {
        self.map_key(true)
            .map(drop)
            .map_err(|(node, message)| Error::Yaml {
                file: file.to_owned(),
                line: node.line,
                column: node.column,
                message,
            })
    }

    /// What a Go `string` field receives from this node through sigs.k8s.io/yaml: the
    /// decoded scalar, with integers in decimal, floats at float32 precision (`'g'`) and
    /// booleans as `true`/`false`. `None` for sequences and maps (Helm fails on them).
    ///
    /// `1.10` → `"1.1"`, `1.0` → `"1"`, `010` → `"8"`, `0x1F` → `"31"`, `1e3` → `"1000"`,
    /// `123456789.123` → `"1.2345679e+08"`, `on` → `"true"`, `~` → `""`,
    /// `2024-01-02` → `"2024-01-02"`.
    pub fn to_go_string(&self) -> Option<String> {
        let NodeValue::Scalar { text, style, tag } = &self.value else {
            return None;
        };
        Some(match decode_scalar(text, *style, tag.as_deref()) {
            Ok(Resolved::Null) => String::new(),
            Ok(Resolved::Bool(b)) => b.to_string(),
            Ok(Resolved::Int(i)) => i.to_string(),
            Ok(Resolved::Uint(u)) => u.to_string(),
            Ok(Resolved::Float(f)) => go_format_g(f, true),
            Ok(Resolved::Str(s)) => s.into_owned(),
            Err(_) => text.clone(),
        })
    }

    /// The value of `key` in a mapping (keys compared as the strings Helm makes of them).
    pub fn get(&self, key: &str) -> Option<&Node> {
        let NodeValue::Map(entries) = &self.value else {
            return None;
        };
        entries
            .iter()
            .find_map(|(k, v)| (k.key_string().as_deref() == Some(key)).then_some(v))
    }

    /// The string this node becomes as a map key (sigs.k8s.io/yaml's conversion), or `None`
    /// for a collection.
    pub fn key_string(&self) -> Option<String> {
        match &self.value {
            NodeValue::Scalar { text, style, tag } => {
                Some(key_identity(text, *style, tag.as_deref()))
            }
            _ => None,
        }
    }

    /// Recursion is over collections only, with small frames: scalars and keys are
    /// handled out of line, so a document nested [`parse::MAX_DEPTH`] deep resolves on a
    /// 2 MiB thread stack even in debug builds.
    fn to_value(&self, strict: bool) -> Result<Value, (&Node, String)> {
        match &self.value {
            NodeValue::Scalar { .. } => self.scalar_value(strict),
            NodeValue::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.to_value(strict)?);
                }
                Ok(Value::Seq(out))
            }
            NodeValue::Map(entries) => {
                let mut map = BTreeMap::new();
                for (k, v) in entries {
                    if let Some(key) = k.map_key(strict)? {
                        map.insert(key, v.to_value(strict)?);
                    }
                }
                Ok(Value::Map(map))
            }
        }
    }

    #[inline(never)]
    fn scalar_value(&self, strict: bool) -> Result<Value, (&Node, String)> {
        let NodeValue::Scalar { text, style, tag } = &self.value else {
            return Ok(Value::Null);
        };
        match decode_scalar(text, *style, tag.as_deref()) {
            Ok(Resolved::Null) => Ok(Value::Null),
            Ok(Resolved::Bool(b)) => Ok(Value::Bool(b)),
            Ok(Resolved::Int(i)) => Ok(Value::Int(i)),
            Ok(Resolved::Uint(u)) => Ok(Value::Float(u as f64)),
            Ok(Resolved::Float(f)) if strict && !f.is_finite() => Err((
                self,
                format!("json: unsupported value: {}", go_format_g(f, false)),
            )),
            Ok(Resolved::Float(f)) => Ok(Value::Float(f)),
            Ok(Resolved::Str(s)) => Ok(Value::String(s.into_owned())),
            Err(message) if strict => Err((self, message)),
            Err(_) => Ok(Value::String(text.clone())),
        }
    }

    /// The JSON key of this node; `None` to drop the entry (lenient, collection key).
    #[inline(never)]
    fn map_key(&self, strict: bool) -> Result<Option<String>, (&Node, String)> {
        match &self.value {
            NodeValue::Scalar { text, style, tag } => {
                match json_key(text, *style, tag.as_deref()) {
                    Ok(key) => Ok(Some(key)),
                    Err(message) if strict => Err((self, message)),
                    Err(_) => Ok(Some(key_identity(text, *style, tag.as_deref()))),
                }
            }
            _ if strict => Err((self, "invalid map key: a sequence or mapping".to_owned())),
            _ => Ok(None),
        }
    }
}

/// yaml.v2's decoding of a scalar into `interface{}`.
fn decode_scalar<'a>(
    text: &'a str,
    style: ScalarStyle,
    tag: Option<&str>,
) -> Result<Resolved<'a>, String> {
    match tag {
        Some(tag) => resolve_tagged(tag, text),
        None if style == ScalarStyle::Plain => Ok(resolve_plain(text).1),
        None => Ok(Resolved::Str(text.into())),
    }
}

/// sigs.k8s.io/yaml's conversion of a decoded map key to a JSON key.
fn json_key(text: &str, style: ScalarStyle, tag: Option<&str>) -> Result<String, String> {
    match decode_scalar(text, style, tag)? {
        Resolved::Str(s) => Ok(s.into_owned()),
        Resolved::Int(i) => Ok(i.to_string()),
        Resolved::Bool(b) => Ok(b.to_string()),
        Resolved::Float(f) => Ok(match go_format_g(f, true).as_str() {
            "+Inf" => ".inf".to_owned(),
            "-Inf" => "-.inf".to_owned(),
            "NaN" => ".nan".to_owned(),
            s => s.to_owned(),
        }),
        Resolved::Uint(u) => Err(format!("unsupported map key of type: uint64, key: {u}")),
        Resolved::Null => Err("unsupported map key of type: <nil>".to_owned()),
    }
}

/// The key a scalar becomes, leniently: a null key is `"null"`, a uint64 key its digits.
pub(crate) fn key_identity(text: &str, style: ScalarStyle, tag: Option<&str>) -> String {
    json_key(text, style, tag).unwrap_or_else(|_| match decode_scalar(text, style, tag) {
        Ok(Resolved::Uint(u)) => u.to_string(),
        Ok(Resolved::Null) => "null".to_owned(),
        _ => text.to_owned(),
    })
}

#[cfg(test)]
mod tests;
