//! A chart repository's `index.yaml`: [`IndexFile`] and its [`ChartVersionEntry`] list,
//! as Helm's `pkg/repo/v1/index.go` reads, queries and writes them.
//!
//! - [`IndexFile::parse`]: JSON when the input is valid JSON, otherwise **strict** YAML
//!   (unknown keys fail); no `apiVersion` fails; null and invalid entries are skipped
//!   with a warning; each chart's versions are sorted highest first, unparsable last.
//! - [`IndexFile::get`]: Helm's pick for a version or constraint.
//! - [`IndexFile::to_yaml`] / [`IndexFile::to_json`]: the bytes `helm repo index` writes.
//! - [`IndexFile::from_directory`] and [`IndexFile::merge`]: `helm repo index DIR
//!   [--url U] [--merge F]`.
//!
//! ```
//! use helmoci_core::index::IndexFile;
//! let index = IndexFile::parse(br#"
//! apiVersion: v1
//! entries:
//!   demo:
//!   - {name: demo, version: 0.9.0, urls: [demo-0.9.0.tgz], created: "2024-01-02T03:04:05Z"}
//!   - {name: demo, version: 1.0.0, urls: [demo-1.0.0.tgz], created: "2024-01-02T03:04:05Z"}
//! generated: "2024-01-02T03:04:05Z"
//! "#, "index.yaml")?;
//! let pick = index.get("demo", "~0.9")?;
//! assert_eq!(pick.metadata.version, "0.9.0");
//! assert_eq!(index.entries["demo"][0].metadata.version, "1.0.0"); // sorted, highest first
//! assert_eq!(
//!     pick.download_url("https://charts.example.com/stable")?,
//!     "https://charts.example.com/stable/demo-0.9.0.tgz"
//! );
//! # Ok::<(), helmoci_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use crate::json::JsonWriter;
use crate::metadata::ChartMetadata;
use crate::time::Timestamp;
use crate::value::Value;
use crate::version::ChartVersion;
use crate::Error;

mod generate;
mod parse;
mod stream;
pub(crate) mod url;

pub use url::{resolve_reference_url, url_join};

/// Go's zero `time.Time`, as it marshals (an index entry without `created`).
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// A repository index (`index.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFile {
    /// `serverInfo` (ChartMuseum's; kept as decoded, written back when not empty).
    pub server_info: BTreeMap<String, Value>,
    /// `apiVersion`: `v1`.
    pub api_version: String,
    /// `generated`: RFC 3339 as Go marshals it.
    pub generated: String,
    /// `entries`: chart name → versions, highest first after [`IndexFile::sort_entries`].
    pub entries: BTreeMap<String, Vec<ChartVersionEntry>>,
    /// `publicKeys` (omitted when empty).
    pub public_keys: Vec<String>,
    /// `annotations` (omitted when empty).
    pub annotations: BTreeMap<String, String>,
}

/// One chart version in an index: the chart's metadata flattened, plus where to get it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartVersionEntry {
    /// The `Chart.yaml` fields.
    pub metadata: ChartMetadata,
    /// `urls`: where the archive is, absolute or relative to the repository URL.
    pub urls: Vec<String>,
    /// `created`: RFC 3339 as Go marshals it ([`ZERO_TIME`] when absent).
    pub created: String,
    /// `removed`.
    pub removed: bool,
    /// `digest`: hex SHA-256 of the archive, **without** a `sha256:` prefix (may be empty).
    pub digest: String,
}

impl Default for IndexFile {
    fn default() -> Self {
        IndexFile::new(Timestamp::now())
    }
}

impl IndexFile {
    /// An empty index generated at `generated` (Helm's `NewIndexFile`).
    pub fn new(generated: Timestamp) -> IndexFile {
        IndexFile {
            server_info: BTreeMap::new(),
            api_version: "v1".into(),
            generated: generated.to_rfc3339_nano(),
            entries: BTreeMap::new(),
            public_keys: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    /// Sorts every chart's versions highest first, unparsable versions last (stable;
    /// Helm's sort is not, so equal versions may come out in another order there).
    pub fn sort_entries(&mut self) {
        for versions in self.entries.values_mut() {
            sort_versions(versions);
        }
    }

    /// Helm's `IndexFile.Get`: the entry of chart `name` for `version`, a version or a
    /// constraint (`""` means the highest release).
    ///
    /// An entry whose version text equals `version` wins; otherwise the first entry (in
    /// index order, so the highest) whose version satisfies the constraint.
    ///
    /// # Errors
    /// [`Error::IndexNoChart`], [`Error::IndexNoVersion`], or the constraint's parse error.
    pub fn get(&self, name: &str, version: &str) -> Result<&ChartVersionEntry, Error> {
        let versions = self.entries.get(name).ok_or_else(|| Error::IndexNoChart {
            name: name.to_owned(),
        })?;
        let no_version = || Error::IndexNoVersion {
            name: name.to_owned(),
            version: version.to_owned(),
        };
        if versions.is_empty() {
            return Err(no_version());
        }
        let pick = crate::version::select_version(
            versions.iter().map(|v| v.metadata.version.as_str()),
            version,
        )?;
        pick.map(|i| &versions[i]).ok_or_else(no_version)
    }

    /// Whether the index has chart `name` at exactly `version` (Helm's `Has`).
    pub fn has(&self, name: &str, version: &str) -> bool {
        self.get(name, version).is_ok()
    }

    /// Helm's `Merge`: adds every entry of `other` whose (name, version) this index does
    /// not have (by [`has`](Self::has)); existing entries win. Leaves the index unsorted.
    pub fn merge(&mut self, other: &IndexFile) {
        for versions in other.entries.values() {
            for cv in versions {
                if !self.has(&cv.metadata.name, &cv.metadata.version) {
                    self.entries
                        .entry(cv.metadata.name.clone())
                        .or_default()
                        .push(cv.clone());
                }
            }
        }
    }

    /// The index as Helm's JSON step sees it (for YAML output).
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        if !self.server_info.is_empty() {
            m.insert("serverInfo".into(), Value::Map(self.server_info.clone()));
        }
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        m.insert("generated".into(), Value::String(self.generated.clone()));
        let entries = self
            .entries
            .iter()
            .map(|(k, vs)| {
                let list = vs.iter().map(ChartVersionEntry::to_value).collect();
                (k.clone(), Value::Seq(list))
            })
            .collect();
        m.insert("entries".into(), Value::Map(entries));
        if !self.public_keys.is_empty() {
            let keys = self.public_keys.iter().cloned().map(Value::String);
            m.insert("publicKeys".into(), Value::Seq(keys.collect()));
        }
        if !self.annotations.is_empty() {
            let a = self.annotations.iter();
            let a = a.map(|(k, v)| (k.clone(), Value::String(v.clone())));
            m.insert("annotations".into(), Value::Map(a.collect()));
        }
        Value::Map(m)
    }

    /// `index.yaml` exactly as Helm writes it (keys sorted, times quoted).
    pub fn to_yaml(&self) -> String {
        crate::yaml::to_yaml_string(&self.to_value())
    }

    /// The index as `helm repo index --json` writes it: Go's `json.MarshalIndent` with
    /// two spaces, fields in Helm's struct order, no trailing newline.
    pub fn to_json(&self) -> String {
        let mut w = JsonWriter::new();
        w.begin_object();
        if !self.server_info.is_empty() {
            w.key("serverInfo");
            Value::Map(self.server_info.clone()).write_json(&mut w);
        }
        w.key("apiVersion");
        w.string(&self.api_version);
        w.key("generated");
        w.string(&self.generated);
        w.key("entries");
        w.begin_object();
        for (name, versions) in &self.entries {
            w.key(name);
            w.begin_array();
            for v in versions {
                v.write_json(&mut w);
            }
            w.end_array();
        }
        w.end_object();
        w.strings_field_omitempty("publicKeys", &self.public_keys);
        if !self.annotations.is_empty() {
            w.key("annotations");
            w.begin_object();
            for (k, v) in &self.annotations {
                w.key(k);
                w.string(v);
            }
            w.end_object();
        }
        w.end_object();
        indent_json(&w.finish())
    }

    /// Writes the index to `dest` (YAML, or JSON with `json`) atomically with mode 0644,
    /// as `helm repo index` does.
    ///
    /// # Errors
    /// [`Error::Write`].
    pub fn write_file(&self, dest: &Path, json: bool) -> Result<(), Error> {
        let text = if json { self.to_json() } else { self.to_yaml() };
        crate::lock::write_atomic(dest, text.as_bytes())
    }
}

impl ChartVersionEntry {
    /// Where to download this version from a repository at `repo_url`: `urls[0]`
    /// resolved with [`resolve_reference_url`].
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] when the entry has no URL or a URL does not parse.
    pub fn download_url(&self, repo_url: &str) -> Result<String, Error> {
        let first = self.urls.first().ok_or_else(|| Error::InvalidUrl {
            url: String::new(),
            reason: format!(
                "chart {} {} has no urls in the index",
                self.metadata.name, self.metadata.version
            ),
        })?;
        resolve_reference_url(repo_url, first)
    }

    /// The entry as Helm's JSON step sees it: metadata fields, `urls`, `created`,
    /// `removed` and `digest` (the last two when set).
    pub fn to_value(&self) -> Value {
        let Value::Map(mut m) = self.metadata.to_value() else {
            return Value::Null;
        };
        let urls = if self.urls.is_empty() {
            Value::Null
        } else {
            Value::Seq(self.urls.iter().cloned().map(Value::String).collect())
        };
        m.insert("urls".into(), urls);
        m.insert("created".into(), Value::String(self.created.clone()));
        if self.removed {
            m.insert("removed".into(), Value::Bool(true));
        }
        if !self.digest.is_empty() {
            m.insert("digest".into(), Value::String(self.digest.clone()));
        }
        Value::Map(m)
    }

    /// Writes the entry as Go's JSON encoder does (metadata fields first, in Helm's order).
    pub fn write_json(&self, w: &mut JsonWriter) {
        let mut inner = JsonWriter::new();
        self.metadata.write_json(&mut inner);
        let md = inner.finish();
        // The metadata object without its closing brace, then the entry's own fields.
        let mut tail = JsonWriter::new();
        tail.begin_object();
        tail.key("urls");
        if self.urls.is_empty() {
            tail.null();
        } else {
            tail.begin_array();
            for u in &self.urls {
                tail.string(u);
            }
            tail.end_array();
        }
        tail.key("created");
        tail.string(&self.created);
        if self.removed {
            tail.key("removed");
            tail.bool(true);
        }
        tail.string_field_omitempty("digest", &self.digest);
        tail.end_object();
        let tail = tail.finish();
        let head = &md[..md.len() - 1];
        let sep = if head.len() > 1 { "," } else { "" };
        w.raw_number(&format!("{head}{sep}{}", &tail[1..]));
    }
}

fn sort_versions(versions: &mut [ChartVersionEntry]) {
    let mut keyed: Vec<(Option<ChartVersion>, usize)> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| (v.metadata.version.parse().ok(), i))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) => b.cmp(a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let sorted: Vec<ChartVersionEntry> = order.iter().map(|&i| versions[i].clone()).collect();
    versions.clone_from_slice(&sorted);
}

/// Go's `json.Indent` with a two-space indent and no prefix, on compact JSON.
fn indent_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let bytes = compact.as_bytes();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut i = 0;
    for c in compact.chars() {
        let at = i;
        i += c.len_utf8();
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Empty containers stay `{}` / `[]`.
                if matches!(bytes.get(at + 1), Some(b'}') | Some(b']')) {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !matches!(bytes.get(at.wrapping_sub(1)), Some(b'{') | Some(b'[')) || at == 0 {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_like_go() {
        assert_eq!(
            indent_json(r#"{"a":[],"b":{},"c":["x,{"],"d":{"e":1}}"#),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    \"x,{\"\n  ],\n  \"d\": {\n    \"e\": 1\n  }\n}"
        );
    }
}
