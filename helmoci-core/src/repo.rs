//! Helm's `repositories.yaml` (`helm repo add` entries) and how dependencies name
//! repositories: `@name` / `alias:name`, URLs, and the synthetic `helm-manager-…` names
//! Helm gives repositories that are used by URL without being added.
//!
//! ```
//! use helmoci_core::repo::{managed_repository_name, RepositoryFile};
//! let file = RepositoryFile::parse(b"apiVersion: v1\nrepositories:\n- name: bitnami\n  url: https://charts.bitnami.com/bitnami\n", "repositories.yaml")?;
//! assert_eq!(file.get("bitnami").map(|e| e.url.as_str()), Some("https://charts.bitnami.com/bitnami"));
//! assert_eq!(file.find_by_url("https://charts.bitnami.com/bitnami/").map(|e| e.name.as_str()), Some("bitnami"));
//! assert!(managed_repository_name("https://example.com/charts").starts_with("helm-manager-"));
//! # Ok::<(), helmoci_core::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::index::url;
use crate::value::Value;
use crate::yaml::{self, NodeValue};
use crate::Error;

/// The prefix of the names Helm gives repositories it caches without `helm repo add`.
pub const MANAGED_PREFIX: &str = "helm-manager-";

/// A parsed `repositories.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepositoryFile {
    /// `apiVersion`.
    pub api_version: String,
    /// `generated`, as written.
    pub generated: String,
    /// `repositories`, in file order (null entries dropped).
    pub repositories: Vec<RepositoryEntry>,
}

/// One `repositories` entry (`helm repo add NAME URL …`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RepositoryEntry {
    /// `name`.
    pub name: String,
    /// `url`.
    pub url: String,
    /// `username` for Basic auth.
    pub username: String,
    /// `password` for Basic auth (never printed by `Debug`).
    pub password: String,
    /// `certFile`: client certificate.
    pub cert_file: String,
    /// `keyFile`: client key.
    pub key_file: String,
    /// `caFile`: CA bundle.
    pub ca_file: String,
    /// `insecure_skip_tls_verify`.
    pub insecure_skip_tls_verify: bool,
    /// `pass_credentials_all`: send credentials to other hosts too (off by default).
    pub pass_credentials_all: bool,
}

impl fmt::Debug for RepositoryEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepositoryEntry")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("ca_file", &self.ca_file)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("pass_credentials_all", &self.pass_credentials_all)
            .finish()
    }
}

impl RepositoryFile {
    /// Parses `repositories.yaml` as Helm does (`yaml.Unmarshal`: unknown keys ignored,
    /// YAML 1.1 scalars stringified). `file` names the input in errors.
    ///
    /// # Errors
    /// [`Error::Yaml`] and [`Error::ChartYamlType`] for a value of the wrong type.
    pub fn parse(input: &[u8], file: &str) -> Result<RepositoryFile, Error> {
        let mut out = RepositoryFile::default();
        let Some(root) = yaml::parse(input, file)? else {
            return Ok(out);
        };
        let type_error = |node: &yaml::Node, field: &str, expected| Error::ChartYamlType {
            file: file.to_owned(),
            line: node.line,
            column: node.column,
            field: field.to_owned(),
            expected,
            found: "something else",
        };
        let text = |node: &yaml::Node, field: &str| {
            node.to_go_string()
                .ok_or_else(|| type_error(node, field, "a string"))
        };
        let flag = |node: &yaml::Node, field: &str| match node.resolve() {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            _ => Err(type_error(node, field, "a boolean")),
        };
        let NodeValue::Map(pairs) = &root.value else {
            return Err(type_error(&root, "File", "a mapping"));
        };
        for (k, v) in pairs {
            let key = k.key_string().unwrap_or_default();
            if key.eq_ignore_ascii_case("apiVersion") {
                out.api_version = text(v, "File.apiVersion")?;
            } else if key.eq_ignore_ascii_case("generated") {
                out.generated = text(v, "File.generated")?;
            } else if key.eq_ignore_ascii_case("repositories") {
                let items = match &v.value {
                    NodeValue::Seq(items) => items.as_slice(),
                    _ if v.resolve() == Value::Null => &[],
                    _ => return Err(type_error(v, "File.repositories", "a list")),
                };
                for item in items {
                    let NodeValue::Map(fields) = &item.value else {
                        if item.resolve() == Value::Null {
                            continue;
                        }
                        return Err(type_error(item, "Entry", "a mapping"));
                    };
                    let mut e = RepositoryEntry::default();
                    for (fk, fv) in fields {
                        let name = fk.key_string().unwrap_or_default();
                        let field = format!("Entry.{name}");
                        match name.to_ascii_lowercase().as_str() {
                            "name" => e.name = text(fv, &field)?,
                            "url" => e.url = text(fv, &field)?,
                            "username" => e.username = text(fv, &field)?,
                            "password" => e.password = text(fv, &field)?,
                            "certfile" => e.cert_file = text(fv, &field)?,
                            "keyfile" => e.key_file = text(fv, &field)?,
                            "cafile" => e.ca_file = text(fv, &field)?,
                            "insecure_skip_tls_verify" => {
                                e.insecure_skip_tls_verify = flag(fv, &field)?
                            }
                            "pass_credentials_all" => e.pass_credentials_all = flag(fv, &field)?,
                            _ => {}
                        }
                    }
                    out.repositories.push(e);
                }
            }
        }
        Ok(out)
    }

    /// Reads `path`.
    ///
    /// # Errors
    /// [`Error::RepositoryConfig`] wrapping the read or parse error (Helm: `couldn't load
    /// repositories file (<path>)`).
    pub fn load(path: &Path) -> Result<RepositoryFile, Error> {
        let wrap = |source: Error| Error::RepositoryConfig {
            path: path.to_owned(),
            source: Box::new(source),
        };
        let data = std::fs::read(path).map_err(|source| {
            wrap(Error::Read {
                path: path.to_owned(),
                source,
            })
        })?;
        RepositoryFile::parse(&data, &path.display().to_string()).map_err(wrap)
    }

    /// Reads `path`, or gives an empty file when it does not exist (as Helm's dependency
    /// commands treat a missing `repositories.yaml`).
    ///
    /// # Errors
    /// As [`load`](Self::load), except for a missing file.
    pub fn load_or_empty(path: &Path) -> Result<RepositoryFile, Error> {
        if !path.exists() && path.symlink_metadata().is_err() {
            return Ok(RepositoryFile::default());
        }
        RepositoryFile::load(path)
    }

    /// The entry named `name` (the first, as Helm's `Get`).
    pub fn get(&self, name: &str) -> Option<&RepositoryEntry> {
        self.repositories.iter().find(|e| e.name == name)
    }

    /// The first entry whose URL equals `url` after Helm's normalisation
    /// ([`urls_equal`]).
    pub fn find_by_url(&self, url: &str) -> Option<&RepositoryEntry> {
        self.repositories.iter().find(|e| urls_equal(&e.url, url))
    }

    /// The entry a dependency's `repository` names with `@name` or `alias:name`, if it
    /// has that form and the name is configured.
    pub fn find_alias(&self, repository: &str) -> Option<&RepositoryEntry> {
        let name = alias_name(repository)?;
        self.get(name)
    }
}

/// The repository name in `@name` or `alias:name`, else `None`.
pub fn alias_name(repository: &str) -> Option<&str> {
    repository
        .strip_prefix('@')
        .or_else(|| repository.strip_prefix("alias:"))
}

/// Helm's synthetic repository name for a URL used without `helm repo add`:
/// `helm-manager-` + hex SHA-256 of the URL as written. Its index is cached as
/// `<name>-index.yaml`.
pub fn managed_repository_name(url: &str) -> String {
    let digest = Digest::sha256_of(url.as_bytes());
    format!("{MANAGED_PREFIX}{}", digest.hex())
}

/// Helm's cached index file name for a repository: `<name>-index.yaml`.
pub fn cache_index_file(name: &str) -> String {
    if name.is_empty() {
        "index.yaml".to_owned()
    } else {
        format!("{name}-index.yaml")
    }
}

/// Helm's `urlutil.Equal`: URLs compared after cleaning their paths (`/` for an empty
/// path, `.`/`..` and trailing slashes removed); strings that do not parse as URLs are
/// compared as cleaned file paths.
pub fn urls_equal(a: &str, b: &str) -> bool {
    match (url::normalized(a), url::normalized(b)) {
        (Some(a), Some(b)) => a == b,
        (None, _) => url::clean_path(a) == url::clean_path(b),
        _ => false,
    }
}

/// Where Helm reads `repositories.yaml`: `$HELM_REPOSITORY_CONFIG`, else
/// `$HELM_CONFIG_HOME/repositories.yaml`, else `$XDG_CONFIG_HOME/helm/repositories.yaml`,
/// else `~/.config/helm/repositories.yaml` (`~/Library/Preferences/helm/…` on macOS).
pub fn default_repository_config() -> PathBuf {
    if let Some(p) = env_path("HELM_REPOSITORY_CONFIG") {
        return p;
    }
    helm_path("HELM_CONFIG_HOME", "XDG_CONFIG_HOME", config_home).join("repositories.yaml")
}

/// Where Helm caches repository indexes: `$HELM_REPOSITORY_CACHE`, else
/// `$HELM_CACHE_HOME/repository`, else `$XDG_CACHE_HOME/helm/repository`, else
/// `~/.cache/helm/repository` (`~/Library/Caches/helm/…` on macOS).
pub fn default_repository_cache() -> PathBuf {
    if let Some(p) = env_path("HELM_REPOSITORY_CACHE") {
        return p;
    }
    helm_path("HELM_CACHE_HOME", "XDG_CACHE_HOME", cache_home).join("repository")
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn helm_path(helm_var: &str, xdg_var: &str, default: fn() -> PathBuf) -> PathBuf {
    if let Some(p) = env_path(helm_var) {
        return p;
    }
    env_path(xdg_var).unwrap_or_else(default).join("helm")
}

fn home() -> PathBuf {
    env_path("HOME").unwrap_or_else(|| PathBuf::from("/"))
}

fn config_home() -> PathBuf {
    if cfg!(target_os = "macos") {
        home().join("Library/Preferences")
    } else {
        home().join(".config")
    }
}

fn cache_home() -> PathBuf {
    if cfg!(target_os = "macos") {
        home().join("Library/Caches")
    } else {
        home().join(".cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_helm_repositories_yaml() {
        let text = b"apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- caFile: \"\"\n  certFile: \"\"\n  insecure_skip_tls_verify: false\n  keyFile: \"\"\n  name: bitnami\n  pass_credentials_all: false\n  password: s3cret\n  url: https://charts.bitnami.com/bitnami\n  username: u\n- null\n- name: 1.0\n  url: http://h\n  extra: ignored\n";
        let f = RepositoryFile::parse(text, "repositories.yaml").unwrap();
        assert_eq!(f.repositories.len(), 2);
        assert_eq!(f.repositories[0].username, "u");
        assert!(!format!("{:?}", f.repositories[0]).contains("s3cret"));
        assert_eq!(f.repositories[1].name, "1");
        assert!(RepositoryFile::parse(b"repositories: 3\n", "r").is_err());
    }

    #[test]
    fn equality_like_urlutil() {
        assert!(urls_equal("https://h/charts", "https://h/charts/"));
        assert!(urls_equal("https://h", "https://h/"));
        assert!(urls_equal("https://h/a/../b", "https://h/b"));
        assert!(!urls_equal("https://h/a", "http://h/a"));
        assert!(!urls_equal("https://h/a?x=1", "https://h/a"));
    }

    #[test]
    fn managed_names() {
        assert_eq!(
            managed_repository_name(""),
            "helm-manager-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(cache_index_file("x"), "x-index.yaml");
    }
}
