//! JSON exactly as Go's `encoding/json` writes it.
//!
//! Helm's config blob, OCI manifests and the `Chart.lock` digest input are all produced by
//! Go's `json.Marshal`: compact output, struct fields in declaration order, map keys sorted
//! bytewise, and HTML-safe string escaping (`<` `>` `&` become `\u003c` `\u003e` `\u0026`).
//! `serde_json` escapes none of these, so byte-identical output needs this small writer.
//!
//! ```
//! use helmoci_core::json::JsonWriter;
//! let mut w = JsonWriter::new();
//! w.begin_object();
//! w.key("kubeVersion");
//! w.string(">=1.22.0-0");
//! w.key("deprecated");
//! w.bool(true);
//! w.end_object();
//! assert_eq!(w.finish(), r#"{"kubeVersion":"\u003e=1.22.0-0","deprecated":true}"#);
//! ```

/// Appends `s` to `out` as a quoted JSON string with Go's escaping rules.
///
/// Go escapes `"` and `\`, writes `\n \r \t \b \f` in short form and other control
/// characters as `\u00xx` (lowercase hex), escapes `<`, `>`, `&`, U+2028 and U+2029 as
/// `\uXXXX`, and leaves `/` and all other non-ASCII text literal.
pub fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\u{0}'..='\u{1f}' => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// A streaming writer for compact Go-style JSON.
///
/// The caller emits fields in the order Go would (struct declaration order, or sorted keys
/// for maps); the writer takes care of commas and escaping.
#[derive(Debug, Default, Clone)]
pub struct JsonWriter {
    buf: String,
    /// One entry per open container: whether a value was already written in it.
    stack: Vec<bool>,
    /// Set after `key`: the next value belongs to that key and needs no comma.
    after_key: bool,
}

impl JsonWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(written) = self.stack.last_mut() {
            if *written {
                self.buf.push(',');
            }
            *written = true;
        }
    }

    /// Opens `{`.
    pub fn begin_object(&mut self) {
        self.before_value();
        self.buf.push('{');
        self.stack.push(false);
    }

    /// Closes `}`.
    pub fn end_object(&mut self) {
        self.stack.pop();
        self.buf.push('}');
    }

    /// Opens `[`.
    pub fn begin_array(&mut self) {
        self.before_value();
        self.buf.push('[');
        self.stack.push(false);
    }

    /// Closes `]`.
    pub fn end_array(&mut self) {
        self.stack.pop();
        self.buf.push(']');
    }

    /// Writes an object key; the next call writes its value.
    pub fn key(&mut self, key: &str) {
        self.before_value();
        write_str(&mut self.buf, key);
        self.buf.push(':');
        self.after_key = true;
    }

    /// Writes a string value.
    pub fn string(&mut self, value: &str) {
        self.before_value();
        write_str(&mut self.buf, value);
    }

    /// Writes a boolean value.
    pub fn bool(&mut self, value: bool) {
        self.before_value();
        self.buf.push_str(if value { "true" } else { "false" });
    }

    /// Writes an integer value.
    pub fn int(&mut self, value: i64) {
        self.before_value();
        self.buf.push_str(&value.to_string());
    }

    /// Writes a number already formatted as JSON (e.g. `1.5`, `1e-07`).
    pub fn raw_number(&mut self, number: &str) {
        self.before_value();
        self.buf.push_str(number);
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.before_value();
        self.buf.push_str("null");
    }

    /// Writes `key` and a string value, but only when `value` is not empty (Go's `omitempty`).
    pub fn string_field_omitempty(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.key(key);
            self.string(value);
        }
    }

    /// Writes `key` and an array of strings, but only when it is not empty (`omitempty`).
    pub fn strings_field_omitempty(&mut self, key: &str, values: &[String]) {
        if !values.is_empty() {
            self.key(key);
            self.begin_array();
            for v in values {
                self.string(v);
            }
            self.end_array();
        }
    }

    /// The JSON written so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// Consumes the writer and returns the JSON text.
    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        write_str(&mut out, s);
        out
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(quoted("A <b> & c"), r#""A \u003cb\u003e \u0026 c""#);
        assert_eq!(quoted("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(quoted("\u{1}\u{1f}"), r#""\u0001\u001f""#);
        assert_eq!(quoted("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        assert_eq!(quoted("/é✓\u{7f}"), "\"/é✓\u{7f}\"");
    }

    #[test]
    fn nests_with_commas() {
        let mut w = JsonWriter::new();
        w.begin_array();
        w.begin_object();
        w.key("a");
        w.int(1);
        w.key("b");
        w.begin_array();
        w.string("x");
        w.null();
        w.end_array();
        w.end_object();
        w.begin_object();
        w.end_object();
        w.end_array();
        assert_eq!(w.finish(), r#"[{"a":1,"b":["x",null]},{}]"#);
    }

    #[test]
    fn omitempty_skips_empty_values() {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.string_field_omitempty("a", "");
        w.strings_field_omitempty("b", &[]);
        w.string_field_omitempty("c", "v");
        w.end_object();
        assert_eq!(w.finish(), r#"{"c":"v"}"#);
    }
}
