//! A generic YAML/JSON value, as Helm sees one after Go's YAML 1.1 decoding.
//!
//! `Chart.yaml` fields such as `import-values`, and documents such as `values.yaml`, are
//! untyped in Helm: yaml.v2 decodes them into Go interfaces, and they travel on as JSON.
//! [`Value`] is that decoded form. Map keys are strings (Helm's YAML layer stringifies
//! them) and are kept sorted bytewise, which is also the order Go's JSON encoder writes.

use std::collections::BTreeMap;

use crate::json::JsonWriter;

/// A decoded YAML (1.1, as yaml.v2 resolves it) or JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, or an empty scalar.
    Null,
    /// `true`/`false` (and YAML 1.1's `yes`, `on`, …).
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Value>),
    /// A mapping with string keys, sorted bytewise.
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// The string, when this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Writes the value as Go's `json.Marshal` would (map keys sorted, HTML-safe escaping).
    ///
    /// Floats are written with Rust's shortest round-trip form, which equals Go's for the
    /// integral and short decimal values charts carry.
    pub fn write_json(&self, w: &mut JsonWriter) {
        match self {
            Value::Null => w.null(),
            Value::Bool(b) => w.bool(*b),
            Value::Int(i) => w.int(*i),
            Value::Float(f) => w.raw_number(&format_go_json_float(*f)),
            Value::String(s) => w.string(s),
            Value::Seq(items) => {
                w.begin_array();
                for item in items {
                    item.write_json(w);
                }
                w.end_array();
            }
            Value::Map(map) => {
                w.begin_object();
                for (k, v) in map {
                    w.key(k);
                    v.write_json(w);
                }
                w.end_object();
            }
        }
    }
}

/// Go's `encoding/json` float format: shortest digits, `%f` style for exponents in
/// [-6, 21), otherwise `%e` with at least two exponent digits.
fn format_go_json_float(f: f64) -> String {
    if f == f.trunc() && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    // Go's strconv gives `1e-07` / `1e+21`; encoding/json then trims a negative exponent's
    // leading zero (`1e-7`) but keeps `1e+21`. Rust gives `1e-7` / `1e21`.
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => {
            format!("{mantissa}e+{exp:0>2}")
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go_json() {
        assert_eq!(format_go_json_float(1.0), "1");
        assert_eq!(format_go_json_float(1.5), "1.5");
        assert_eq!(format_go_json_float(1e-7), "1e-7");
        assert_eq!(format_go_json_float(1e21), "1e+21");
        assert_eq!(format_go_json_float(-0.25), "-0.25");
    }

    #[test]
    fn maps_write_sorted() {
        let mut m = BTreeMap::new();
        m.insert("parent".to_owned(), Value::String("p".into()));
        m.insert("child".to_owned(), Value::String("c".into()));
        let mut w = JsonWriter::new();
        Value::Map(m).write_json(&mut w);
        assert_eq!(w.finish(), r#"{"child":"c","parent":"p"}"#);
    }
}
