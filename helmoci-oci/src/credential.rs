//! Credentials the registry client sends, and where it gets them.
//!
//! [`CredentialSource`] is the seam for `helmoci-auth`: implement it over the Helm/Docker/
//! Podman stores and hand it to [`RegistryClientBuilder::credentials`](crate::RegistryClientBuilder::credentials).
//! [`StaticCredentials`] covers explicit `--username/--password`, scoped to one host.
//! Secrets never print: [`Secret`]'s `Debug` and `Display` are redacted.
//!
//! ```
//! use helmoci_oci::credential::{Credential, CredentialSource, Secret, StaticCredentials};
//! let creds = StaticCredentials::new().with("127.0.0.1:5000", Credential::basic("user", "pass"));
//! assert!(matches!(creds.credential("127.0.0.1:5000", "charts/demo"), Credential::Basic { .. }));
//! assert!(matches!(creds.credential("other.example", "charts/demo"), Credential::Anonymous));
//! assert_eq!(format!("{:?}", Secret::new("pass")), "<redacted>");
//! ```

use std::collections::HashMap;
use std::fmt;

pub use helmoci_auth::{Credential, Secret};

/// Where the client gets the credential for a registry and repository.
///
/// Called from a blocking thread (it may run credential helpers), once per registry and
/// scope when authentication is needed. Return [`Credential::Anonymous`] when there is none.
pub trait CredentialSource: Send + Sync + 'static {
    /// The credential for `registry` (`host[:port]` as written in the reference; Docker Hub
    /// is passed as `docker.io`) when accessing `repository`.
    fn credential(&self, registry: &str, repository: &str) -> Credential;
}

/// No credentials at all: every request is anonymous.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anonymous;

impl CredentialSource for Anonymous {
    fn credential(&self, _registry: &str, _repository: &str) -> Credential {
        Credential::Anonymous
    }
}

/// Explicit credentials, each scoped to one registry host (never sent elsewhere).
#[derive(Debug, Clone, Default)]
pub struct StaticCredentials {
    by_registry: HashMap<String, Credential>,
}

impl StaticCredentials {
    /// No credentials yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the credential for `registry` (`host[:port]`).
    #[must_use]
    pub fn with(mut self, registry: &str, credential: Credential) -> Self {
        self.by_registry.insert(registry.to_owned(), credential);
        self
    }
}

impl CredentialSource for StaticCredentials {
    fn credential(&self, registry: &str, _repository: &str) -> Credential {
        self.by_registry.get(registry).cloned().unwrap_or_default()
    }
}

/// Called with each warning met while looking credentials up (a broken credential
/// helper, an unreadable config file); the lookup goes on anonymously or with the next
/// source.
pub type WarningSink = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// Credentials as Helm users have them: explicit ones (each scoped to one registry), then
/// Helm's registry config, Docker's config and Podman's `auth.json`, with credential
/// helpers (see [`helmoci_auth::CredentialStore`] for the order and file locations).
///
/// ```
/// use helmoci_oci::credential::{ConfiguredCredentials, Credential, CredentialSource};
/// let dir = tempfile::tempdir()?;
/// let mut locations = helmoci_auth::ConfigLocations::from_vars(|_| None);
/// locations.helm = Some(dir.path().join("registry.json"));
/// let creds = ConfiguredCredentials::new(helmoci_auth::CredentialStore::new(locations))
///     .with("127.0.0.1:5000", Credential::basic("ci", "token"));
/// assert!(matches!(creds.credential("127.0.0.1:5000", "charts/x"), Credential::Basic { .. }));
/// assert!(creds.credential("other.example", "charts/x").is_anonymous());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ConfiguredCredentials {
    store: helmoci_auth::CredentialStore,
    explicit: StaticCredentials,
    on_warning: Option<WarningSink>,
}

impl fmt::Debug for ConfiguredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfiguredCredentials")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl ConfiguredCredentials {
    /// Looks credentials up in `store`.
    pub fn new(store: helmoci_auth::CredentialStore) -> Self {
        ConfiguredCredentials {
            store,
            explicit: StaticCredentials::new(),
            on_warning: None,
        }
    }

    /// The default locations, from the environment (`HELM_REGISTRY_CONFIG`,
    /// `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, …).
    pub fn from_env() -> Self {
        Self::new(helmoci_auth::CredentialStore::from_env())
    }

    /// Uses `credential` for `registry` (`host[:port]`) only, before any file.
    #[must_use]
    pub fn with(mut self, registry: &str, credential: Credential) -> Self {
        self.explicit = self.explicit.with(registry, credential);
        self
    }

    /// Calls `sink` with each warning (e.g. to print it); by default warnings are dropped.
    #[must_use]
    pub fn on_warning(mut self, sink: WarningSink) -> Self {
        self.on_warning = Some(sink);
        self
    }

    fn warn(&self, message: &str) {
        if let Some(sink) = &self.on_warning {
            sink(message);
        }
    }
}

impl CredentialSource for ConfiguredCredentials {
    fn credential(&self, registry: &str, repository: &str) -> Credential {
        let explicit = self.explicit.credential(registry, repository);
        if !explicit.is_anonymous() {
            return explicit;
        }
        let reg = match helmoci_auth::Registry::parse(registry) {
            Ok(r) => r,
            Err(e) => {
                self.warn(&e.to_string());
                return Credential::Anonymous;
            }
        };
        match self.store.lookup(&reg, Some(repository)) {
            Ok(lookup) => {
                for w in &lookup.warnings {
                    self.warn(&w.to_string());
                }
                lookup.credential
            }
            Err(e) => {
                self.warn(&format!(
                    "cannot read registry credentials for {registry}: {e}; continuing anonymously"
                ));
                Credential::Anonymous
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credential::basic("u", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        let t = Credential::IdentityToken(Secret::new("tok123"));
        assert!(!format!("{t:?}").contains("tok123"));
    }
}
