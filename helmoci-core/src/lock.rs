//! `Chart.lock` (and the v1 `requirements.lock`): the resolved dependency versions.

use std::collections::BTreeMap;

use crate::metadata::{decode, Dependency};
use crate::time::Timestamp;
use crate::value::Value;
use crate::yaml::{self, NodeValue};
use crate::Error;

/// A parsed `Chart.lock`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lock {
    /// `generated`: when the lock was written, RFC 3339 as Go prints it.
    pub generated: String,
    /// `digest`: `sha256:` of the dependency lists (see Helm's resolver).
    pub digest: String,
    /// `dependencies`: name, version and repository of each locked dependency.
    pub dependencies: Vec<Dependency>,
}

impl Lock {
    /// Parses a lock file.
    ///
    /// # Errors
    /// YAML errors, a field of the wrong type, or a `generated` value that is not RFC 3339.
    pub fn from_yaml(input: &[u8], file: &str) -> Result<Lock, Error> {
        let mut lock = Lock::default();
        let Some(root) = yaml::parse(input, file)? else {
            return Ok(lock);
        };
        let NodeValue::Map(pairs) = &root.value else {
            return Err(Error::ChartYamlType {
                file: file.to_owned(),
                line: root.line,
                column: root.column,
                field: "Lock".into(),
                expected: "a mapping",
                found: "something else",
            });
        };
        for (k, v) in pairs {
            let key = k.to_go_string().unwrap_or_default();
            if key.eq_ignore_ascii_case("generated") {
                let text = v.to_go_string().unwrap_or_default();
                lock.generated = canonical_time(&text).ok_or_else(|| Error::LockTime {
                    file: file.to_owned(),
                    line: v.line,
                    value: text.clone(),
                })?;
            } else if key.eq_ignore_ascii_case("digest") {
                lock.digest = v.to_go_string().unwrap_or_default();
            } else if key.eq_ignore_ascii_case("dependencies") {
                lock.dependencies = decode::dependencies(file, v)?;
            }
        }
        Ok(lock)
    }

    /// The lock as Helm writes it (keys sorted, `generated` quoted).
    pub fn to_yaml(&self) -> String {
        let mut m = BTreeMap::new();
        m.insert("generated".into(), Value::String(self.generated.clone()));
        m.insert("digest".into(), Value::String(self.digest.clone()));
        m.insert(
            "dependencies".into(),
            Value::Seq(self.dependencies.iter().map(Dependency::to_value).collect()),
        );
        yaml::to_yaml_string(&Value::Map(m))
    }

    /// The `generated` instant (used as the archived `Chart.lock`'s mtime).
    pub fn generated_time(&self) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(&self.generated)
    }
}

/// Go's re-marshalled form of an RFC 3339 time: the fraction without trailing zeros.
fn canonical_time(text: &str) -> Option<String> {
    Timestamp::parse_rfc3339(text)?;
    let (main, zone) = match text.rfind(['Z', 'z', '+']) {
        Some(i) if i > 10 => text.split_at(i),
        _ => match text[10..].rfind('-') {
            Some(i) => text.split_at(10 + i),
            None => return Some(text.to_owned()),
        },
    };
    let main = match main.split_once('.') {
        Some((whole, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{frac}")
            }
        }
        None => main.to_owned(),
    };
    let zone = if zone == "z" || zone == "+00:00" {
        "Z"
    } else {
        zone
    };
    Some(format!("{main}{zone}"))
}
