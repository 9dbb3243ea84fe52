//! `values.yaml`: checked at load time the way Helm's `LoadValues` reads it.
//!
//! Helm splits the file into YAML documents at `---` lines and decodes each into a map,
//! merging them. A document that is not a map (or empty) makes the chart fail to load.

use crate::yaml::{self, NodeValue};
use crate::Error;

/// Splits `input` into documents at lines that start with `---`, as Kubernetes'
/// `YAMLReader` does (only spaces or a comment may follow the separator).
fn documents(input: &[u8]) -> Vec<&[u8]> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos < input.len() {
        let end = input[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |i| pos + i + 1);
        let line = &input[pos..end];
        if let Some(rest) = line.strip_prefix(b"---") {
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

/// A YAML error in a document of the file, with its line counted from the file's start.
fn shift(e: Error, line_offset: usize) -> Error {
    match e {
        Error::Yaml {
            file,
            line,
            column,
            message,
        } => Error::Yaml {
            file,
            line: line + line_offset,
            column,
            message,
        },
        e => e,
    }
}

/// Checks that `values.yaml` loads: every document parses and is a mapping (or empty), and
/// converts to JSON as Helm converts it.
///
/// ```
/// use helmoci_core::values::check_values;
/// check_values(b"a: 1\n---\nb: [x]\n", "values.yaml")?;
/// assert!(check_values(b"just a string\n", "values.yaml").is_err());
/// assert!(check_values(b"limit: .inf\n", "values.yaml").is_err());
/// # Ok::<(), helmoci_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Yaml`] with the line in the file (also for what JSON cannot hold: a NaN or
/// infinite float, a collection as a key), or [`Error::ChartYamlType`] for a document that
/// is not a mapping.
pub fn check_values(input: &[u8], file: &str) -> Result<(), Error> {
    let mut line_offset = 0;
    for doc in documents(input) {
        match yaml::parse(doc, file) {
            Ok(Some(node)) => {
                // Helm converts each document to JSON first: what JSON cannot hold (a NaN
                // or infinite float, a collection as a key) fails the chart's load.
                if matches!(node.value, NodeValue::Map(_)) {
                    node.try_resolve(file).map_err(|e| shift(e, line_offset))?;
                }
                let is_null = matches!(node.value, NodeValue::Scalar { .. })
                    && node.resolve() == crate::value::Value::Null;
                if !matches!(node.value, NodeValue::Map(_)) && !is_null {
                    return Err(Error::ChartYamlType {
                        file: file.to_owned(),
                        line: node.line + line_offset,
                        column: node.column,
                        field: "values".into(),
                        expected: "a mapping",
                        found: match node.value {
                            NodeValue::Seq(_) => "a list",
                            _ => "a scalar",
                        },
                    });
                }
            }
            Ok(None) => {}
            Err(e) => return Err(shift(e, line_offset)),
        }
        line_offset += doc.iter().filter(|&&b| b == b'\n').count() + 1;
    }
    Ok(())
}
