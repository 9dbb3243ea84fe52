//! `chartutil.StrictLoadChartfile`'s extra checks, which `helm lint` reports as a
//! warning: duplicate keys (yaml.v2's strict mode) and unknown fields (Go's
//! `DisallowUnknownFields`).

use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle};

use crate::value::Value;
use crate::yaml::{key_identity, Node, NodeValue, ScalarStyle};

/// Helm's error text for the first strict-mode problem of `Chart.yaml`, if any.
pub(super) fn check(bytes: &[u8], raw: &Value) -> Result<(), String> {
    let duplicates = duplicate_keys(bytes);
    if !duplicates.is_empty() {
        let lines: Vec<String> = duplicates
            .iter()
            .map(|(line, key)| format!("  line {line}: key {key} already set in map"))
            .collect();
        return Err(format!(
            "error converting YAML to JSON: yaml: unmarshal errors:\n{}",
            lines.join("\n")
        ));
    }
    unknown_fields(raw)
}

enum Frame {
    Seq,
    Map {
        seen: HashSet<String>,
        expect_key: bool,
    },
}

/// Duplicate keys of the first document, as `(1-based line, key as Go's %#v prints it)`.
/// Merge keys and keys that are collections or aliases are not checked.
fn duplicate_keys(bytes: &[u8]) -> Vec<(usize, String)> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    // A child just ended: the parent map now expects the other half of a pair.
    fn advance(stack: &mut [Frame]) {
        if let Some(Frame::Map { expect_key, .. }) = stack.last_mut() {
            *expect_key = !*expect_key;
        }
    }
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::DocumentEnd | Event::StreamEnd => break,
            Event::Scalar(value, style, _, tag) => {
                if let Some(Frame::Map {
                    seen,
                    expect_key: true,
                }) = stack.last_mut()
                {
                    let style = match style {
                        SaphyrStyle::Plain => ScalarStyle::Plain,
                        SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                        SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                        SaphyrStyle::Literal => ScalarStyle::Literal,
                        SaphyrStyle::Folded => ScalarStyle::Folded,
                    };
                    let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                    let identity = key_identity(&value, style, tag.as_deref());
                    if value != "<<" && !seen.insert(identity) {
                        let node = Node {
                            value: NodeValue::Scalar {
                                text: value.into_owned(),
                                style,
                                tag,
                            },
                            line: 0,
                            column: 0,
                        };
                        let shown = match node.resolve() {
                            Value::String(s) => format!("{s:?}"),
                            Value::Null => "interface {}(nil)".to_owned(),
                            Value::Bool(b) => b.to_string(),
                            Value::Int(i) => i.to_string(),
                            _ => node.to_go_string().unwrap_or_default(),
                        };
                        out.push((span.start.line(), shown));
                    }
                }
                advance(&mut stack);
            }
            Event::Alias(_) => advance(&mut stack),
            Event::SequenceStart(..) => stack.push(Frame::Seq),
            Event::MappingStart(..) => stack.push(Frame::Map {
                seen: HashSet::new(),
                expect_key: true,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
                advance(&mut stack);
            }
            _ => {}
        }
    }
    out
}

use crate::metadata::{FIELDS as METADATA_FIELDS, MAINTAINER_FIELDS};
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

/// Go's `DisallowUnknownFields`: keys match fields case-insensitively and are visited in
/// sorted order, as the JSON made from the YAML has them.
fn unknown_fields(raw: &Value) -> Result<(), String> {
    fn unknown(map: &Value, fields: &[&str]) -> Option<String> {
        let Value::Map(m) = map else { return None };
        m.keys()
            .find(|k| !fields.iter().any(|f| f.eq_ignore_ascii_case(k)))
            .cloned()
    }
    let Value::Map(top) = raw else { return Ok(()) };
    let fail = |k: String| {
        Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: unknown field {k:?}"
        ))
    };
    for (key, value) in top {
        if !METADATA_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key)) {
            return fail(key.clone());
        }
        let nested = if key.eq_ignore_ascii_case("maintainers") {
            MAINTAINER_FIELDS
        } else if key.eq_ignore_ascii_case("dependencies") {
            DEPENDENCY_FIELDS
        } else {
            continue;
        };
        if let Value::Seq(items) = value {
            if let Some(k) = items.iter().find_map(|item| unknown(item, nested)) {
                return fail(k);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(yaml: &str) -> Value {
        crate::yaml::parse(yaml.as_bytes(), "Chart.yaml")
            .ok()
            .flatten()
            .map_or(Value::Null, |n| n.resolve())
    }

    #[test]
    fn duplicate_keys_are_listed_with_lines() {
        let y = "name: a\nversion: 1.0.0\nversion: 1.0.1\nannotations:\n  x: 1\n  x: 2\n";
        assert_eq!(
            check(y.as_bytes(), &raw(y)),
            Err("error converting YAML to JSON: yaml: unmarshal errors:\n  line 3: key \"version\" already set in map\n  line 6: key \"x\" already set in map".into())
        );
    }

    #[test]
    fn same_key_in_different_maps_is_fine() {
        let y = "maintainers:\n  - name: a\n  - name: b\nname: c\n";
        assert_eq!(check(y.as_bytes(), &raw(y)), Ok(()));
    }

    #[test]
    fn unknown_fields_warn_but_case_is_ignored() {
        let y = "Name: a\ncolor: blue\n";
        assert_eq!(
            check(y.as_bytes(), &raw(y)),
            Err(
                "error unmarshaling JSON: while decoding JSON: json: unknown field \"color\""
                    .into()
            )
        );
        let y = "dependencies:\n  - name: a\n    importValues: [x]\n";
        assert_eq!(
            check(y.as_bytes(), &raw(y)),
            Err("error unmarshaling JSON: while decoding JSON: json: unknown field \"importValues\"".into())
        );
    }
}
