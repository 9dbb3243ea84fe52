//! Finding the credential for a registry: explicit, Helm, Docker, Podman, anonymous.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::helper::HelperError;
use crate::registry::key_hostname;
use crate::store::Location;
use crate::{ConfigFile, ConfigKind, Credential, CredentialStore, Registry, Result};

/// Where a looked-up credential came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Given through [`CredentialStore::with_credential`].
    Explicit,
    /// Found in a credentials file or the helper it names.
    Config {
        /// Which kind of file.
        kind: ConfigKind,
        /// The file's entry or helper.
        location: Location,
    },
    /// Nothing found: the registry is tried anonymously.
    Anonymous,
}

/// A credential helper that failed during a lookup; the lookup went on to the next source.
#[derive(Debug)]
#[non_exhaustive]
pub struct Warning {
    /// The kind of file that named the helper.
    pub kind: ConfigKind,
    /// The file that named (or, for a detected default, would name) the helper.
    pub config: PathBuf,
    /// What went wrong.
    pub error: HelperError,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ignoring the credential helper of {} {}: {}; trying the next source",
            self.kind,
            self.config.display(),
            self.error
        )
    }
}

/// The result of [`CredentialStore::lookup`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Lookup {
    /// The credential to use ([`Credential::Anonymous`] when nothing was found).
    pub credential: Credential,
    /// Where it came from.
    pub source: Source,
    /// Helpers that failed along the way, in order.
    pub warnings: Vec<Warning>,
}

impl CredentialStore {
    /// The credential for `registry` (and optionally a repository in it, for Podman's
    /// repository-scoped keys), looked up in this order; the first source with a non-empty
    /// credential wins:
    ///
    /// 1. an explicit credential given for this exact registry ([`CredentialStore::with_credential`]);
    /// 2. Helm's registry config, then 3. Docker's `config.json`, each read as oras-go reads
    ///    it, under the server key ([`Registry::server_key`]; Docker Hub is
    ///    `https://index.docker.io/v1/`):
    ///    `credHelpers[key]`, else `credsStore`, else (only if the file configures nothing)
    ///    the detected platform helper ([`crate::DefaultHelper`]), else `auths` — the exact
    ///    key, then the first key whose host (without `http(s)://` and path) is the registry;
    /// 4. the Podman auth files in order: `credHelpers[host]`, else the longest `auths` key
    ///    that is `host`, `host/namespace…` or `host/repository` and a prefix of
    ///    `host/repository` ([`ConfigFile::find_scoped`]);
    /// 5. anonymous.
    ///
    /// A missing file is skipped. A helper with no entry passes to the next source, and so
    /// does a helper that is missing, fails, hangs past the timeout, prints too much or prints
    /// garbage, which also adds a [`Warning`].
    ///
    /// # Deviation from Helm
    /// Helm reads only its own file and Docker's; Podman files are ours. Helm aborts the
    /// whole lookup when a helper fails (even for public charts); we warn and fall through,
    /// ending with an anonymous attempt. Helm sends `--username/--password` to every host;
    /// explicit credentials here apply to their registry only. For Docker Hub, `auths` keys
    /// naming Docker Hub in any spelling match, not only `https://index.docker.io/v1/`.
    ///
    /// ```
    /// use helmoci_auth::{ConfigKind, ConfigLocations, Credential, CredentialStore, Source};
    /// let dir = tempfile::tempdir()?;
    /// let podman = dir.path().join("auth.json");
    /// std::fs::write(&podman, r#"{"auths": {
    ///     "quay.io": {"auth": "YW55OnB3"},
    ///     "quay.io/org/app": {"auth": "YXBwOnB3"}
    /// }}"#)?;
    /// let store = CredentialStore::new(ConfigLocations { podman: vec![podman], ..Default::default() });
    /// let quay = "quay.io".parse()?;
    /// let app = store.lookup(&quay, Some("org/app"))?;
    /// assert_eq!(app.credential, Credential::basic("app", "pw"));
    /// assert!(matches!(app.source, Source::Config { kind: ConfigKind::Podman, .. }));
    /// assert_eq!(store.lookup(&quay, Some("org/db"))?.credential, Credential::basic("any", "pw"));
    /// assert!(store.lookup(&"ghcr.io".parse()?, None)?.credential.is_anonymous());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A credentials file that cannot be read or is malformed, including the matched
    /// `auths` entry ([`crate::Error::MalformedConfig`], [`crate::Error::MalformedEntry`],
    /// [`crate::Error::NotAFile`], [`crate::Error::ConfigTooLarge`],
    /// [`crate::Error::ReadConfig`]): a broken file is something to fix, not to skip.
    pub fn lookup(&self, registry: &Registry, repository: Option<&str>) -> Result<Lookup> {
        let mut warnings = Vec::new();
        let found = |credential, source, warnings| Lookup {
            credential,
            source,
            warnings,
        };
        if let Some((_, c)) = self.explicit.iter().find(|(r, _)| r == registry) {
            return Ok(found(c.clone(), Source::Explicit, warnings));
        }
        let docker_format = [
            (ConfigKind::Helm, self.locations.helm.as_deref()),
            (ConfigKind::Docker, self.locations.docker.as_deref()),
        ];
        for (kind, path) in docker_format {
            let Some(path) = path else { continue };
            let file = ConfigFile::load_or_empty(path)?;
            if let Some((credential, location)) =
                self.lookup_docker_format(kind, &file, registry, &mut warnings)?
            {
                return Ok(found(
                    credential,
                    Source::Config { kind, location },
                    warnings,
                ));
            }
        }
        for path in &self.locations.podman {
            let Some(file) = ConfigFile::load(path)? else {
                continue;
            };
            if let Some((credential, location)) =
                self.lookup_podman(&file, registry, repository, &mut warnings)?
            {
                let source = Source::Config {
                    kind: ConfigKind::Podman,
                    location,
                };
                return Ok(found(credential, source, warnings));
            }
        }
        Ok(found(Credential::Anonymous, Source::Anonymous, warnings))
    }

    fn lookup_docker_format(
        &self,
        kind: ConfigKind,
        file: &ConfigFile,
        registry: &Registry,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<(Credential, Location)>> {
        let key = registry.server_key();
        let host = key_hostname(key);
        let helper = match file.cred_helper(key).or_else(|| file.cred_helper(host)) {
            Some(h) => Some(h.to_owned()),
            None => self.helper_for(file, key).map(|(h, _)| h),
        };
        if let Some(helper) = helper {
            return Ok(self.ask_helper(kind, file.path(), &helper, key, warnings));
        }
        Ok(file.find(key)?.map(|(key, credential)| {
            let path = file.path().to_owned();
            (credential, Location::File { path, key })
        }))
    }

    fn lookup_podman(
        &self,
        file: &ConfigFile,
        registry: &Registry,
        repository: Option<&str>,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<(Credential, Location)>> {
        let host = registry.podman_key();
        if let Some(helper) = file.cred_helper(host) {
            let kind = ConfigKind::Podman;
            return Ok(self.ask_helper(kind, file.path(), helper, host, warnings));
        }
        Ok(file
            .find_scoped(host, repository)?
            .map(|(key, credential)| {
                let path = file.path().to_owned();
                (credential, Location::File { path, key })
            }))
    }

    fn ask_helper(
        &self,
        kind: ConfigKind,
        config: &Path,
        helper: &str,
        key: &str,
        warnings: &mut Vec<Warning>,
    ) -> Option<(Credential, Location)> {
        match self.helper(helper).get(key) {
            Ok(Some(credential)) => {
                let location = Location::Helper {
                    config: config.to_owned(),
                    helper: helper.to_owned(),
                    key: key.to_owned(),
                };
                Some((credential, location))
            }
            Ok(None) => None,
            Err(error) => {
                warnings.push(Warning {
                    kind,
                    config: config.to_owned(),
                    error,
                });
                None
            }
        }
    }
}
