//! The `Chart.yaml` model: [`ChartMetadata`], [`Maintainer`] and [`Dependency`].
//!
//! Field names and order follow Helm's `pkg/chart/v2/metadata.go`; the order matters because
//! Go's JSON encoder writes struct fields in declaration order, and that JSON is the OCI
//! config blob Helm pushes (see [`ChartMetadata::to_config_json`]).

use std::collections::BTreeMap;

pub(crate) mod decode;
mod encode;
mod validate;

pub use decode::Warning;
pub use validate::sanitize;

use crate::json::JsonWriter;
use crate::value::Value;

/// The JSON names of `Chart.yaml`'s fields, in Go's declaration order (what Helm's strict
/// decoders accept).
pub(crate) const FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// The JSON names of a `maintainers` entry's fields.
pub(crate) const MAINTAINER_FIELDS: &[&str] = &["name", "email", "url"];

/// The contents of `Chart.yaml`, as Helm loads it.
///
/// Every field is a plain public field; an absent string is `""` and an absent list is
/// empty, as in Go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartMetadata {
    /// `name`: the chart's name.
    pub name: String,
    /// `home`: the project's home page URL.
    pub home: String,
    /// `sources`: source code URLs.
    pub sources: Vec<String>,
    /// `version`: the chart version, a (lenient) SemVer 2 string, kept as written.
    pub version: String,
    /// `description`: one sentence about the chart.
    pub description: String,
    /// `keywords`: search keywords.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`: an icon URL.
    pub icon: String,
    /// `apiVersion`: `v1` or `v2` (a missing value is loaded as `v1`, as Helm does).
    pub api_version: String,
    /// `condition` (legacy, unused by Helm 3+).
    pub condition: String,
    /// `tags` (legacy, unused by Helm 3+).
    pub tags: String,
    /// `appVersion`: the version of the packaged application.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations`: string to string.
    pub annotations: BTreeMap<String, String>,
    /// `kubeVersion`: a constraint on Kubernetes versions.
    pub kube_version: String,
    /// `dependencies` (for v1 charts: from `requirements.yaml`).
    pub dependencies: Vec<Dependency>,
    /// `type`: `""`, `application` or `library`.
    pub chart_type: String,
}

/// A `maintainers` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    /// `name`.
    pub name: String,
    /// `email`.
    pub email: String,
    /// `url`.
    pub url: String,
}

/// A `dependencies` entry of `Chart.yaml` (or `requirements.yaml`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// `name`: the dependency's chart name.
    pub name: String,
    /// `version`: a version or a Masterminds constraint.
    pub version: String,
    /// `repository`: `oci://…`, `https://…`, `file://…`, `@alias`, `alias:name`, or `""`.
    pub repository: String,
    /// `condition`: a values path that enables the subchart.
    pub condition: String,
    /// `tags`: tags that enable the subchart.
    pub tags: Vec<String>,
    /// `enabled` (forced at render time; kept for the lock digest).
    pub enabled: bool,
    /// `import-values`: strings or `{child, parent}` maps, kept as decoded.
    pub import_values: Vec<Value>,
    /// `alias`: the name the subchart is used under.
    pub alias: String,
}

impl ChartMetadata {
    /// The OCI config blob Helm pushes for this chart: Go's `json.Marshal` of the metadata,
    /// fields in Helm's order, empty ones omitted, HTML-safe escaping.
    ///
    /// ```
    /// use helmoci_core::metadata::ChartMetadata;
    /// let md = ChartMetadata {
    ///     name: "demo".into(),
    ///     version: "0.1.0".into(),
    ///     description: "A Helm chart for Kubernetes".into(),
    ///     api_version: "v2".into(),
    ///     app_version: "1.16.0".into(),
    ///     chart_type: "application".into(),
    ///     ..Default::default()
    /// };
    /// assert_eq!(
    ///     md.to_config_json(),
    ///     r#"{"name":"demo","version":"0.1.0","description":"A Helm chart for Kubernetes","apiVersion":"v2","appVersion":"1.16.0","type":"application"}"#
    /// );
    /// ```
    pub fn to_config_json(&self) -> String {
        let mut w = JsonWriter::new();
        self.write_json(&mut w);
        w.finish()
    }

    /// Writes the metadata as Go's JSON encoder does (see [`to_config_json`](Self::to_config_json)).
    pub fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        w.string_field_omitempty("name", &self.name);
        w.string_field_omitempty("home", &self.home);
        w.strings_field_omitempty("sources", &self.sources);
        w.string_field_omitempty("version", &self.version);
        w.string_field_omitempty("description", &self.description);
        w.strings_field_omitempty("keywords", &self.keywords);
        if !self.maintainers.is_empty() {
            w.key("maintainers");
            w.begin_array();
            for m in &self.maintainers {
                w.begin_object();
                w.string_field_omitempty("name", &m.name);
                w.string_field_omitempty("email", &m.email);
                w.string_field_omitempty("url", &m.url);
                w.end_object();
            }
            w.end_array();
        }
        w.string_field_omitempty("icon", &self.icon);
        w.string_field_omitempty("apiVersion", &self.api_version);
        w.string_field_omitempty("condition", &self.condition);
        w.string_field_omitempty("tags", &self.tags);
        w.string_field_omitempty("appVersion", &self.app_version);
        if self.deprecated {
            w.key("deprecated");
            w.bool(true);
        }
        if !self.annotations.is_empty() {
            w.key("annotations");
            w.begin_object();
            for (k, v) in &self.annotations {
                w.key(k);
                w.string(v);
            }
            w.end_object();
        }
        w.string_field_omitempty("kubeVersion", &self.kube_version);
        if !self.dependencies.is_empty() {
            w.key("dependencies");
            w.begin_array();
            for d in &self.dependencies {
                d.write_json(w);
            }
            w.end_array();
        }
        w.string_field_omitempty("type", &self.chart_type);
        w.end_object();
    }
}

impl Dependency {
    /// Writes the dependency as Go's JSON encoder does: `name` and `repository` always,
    /// the other fields when set.
    pub fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        w.key("name");
        w.string(&self.name);
        w.string_field_omitempty("version", &self.version);
        w.key("repository");
        w.string(&self.repository);
        w.string_field_omitempty("condition", &self.condition);
        w.strings_field_omitempty("tags", &self.tags);
        if self.enabled {
            w.key("enabled");
            w.bool(true);
        }
        if !self.import_values.is_empty() {
            w.key("import-values");
            w.begin_array();
            for v in &self.import_values {
                v.write_json(w);
            }
            w.end_array();
        }
        w.string_field_omitempty("alias", &self.alias);
        w.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_json_matches_helm_vector() {
        // HELM-FACTS §8.3: 138 bytes, sha256:ff1a5b6b…
        let md = ChartMetadata {
            name: "demo".into(),
            version: "0.1.0".into(),
            description: "A Helm chart for Kubernetes".into(),
            api_version: "v2".into(),
            app_version: "1.16.0".into(),
            chart_type: "application".into(),
            ..Default::default()
        };
        let json = md.to_config_json();
        assert_eq!(json.len(), 138);
        assert_eq!(
            crate::digest::Digest::sha256_of(json.as_bytes()).as_str(),
            "sha256:ff1a5b6b030beb6d80ed19ee6573edf7de40803ef73c8502cffb6f2a10ba39d7"
        );
    }

    #[test]
    fn kube_version_is_html_escaped() {
        let md = ChartMetadata {
            kube_version: ">=1.22.0-0".into(),
            ..Default::default()
        };
        assert_eq!(md.to_config_json(), r#"{"kubeVersion":"\u003e=1.22.0-0"}"#);
    }

    #[test]
    fn whole_floats_are_written_as_integers_like_helm() {
        // `helm package` (v4.2.3) of this Chart.yaml archives `child:s: 0` and `child: 2`:
        // Go formats a whole float64 without a fraction, so it reads back as an integer.
        let src = "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  import-values:\n  - child:s: 0e-7\n  - child: 2.0\n";
        let (md, _) = ChartMetadata::from_yaml(src.as_bytes(), "Chart.yaml").unwrap();
        assert_eq!(
            md.to_archived_yaml(),
            "apiVersion: v2\ndependencies:\n- import-values:\n  - child:s: 0\n  - child: 2\n  name: redis\n  repository: \"\"\n  version: 1.0.0\nname: c\nversion: 0.1.0\n"
        );
        assert!(md
            .to_config_json()
            .contains(r#""import-values":[{"child:s":0},{"child":2}]"#));
    }
}
