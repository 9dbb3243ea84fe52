//! The credential store: configuration, login (store) and logout (erase).

use std::path::PathBuf;
use std::time::Duration;

use crate::helper::{CredentialHelper, HelperAction, HelperOptions};
use crate::{ConfigFile, ConfigKind, ConfigLocations, Credential, Error, Registry, Result};

/// Whether to look for the platform's default credential helper, as Helm does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DefaultHelper {
    /// Like Helm (oras-go): when a Helm or Docker file configures no authentication at all
    /// (or is missing), use `docker-credential-pass` (Linux, when `pass` is installed),
    /// `-secretservice` (other Linux), `-osxkeychain` (macOS) or `-wincred` (Windows) if that
    /// program is on the helper path, and record it as `credsStore` after the first login.
    #[default]
    Detect,
    /// Use helpers only where a file names them.
    Never,
}

/// Which file login and logout write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StoreTarget {
    /// Helm's registry config, like `helm registry login`. The default.
    #[default]
    HelmConfig,
    /// Docker's `config.json`, like `docker login` (written in the same format).
    DockerConfig,
}

impl StoreTarget {
    fn kind(self) -> ConfigKind {
        match self {
            StoreTarget::HelmConfig => ConfigKind::Helm,
            StoreTarget::DockerConfig => ConfigKind::Docker,
        }
    }
}

/// Where a credential was found or stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// In a file's `auths`, under `key`.
    File {
        /// The file.
        path: PathBuf,
        /// The key under `auths`.
        key: String,
    },
    /// In a credential helper named by (or detected for) a file.
    Helper {
        /// The file that names the helper.
        config: PathBuf,
        /// The helper's name (`pass` for `docker-credential-pass`).
        helper: String,
        /// The server key given to the helper.
        key: String,
    },
}

/// What [`CredentialStore::logout`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logout {
    /// Where the credential was (or would have been).
    pub location: Location,
    /// Whether there was an entry to remove (Helm reports success either way).
    pub removed: bool,
}

/// Credentials for registries: looked up in Helm's, Docker's and Podman's files and
/// credential helpers, stored and erased like `helm registry login` / `logout`.
///
/// ```
/// use helmoci_auth::{
///     ConfigLocations, Credential, CredentialStore, DefaultHelper, Registry, Source, StoreTarget,
/// };
/// let dir = tempfile::tempdir()?;
/// let locations = ConfigLocations {
///     helm: Some(dir.path().join("helm/registry/config.json")),
///     ..ConfigLocations::default()
/// };
/// // Never: keep this example out of the desktop keyring that Helm would detect.
/// let store = CredentialStore::new(locations).default_helper(DefaultHelper::Never);
/// let registry: Registry = "localhost:5000".parse()?;
/// store.login(&registry, &Credential::basic("user", "pass"), StoreTarget::HelmConfig)?;
/// let found = store.lookup(&registry, None)?;
/// assert_eq!(found.credential, Credential::basic("user", "pass"));
/// assert!(matches!(found.source, Source::Config { .. }));
/// assert!(store.logout(&registry, StoreTarget::HelmConfig)?.removed);
/// assert!(store.lookup(&registry, None)?.credential.is_anonymous());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CredentialStore {
    pub(crate) locations: ConfigLocations,
    pub(crate) timeout: Duration,
    pub(crate) max_output: usize,
    pub(crate) default_helper: DefaultHelper,
    pub(crate) explicit: Vec<(Registry, Credential)>,
}

impl CredentialStore {
    /// A store over `locations`, with the default helper limits (10 s, 1 MiB) and
    /// [`DefaultHelper::Detect`].
    pub fn new(locations: ConfigLocations) -> Self {
        let defaults = HelperOptions::default();
        CredentialStore {
            locations,
            timeout: defaults.timeout,
            max_output: defaults.max_output,
            default_helper: DefaultHelper::default(),
            explicit: Vec::new(),
        }
    }

    /// A store over [`ConfigLocations::from_env`].
    pub fn from_env() -> Self {
        Self::new(ConfigLocations::from_env())
    }

    /// How long a credential helper may run before it is killed. Default 10 s.
    pub fn helper_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most a credential helper may print. Default 1 MiB.
    pub fn helper_max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// Whether to use the platform's default helper. Default [`DefaultHelper::Detect`].
    pub fn default_helper(mut self, default_helper: DefaultHelper) -> Self {
        self.default_helper = default_helper;
        self
    }

    /// Uses `credential` for `registry` before any file (like `--username/--password`).
    /// It is used for that registry only, never sent to other hosts. Given twice for one
    /// registry, the last wins.
    pub fn with_credential(mut self, registry: Registry, credential: Credential) -> Self {
        self.explicit.retain(|(r, _)| *r != registry);
        self.explicit.push((registry, credential));
        self
    }

    /// The files and helper path this store uses.
    pub fn locations(&self) -> &ConfigLocations {
        &self.locations
    }

    /// A helper with this store's limits and search path.
    pub fn helper(&self, name: &str) -> CredentialHelper {
        CredentialHelper::new(
            name,
            HelperOptions {
                timeout: self.timeout,
                max_output: self.max_output,
                search_path: self.locations.helper_path.clone(),
            },
        )
    }

    /// The helper for `key` in `file`: `credHelpers[key]`, else `credsStore`, else the
    /// detected platform default when the file configures nothing. The flag says whether
    /// the helper was detected.
    pub(crate) fn helper_for(&self, file: &ConfigFile, key: &str) -> Option<(String, bool)> {
        if let Some(h) = file.helper_for(key) {
            return Some((h.to_owned(), false));
        }
        if self.default_helper == DefaultHelper::Detect && file.is_unconfigured() {
            return self.detect_default_helper().map(|h| (h, true));
        }
        None
    }

    /// oras-go's `getDefaultHelperSuffix`: the platform default, if its program exists.
    fn detect_default_helper(&self) -> Option<String> {
        let name = if cfg!(target_os = "macos") {
            "osxkeychain"
        } else if cfg!(windows) {
            "wincred"
        } else if self.helper("x").find_on_path("pass").is_some() {
            "pass"
        } else {
            "secretservice"
        };
        let helper = self.helper(name);
        helper
            .find_on_path(&helper.program())
            .map(|_| name.to_owned())
    }

    fn writable(&self, target: StoreTarget) -> Result<PathBuf> {
        let kind = target.kind();
        self.locations
            .writable(kind)
            .cloned()
            .ok_or(Error::NoConfigLocation {
                kind,
                hint: match target {
                    StoreTarget::HelmConfig => "HELM_REGISTRY_CONFIG",
                    StoreTarget::DockerConfig => "DOCKER_CONFIG",
                },
            })
    }

    /// Like `helm registry login` after the registry accepted the credential: stores it for
    /// `registry` under its server key (Docker Hub: `https://index.docker.io/v1/`).
    ///
    /// It goes to the target file's `credHelpers`/`credsStore` helper when one applies, else
    /// into the file's `auths` exactly as Helm writes it (see [`ConfigFile::to_json`]): the
    /// directory made 0700, a 0600 temp file renamed over the old one, other keys kept.
    /// This does not contact the registry; verifying the credential first is the caller's job.
    ///
    /// # Errors
    /// [`Error::ColonInUsername`], [`Error::CannotStore`] for an anonymous or empty credential,
    /// [`Error::Helper`] when the helper fails (nothing else is written then), the read and
    /// parse errors of [`ConfigFile::load`], and [`Error::WriteConfig`].
    pub fn login(
        &self,
        registry: &Registry,
        credential: &Credential,
        target: StoreTarget,
    ) -> Result<Location> {
        let path = self.writable(target)?;
        let key = registry.server_key().to_owned();
        let empty = match credential {
            Credential::Anonymous => true,
            Credential::Basic { username, password } => username.is_empty() && password.is_empty(),
            Credential::IdentityToken(t) | Credential::RegistryToken(t) => t.is_empty(),
        };
        if empty {
            return Err(Error::CannotStore {
                registry: registry.to_string(),
                reason:
                    "the credential is anonymous or empty; give a username and password or a token",
            });
        }
        let mut file = ConfigFile::load_or_empty(&path)?;
        if let Some((helper, detected)) = self.helper_for(&file, &key) {
            if matches!(credential, Credential::RegistryToken(_)) {
                return Err(Error::CannotStore {
                    registry: registry.to_string(),
                    reason: "a registry token cannot be kept in a credential helper; \
                             store it in a file without credsStore/credHelpers",
                });
            }
            self.helper(&helper)
                .store(&key, credential)
                .map_err(|source| Error::Helper {
                    helper: helper.clone(),
                    action: HelperAction::Store,
                    key: key.clone(),
                    source: Box::new(source),
                })?;
            if detected {
                file.set_creds_store(&helper);
                file.save()?;
            }
            return Ok(Location::Helper {
                config: path,
                helper,
                key,
            });
        }
        file.set(&key, credential).map_err(|e| match e {
            Error::ColonInUsername { .. } => Error::ColonInUsername {
                registry: registry.to_string(),
            },
            other => other,
        })?;
        file.save()?;
        Ok(Location::File { path, key })
    }

    /// Like `helm registry logout`: removes the credential for `registry` from the target
    /// file (exact server key) or from its helper. A missing entry (or file) is a success
    /// with [`Logout::removed`] false, and the file is then left untouched.
    ///
    /// # Errors
    /// [`Error::Helper`] when the helper fails, the errors of [`ConfigFile::load`], and
    /// [`Error::WriteConfig`].
    pub fn logout(&self, registry: &Registry, target: StoreTarget) -> Result<Logout> {
        let path = self.writable(target)?;
        let key = registry.server_key().to_owned();
        let mut file = ConfigFile::load_or_empty(&path)?;
        if let Some((helper, _)) = self.helper_for(&file, &key) {
            let removed = self
                .helper(&helper)
                .erase(&key)
                .map_err(|source| Error::Helper {
                    helper: helper.clone(),
                    action: HelperAction::Erase,
                    key: key.clone(),
                    source: Box::new(source),
                })?;
            let location = Location::Helper {
                config: path,
                helper,
                key,
            };
            return Ok(Logout { location, removed });
        }
        let removed = file.remove(&key);
        if removed {
            file.save()?;
        }
        Ok(Logout {
            location: Location::File { path, key },
            removed,
        })
    }
}
