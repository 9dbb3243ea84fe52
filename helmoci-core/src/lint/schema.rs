//! `values.schema.json` checks: compile the schema and validate values against it, with
//! the messages Helm prints.
//!
//! Helm validates with `github.com/santhosh-tekuri/jsonschema/v6`; we use `boon`, the same
//! author's Rust port, which builds the same error tree. Its `Display` words differ from
//! the Go library's, so [`go_messages`] writes the tree in the Go library's words
//! (`got string, want integer`, `missing property 'x'`, numbers grouped as `70,000`).
//!
//! # Deviation from Helm
//! Helm loads `$ref`s to other documents over HTTP(S) and from any local file. Here
//! nothing outside `values.schema.json` is loaded (helmoci-core does no network I/O, and a
//! chart should not make its linter read `/dev/zero` or `~/.ssh`): such a schema fails
//! with a message naming the reference. The standard metaschemas are built in, and `urn:`
//! references are permissive (`true`), as in Helm.

use boon::{CompileError, Compiler, ErrorKind, Schemas, ValidationError};
use serde_json::Value as Json;

use crate::value::Value;

const SCHEMA_URL: &str = "file:///values.schema.json";

/// Validates `values` against the schema text; `Err` holds Helm's message (already
/// trimmed of the library's first line, ending with a newline for validation failures).
///
/// The validator recurses once per nesting level of the values (and of recursive
/// `$ref`s), so it runs on a thread of its own with a large stack: values nested as deep
/// as the YAML reader allows are validated without overflowing the caller's stack.
pub(crate) fn validate(values: &Value, schema: &[u8]) -> Result<(), String> {
    let instance = to_json(values);
    let schema = schema.to_vec();
    let job = move || validate_json(&instance, &schema);
    let spawned = std::thread::Builder::new()
        .name("helmoci-lint-schema".into())
        .stack_size(VALIDATOR_STACK)
        .spawn(job);
    match spawned {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| Err("unable to validate schema: the validator failed".into())),
        Err(_) => Err("unable to validate schema: cannot start the validator thread".into()),
    }
}

/// Stack for the validator thread (reserved, not committed, memory).
const VALIDATOR_STACK: usize = 256 << 20;

fn validate_json(instance: &Json, schema: &[u8]) -> Result<(), String> {
    let doc: Json = serde_json::from_slice(schema).map_err(|e| go_json_error(&e, schema))?;
    let mut compiler = Compiler::new();
    compiler.use_loader(Box::new(NoExternalDocuments));
    let mut schemas = Schemas::new();
    compiler
        .add_resource(SCHEMA_URL, doc)
        .map_err(|e| compile_message(&e))?;
    let index = compiler
        .compile(SCHEMA_URL, &mut schemas)
        .map_err(|e| compile_message(&e))?;
    match schemas.validate(instance, index) {
        Ok(()) => Ok(()),
        Err(err) => {
            let mut out = String::new();
            for cause in top_causes(&err) {
                go_messages(cause, 0, &mut out);
            }
            out.push('\n');
            Err(out.trim_start_matches('\n').to_owned())
        }
    }
}

/// Refuses every document but the schema itself (see the module's deviation note).
struct NoExternalDocuments;

impl boon::UrlLoader for NoExternalDocuments {
    fn load(&self, url: &str) -> Result<Json, Box<dyn std::error::Error>> {
        if url.starts_with("urn:") {
            return Ok(Json::Bool(true));
        }
        Err("refused: helmoci loads no schema document other than values.schema.json".into())
    }
}

/// The causes the Go library lists under its `jsonschema validation failed` line.
fn top_causes<'a, 's, 'v>(err: &'a ValidationError<'s, 'v>) -> Vec<&'a ValidationError<'s, 'v>> {
    match err.kind {
        ErrorKind::Schema { .. } => err.causes.iter().collect(),
        _ => vec![err],
    }
}

fn compile_message(e: &CompileError) -> String {
    match e {
        CompileError::ValidationError { url, src } => {
            let mut out = format!("\"{url}\" is not valid against metaschema: ");
            if let ErrorKind::Schema { url } = src.kind {
                out.push_str(&format!("jsonschema validation failed with {}", quote(url)));
                for cause in &src.causes {
                    go_messages(cause, 0, &mut out);
                }
            } else {
                let mut rest = String::new();
                go_messages(src, 0, &mut rest);
                out.push_str(rest.trim_start_matches("\n- "));
            }
            out
        }
        other => format!("{other:#}"),
    }
}

/// Writes one error and its causes as the Go library's `ValidationError.Error()` does,
/// each at `indent` (0 = top level under Helm's trimmed first line).
fn go_messages(e: &ValidationError<'_, '_>, indent: usize, out: &mut String) {
    let skip = matches!(e.kind, ErrorKind::Reference { .. }) && e.causes.len() == 1;
    let mut next = indent;
    if !skip {
        out.push('\n');
        out.push_str(&"  ".repeat(indent));
        out.push_str("- ");
        if let ErrorKind::Schema { url } = e.kind {
            out.push_str(&format!("jsonschema validation failed with {}", quote(url)));
        } else {
            out.push_str(&format!(
                "at {}: {}",
                quote(&e.instance_location.to_string()),
                kind_message(&e.kind)
            ));
        }
        next = indent + 1;
    }
    for cause in &e.causes {
        go_messages(cause, next, out);
    }
}

fn kind_message(kind: &ErrorKind<'_, '_>) -> String {
    match kind {
        ErrorKind::Group | ErrorKind::Reference { .. } => "validation failed".into(),
        ErrorKind::Schema { url } => format!("jsonschema validation failed with {}", quote(url)),
        ErrorKind::ContentSchema => "contentSchema failed".into(),
        ErrorKind::PropertyName { prop } => format!("invalid propertyName {}", quote(prop)),
        ErrorKind::RefCycle {
            url,
            kw_loc1,
            kw_loc2,
        } => format!("both {kw_loc1} and {kw_loc2} resolve to {url:?} causing reference cycle"),
        ErrorKind::FalseSchema => "false schema".into(),
        ErrorKind::Type { got, want } => {
            let want: Vec<String> = want.iter().map(|t| t.to_string()).collect();
            format!("got {got}, want {}", want.join(" or "))
        }
        ErrorKind::Enum { want } => {
            if want.iter().all(is_primitive) {
                if want.len() == 1 {
                    format!("value must be {}", display(&want[0]))
                } else {
                    let all: Vec<String> = want.iter().map(display).collect();
                    format!("value must be one of {}", all.join(", "))
                }
            } else {
                "enum failed".into()
            }
        }
        ErrorKind::Const { want } => {
            if is_primitive(want) {
                format!("value must be {}", display(want))
            } else {
                "const failed".into()
            }
        }
        ErrorKind::Format { got, want, err } => {
            format!("{} is not valid {want}: {err}", display(got))
        }
        ErrorKind::MinProperties { got, want } => format!("minProperties: got {got}, want {want}"),
        ErrorKind::MaxProperties { got, want } => format!("maxProperties: got {got}, want {want}"),
        ErrorKind::AdditionalProperties { got } => {
            format!("additional properties {} not allowed", join_quoted(got))
        }
        ErrorKind::Required { want } => match want.as_slice() {
            [one] => format!("missing property {}", quote(one)),
            many => format!("missing properties {}", join_quoted(many)),
        },
        ErrorKind::Dependency { prop, missing }
        | ErrorKind::DependentRequired { prop, missing } => {
            format!(
                "properties {} required, if {} exists",
                join_quoted(missing),
                quote(prop)
            )
        }
        ErrorKind::MinItems { got, want } => format!("minItems: got {got}, want {want}"),
        ErrorKind::MaxItems { got, want } => format!("maxItems: got {got}, want {want}"),
        ErrorKind::Contains => "no items match contains schema".into(),
        ErrorKind::MinContains { got, want } => {
            if got.is_empty() {
                format!("min {want} items required to match contains schema, but none matched")
            } else {
                format!(
                    "min {want} items required to match contains schema, but matched {} items at {}",
                    got.len(),
                    join_numbers(got)
                )
            }
        }
        ErrorKind::MaxContains { got, want } => format!(
            "max {want} items required to match contains schema, but matched {} items at {}",
            got.len(),
            join_numbers(got)
        ),
        ErrorKind::UniqueItems { got: [i, j] } => format!("items at {i} and {j} are equal"),
        ErrorKind::AdditionalItems { got } => {
            format!("last {got} additionalItem(s) not allowed")
        }
        ErrorKind::MinLength { got, want } => format!("minLength: got {got}, want {want}"),
        ErrorKind::MaxLength { got, want } => format!("maxLength: got {got}, want {want}"),
        ErrorKind::Pattern { got, want } => {
            format!("{} does not match pattern {}", quote(got), quote(want))
        }
        ErrorKind::ContentEncoding { want, err } => {
            format!("value is not {} encoded: {err}", quote(want))
        }
        ErrorKind::ContentMediaType { want, err, .. } => {
            format!("value if not of mediatype {}: {err}", quote(want))
        }
        ErrorKind::Minimum { got, want } => bound("minimum", got, want),
        ErrorKind::Maximum { got, want } => bound("maximum", got, want),
        ErrorKind::ExclusiveMinimum { got, want } => bound("exclusiveMinimum", got, want),
        ErrorKind::ExclusiveMaximum { got, want } => bound("exclusiveMaximum", got, want),
        ErrorKind::MultipleOf { got, want } => bound("multipleOf", got, want),
        ErrorKind::Not => "not failed".into(),
        ErrorKind::AllOf => "allOf failed".into(),
        ErrorKind::AnyOf => "anyOf failed".into(),
        ErrorKind::OneOf(None) => "oneOf failed, none matched".into(),
        ErrorKind::OneOf(Some((i, j))) => format!("oneOf failed, subschemas {i}, {j} matched"),
    }
}

fn bound(keyword: &str, got: &serde_json::Number, want: &serde_json::Number) -> String {
    let f = |n: &serde_json::Number| go_number(n.as_f64().unwrap_or(f64::NAN));
    format!("{keyword}: got {}, want {}", f(got), f(want))
}

/// Go's `message.Printer` `%v` of a float64: shortest digits, the integer part grouped
/// in thousands (`70,000`).
pub(crate) fn go_number(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let text = if f != 0.0 && (f.abs() < 1e-4 || f.abs() >= 1e21) {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        };
    } else {
        format!("{f}")
    };
    let (sign, rest) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(frac) => format!("{sign}{grouped}.{frac}"),
        None => format!("{sign}{grouped}"),
    }
}

fn is_primitive(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

/// The Go library's `display`: strings quoted, collections as `value`.
fn display(v: &Json) -> String {
    match v {
        Json::String(s) => quote(s),
        Json::Array(_) | Json::Object(_) => "value".into(),
        Json::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

/// The Go library's `quote`: Go's `%q`, with `"` unescaped and `'` escaped, in `'…'`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn join_quoted<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    quoted.join(", ")
}

fn join_numbers(items: &[usize]) -> String {
    let all: Vec<String> = items.iter().map(usize::to_string).collect();
    all.join(" ")
}

/// Go's `encoding/json` words for the common syntax errors.
fn go_json_error(e: &serde_json::Error, input: &[u8]) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected EOF".into(),
        _ if e.to_string().starts_with("trailing characters") => {
            "invalid character after top-level value".into()
        }
        _ => {
            let text = String::from_utf8_lossy(input);
            let c = text
                .lines()
                .nth(e.line().saturating_sub(1))
                .and_then(|l| l.chars().nth(e.column().saturating_sub(1)))
                .unwrap_or('?');
            format!(
                "invalid character {} looking for beginning of value",
                quote(&c.to_string())
            )
        }
    }
}

/// Values as Go's JSON decoding gives them to the validator.
fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_like_go_message_printer() {
        assert_eq!(go_number(70000.0), "70,000");
        assert_eq!(go_number(65535.0), "65,535");
        assert_eq!(go_number(1.5), "1.5");
        assert_eq!(go_number(-1234567.25), "-1,234,567.25");
        assert_eq!(go_number(100.0), "100");
    }

    #[test]
    fn quotes_like_the_go_library() {
        assert_eq!(quote("a'b\"c"), r#"'a\'b"c'"#);
    }
}
