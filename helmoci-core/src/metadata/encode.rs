//! Metadata as a generic [`Value`], for YAML output (`helm package`'s rewritten
//! `Chart.yaml`, `helm show chart`, `Chart.lock`).
//!
//! Helm marshals structs to JSON first (omitting empty fields) and then converts that JSON
//! to YAML, so the value built here carries exactly the keys Go's JSON would.

use std::collections::BTreeMap;

use super::{ChartMetadata, Dependency};
use crate::value::Value;

fn put_str(map: &mut BTreeMap<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

fn put_strs(map: &mut BTreeMap<String, Value>, key: &str, values: &[String]) {
    if !values.is_empty() {
        map.insert(
            key.to_owned(),
            Value::Seq(values.iter().cloned().map(Value::String).collect()),
        );
    }
}

impl ChartMetadata {
    /// The metadata as Helm's JSON step sees it: empty fields omitted.
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        put_str(&mut m, "name", &self.name);
        put_str(&mut m, "home", &self.home);
        put_strs(&mut m, "sources", &self.sources);
        put_str(&mut m, "version", &self.version);
        put_str(&mut m, "description", &self.description);
        put_strs(&mut m, "keywords", &self.keywords);
        if !self.maintainers.is_empty() {
            let list = self
                .maintainers
                .iter()
                .map(|mt| {
                    let mut e = BTreeMap::new();
                    put_str(&mut e, "name", &mt.name);
                    put_str(&mut e, "email", &mt.email);
                    put_str(&mut e, "url", &mt.url);
                    Value::Map(e)
                })
                .collect();
            m.insert("maintainers".into(), Value::Seq(list));
        }
        put_str(&mut m, "icon", &self.icon);
        put_str(&mut m, "apiVersion", &self.api_version);
        put_str(&mut m, "condition", &self.condition);
        put_str(&mut m, "tags", &self.tags);
        put_str(&mut m, "appVersion", &self.app_version);
        if self.deprecated {
            m.insert("deprecated".into(), Value::Bool(true));
        }
        if !self.annotations.is_empty() {
            let a = self
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            m.insert("annotations".into(), Value::Map(a));
        }
        put_str(&mut m, "kubeVersion", &self.kube_version);
        if !self.dependencies.is_empty() {
            m.insert(
                "dependencies".into(),
                Value::Seq(self.dependencies.iter().map(Dependency::to_value).collect()),
            );
        }
        put_str(&mut m, "type", &self.chart_type);
        Value::Map(m)
    }

    /// The metadata as Helm's `yaml.Marshal` writes it (what `helm show chart` prints):
    /// keys sorted, YAML 1.1-safe quoting.
    pub fn to_yaml(&self) -> String {
        crate::yaml::to_yaml_string(&self.to_value())
    }

    /// `Chart.yaml` as `helm package` archives it: [`to_yaml`](Self::to_yaml), except that
    /// `apiVersion: v1` charts drop `dependencies`, which they keep in `requirements.yaml`.
    pub fn to_archived_yaml(&self) -> String {
        if self.api_version == "v1" && !self.dependencies.is_empty() {
            let md = ChartMetadata {
                dependencies: Vec::new(),
                ..self.clone()
            };
            return crate::yaml::to_yaml_string(&md.to_value());
        }
        crate::yaml::to_yaml_string(&self.to_value())
    }
}

impl Dependency {
    /// The dependency as Helm's JSON step sees it: `name` and `repository` always, the
    /// other fields when set.
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("name".into(), Value::String(self.name.clone()));
        put_str(&mut m, "version", &self.version);
        m.insert("repository".into(), Value::String(self.repository.clone()));
        put_str(&mut m, "condition", &self.condition);
        put_strs(&mut m, "tags", &self.tags);
        if self.enabled {
            m.insert("enabled".into(), Value::Bool(true));
        }
        if !self.import_values.is_empty() {
            m.insert(
                "import-values".into(),
                Value::Seq(self.import_values.clone()),
            );
        }
        put_str(&mut m, "alias", &self.alias);
        Value::Map(m)
    }
}
