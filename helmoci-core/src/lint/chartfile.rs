//! Helm's `rules.Chartfile`: the checks on `Chart.yaml`, in Helm's order.

use std::fs;

use crate::metadata::ChartMetadata;
use crate::value::Value;
use crate::version::ChartVersion;
use crate::yaml::{self, Node, NodeValue};

use super::urls::{is_email, is_request_url, is_url};
use super::{go_io, go_yaml_error, strict, Linter, Severity};

const FILE: &str = "Chart.yaml";

pub(super) fn run(l: &mut Linter) {
    use Severity::{Error, Info, Warning};
    let path = l.dir.join(FILE);
    if fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
        l.rule(Error, FILE, Err("should be a file, not a directory".into()));
    }
    let (bytes, parsed) = match fs::read(&path) {
        Err(e) => (Vec::new(), Err(format!("read {}", go_io(&path, &e)))),
        Ok(bytes) => {
            let parsed = parse(&bytes);
            (bytes, parsed)
        }
    };
    let (md, raw, null_maintainer) = match parsed {
        Ok(p) => p,
        Err(e) => {
            l.rule(Error, FILE, Err(format!("unable to parse YAML\n\t{e}")));
            return;
        }
    };
    if let Err(e) = strict::check(&bytes, &raw) {
        l.rule(
            Warning,
            FILE,
            Err(format!(
                "failed to strictly parse chart metadata file\n\t{e}"
            )),
        );
    }
    l.rule(Error, FILE, name(&md));
    l.rule(Error, FILE, api_version(&md));
    l.rule(Error, FILE, is_string(&raw, "version"));
    l.rule(Error, FILE, version(&md));
    l.rule(Error, FILE, is_string(&raw, "appVersion"));
    l.rule(Error, FILE, maintainers(&md, null_maintainer));
    l.rule(Error, FILE, sources(&md));
    l.rule(Info, FILE, icon_present(&md));
    l.rule(Error, FILE, icon_url(&md));
    l.rule(Error, FILE, chart_type(&md));
    l.rule(Error, FILE, dependencies(&md));
    l.rule(Warning, FILE, strict_semver(&md));
}

/// `chartutil.LoadChartfile`: the metadata as decoded (not validated or sanitized), the
/// generic document, and the index of the first null `maintainers` entry (Helm keeps a nil
/// entry there; our decoder refuses it, so it is dropped from the metadata).
fn parse(bytes: &[u8]) -> Result<(ChartMetadata, Value, Option<usize>), String> {
    let root = yaml::parse(bytes, FILE).map_err(|e| go_yaml_error(&e, "chart.Metadata"))?;
    let raw = root.as_ref().map_or(Value::Null, Node::resolve);
    if let Some(root) = &root {
        if !matches!(root.value, NodeValue::Map(_)) && raw != Value::Null {
            let found = match root.value {
                NodeValue::Seq(_) => "array",
                _ => "string",
            };
            return Err(format!("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {found} into Go value of type v2.Metadata"));
        }
    }
    let null_entry = |key: &str| match &raw {
        Value::Map(m) => match m.get(key) {
            Some(Value::Seq(items)) => items.iter().position(|v| *v == Value::Null),
            _ => None,
        },
        _ => None,
    };
    let null_maintainer = null_entry("maintainers");
    let md = if null_maintainer.is_some() || null_entry("dependencies").is_some() {
        // Our decoder refuses null entries; Go's keeps them as nil pointers. Drop them and
        // decode the rest, re-emitted with Helm's YAML writer (types are preserved).
        let mut cleaned = raw.clone();
        if let Value::Map(m) = &mut cleaned {
            for key in ["maintainers", "dependencies"] {
                if let Some(Value::Seq(items)) = m.get_mut(key) {
                    items.retain(|v| *v != Value::Null);
                }
            }
        }
        let text = yaml::to_yaml_string(&cleaned);
        ChartMetadata::from_yaml(text.as_bytes(), FILE)
    } else {
        ChartMetadata::from_yaml(bytes, FILE)
    };
    let (md, _) = md.map_err(|e| go_yaml_error(&e, "v2.Metadata"))?;
    Ok((md, raw, null_maintainer))
}

/// `isStringValue`: the key, if present, must hold a string after YAML → JSON → Go.
fn is_string(raw: &Value, key: &str) -> Result<(), String> {
    let Value::Map(m) = raw else { return Ok(()) };
    let go_type = match m.get(key) {
        None | Some(Value::String(_)) => return Ok(()),
        Some(Value::Null) => "<nil>",
        Some(Value::Bool(_)) => "bool",
        Some(Value::Int(_) | Value::Float(_)) => "float64",
        Some(Value::Seq(_)) => "[]interface {}",
        Some(Value::Map(_)) => "map[string]interface {}",
    };
    Err(format!(
        "{key} should be of type string but it's of type {go_type}"
    ))
}

fn name(md: &ChartMetadata) -> Result<(), String> {
    if md.name.is_empty() {
        return Err("name is required".into());
    }
    let base = go_base(&md.name);
    if base != md.name {
        return Err(format!("chart name {:?} is invalid", md.name));
    }
    Ok(())
}

/// Go's `filepath.Base` on Unix.
fn go_base(p: &str) -> &str {
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return if p.is_empty() { "." } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

fn api_version(md: &ChartMetadata) -> Result<(), String> {
    match md.api_version.as_str() {
        "" => Err("apiVersion is required. The value must be either \"v1\" or \"v2\"".into()),
        "v1" | "v2" => Ok(()),
        other => Err(format!(
            "apiVersion '{other}' is not valid. The value must be either \"v1\" or \"v2\""
        )),
    }
}

fn version(md: &ChartMetadata) -> Result<(), String> {
    if md.version.is_empty() {
        return Err("version is required".into());
    }
    let Ok(v) = md.version.parse::<ChartVersion>() else {
        return Err(format!("version '{}' is not a valid SemVer", md.version));
    };
    // `>0.0.0-0`: only 0.0.0-0 itself (with any build metadata) is not greater.
    if v.major() == 0 && v.minor() == 0 && v.patch() == 0 && v.prerelease() == "0" {
        return Err(format!(
            "version \"{v}\" is less than or equal to \"0.0.0-0\""
        ));
    }
    Ok(())
}

fn strict_semver(md: &ChartMetadata) -> Result<(), String> {
    match ChartVersion::parse_strict(&md.version) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("version '{}' is not a valid SemVerV2", md.version)),
    }
}

fn maintainers(md: &ChartMetadata, null_entry: Option<usize>) -> Result<(), String> {
    // Helm stops at the first bad entry, so a null entry counts where it stands.
    for (i, m) in md.maintainers.iter().enumerate() {
        if null_entry == Some(i) {
            return Err("a maintainer entry is empty".into());
        }
        if m.name.is_empty() {
            return Err("each maintainer requires a name".into());
        }
        if !m.email.is_empty() && !is_email(&m.email) {
            return Err(format!(
                "invalid email '{}' for maintainer '{}'",
                m.email, m.name
            ));
        }
        if !m.url.is_empty() && !is_url(&m.url) {
            return Err(format!(
                "invalid url '{}' for maintainer '{}'",
                m.url, m.name
            ));
        }
    }
    match null_entry {
        Some(_) => Err("a maintainer entry is empty".into()),
        None => Ok(()),
    }
}

fn sources(md: &ChartMetadata) -> Result<(), String> {
    match md
        .sources
        .iter()
        .find(|s| s.is_empty() || !is_request_url(s))
    {
        Some(bad) => Err(format!("invalid source URL '{bad}'")),
        None => Ok(()),
    }
}

fn icon_present(md: &ChartMetadata) -> Result<(), String> {
    if md.icon.is_empty() {
        Err("icon is recommended".into())
    } else {
        Ok(())
    }
}

fn icon_url(md: &ChartMetadata) -> Result<(), String> {
    if !md.icon.is_empty() && !is_request_url(&md.icon) {
        Err(format!("invalid icon URL '{}'", md.icon))
    } else {
        Ok(())
    }
}

fn chart_type(md: &ChartMetadata) -> Result<(), String> {
    if !md.chart_type.is_empty() && md.api_version != "v2" {
        return Err(format!(
            "chart type is not valid in apiVersion '{}'. It is valid in apiVersion 'v2'",
            md.api_version
        ));
    }
    Ok(())
}

fn dependencies(md: &ChartMetadata) -> Result<(), String> {
    if !md.dependencies.is_empty() && md.api_version != "v2" {
        return Err(format!("dependencies are not valid in the Chart file with apiVersion '{}'. They are valid in apiVersion 'v2'", md.api_version));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(yaml: &str) -> ChartMetadata {
        parse(yaml.as_bytes())
            .map(|(m, _, _)| m)
            .unwrap_or_default()
    }

    macro_rules! rule {
        ($name:ident, $check:expr, $yaml:expr, $want:expr) => {
            #[test]
            fn $name() {
                let got: Result<(), String> = $check(&md($yaml));
                let want: Result<(), &str> = $want;
                assert_eq!(
                    got.as_ref().map(|_| ()).map_err(String::as_str),
                    want,
                    "{}",
                    $yaml
                );
            }
        };
    }

    rule!(
        name_required,
        name,
        "version: 1.0.0",
        Err("name is required")
    );
    rule!(
        name_with_slash,
        name,
        "name: a/b",
        Err("chart name \"a/b\" is invalid")
    );
    rule!(name_ok, name, "name: demo", Ok(()));
    rule!(
        api_missing,
        api_version,
        "name: a",
        Err("apiVersion is required. The value must be either \"v1\" or \"v2\"")
    );
    rule!(
        api_v3,
        api_version,
        "apiVersion: v3",
        Err("apiVersion 'v3' is not valid. The value must be either \"v1\" or \"v2\"")
    );
    rule!(api_v1, api_version, "apiVersion: v1", Ok(()));
    rule!(
        version_missing,
        version,
        "name: a",
        Err("version is required")
    );
    rule!(
        version_latest,
        version,
        "version: latest",
        Err("version 'latest' is not a valid SemVer")
    );
    rule!(
        version_zero_pre,
        version,
        "version: 0.0.0-0",
        Err("version \"0.0.0-0\" is less than or equal to \"0.0.0-0\"")
    );
    rule!(version_lenient_ok, version, "version: v1.2", Ok(()));
    rule!(
        semver2_lenient,
        strict_semver,
        "version: v1.2",
        Err("version 'v1.2' is not a valid SemVerV2")
    );
    rule!(semver2_ok, strict_semver, "version: 1.2.3-rc.1+b", Ok(()));
    rule!(
        icon_missing,
        icon_present,
        "name: a",
        Err("icon is recommended")
    );
    rule!(
        icon_relative,
        icon_url,
        "icon: icon.png",
        Err("invalid icon URL 'icon.png'")
    );
    rule!(icon_https, icon_url, "icon: https://x.io/i.png", Ok(()));
    rule!(
        source_bad,
        sources,
        "sources: [https://a.io, 'x y']",
        Err("invalid source URL 'x y'")
    );
    rule!(
        source_empty,
        sources,
        "sources: ['']",
        Err("invalid source URL ''")
    );
    rule!(
        type_in_v1,
        chart_type,
        "apiVersion: v1\ntype: library",
        Err("chart type is not valid in apiVersion 'v1'. It is valid in apiVersion 'v2'")
    );
    rule!(deps_in_v1, dependencies, "apiVersion: v1\ndependencies: [{name: a}]", Err("dependencies are not valid in the Chart file with apiVersion 'v1'. They are valid in apiVersion 'v2'"));

    #[test]
    fn unquoted_numbers_are_not_strings() {
        let raw = |y: &str| {
            parse(y.as_bytes())
                .map(|(_, r, _)| r)
                .unwrap_or(Value::Null)
        };
        assert_eq!(
            is_string(&raw("version: 1.10"), "version"),
            Err("version should be of type string but it's of type float64".into())
        );
        assert_eq!(
            is_string(&raw("appVersion: true"), "appVersion"),
            Err("appVersion should be of type string but it's of type bool".into())
        );
        assert_eq!(is_string(&raw("version: '1.10'"), "version"), Ok(()));
    }

    #[test]
    fn null_maintainer_is_reported_not_fatal() {
        let (m, _, null) = parse(b"name: a\nmaintainers:\n  -\n  - name: b\n").expect("parses");
        assert_eq!(null, Some(0));
        assert_eq!(m.maintainers.len(), 1);
        assert_eq!(
            maintainers(&m, null),
            Err("a maintainer entry is empty".into())
        );
    }
}
