//! Where credentials files live, read from the environment or given explicitly.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// Which kind of credentials file a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigKind {
    /// Helm's registry config (`helm registry login` writes it).
    Helm,
    /// Docker's `config.json` (`docker login`).
    Docker,
    /// Podman's / containers' `auth.json` (`podman login`, `skopeo login`).
    Podman,
}

impl fmt::Display for ConfigKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigKind::Helm => "Helm registry config",
            ConfigKind::Docker => "Docker config",
            ConfigKind::Podman => "Podman auth file",
        })
    }
}

/// The credentials files to consult and the search path for credential helpers.
///
/// Build it with [`ConfigLocations::from_env`] (what Helm, Docker and Podman would use) or
/// fill the fields yourself, e.g. in tests, so that nothing depends on the real `HOME`.
///
/// ```
/// use helmoci_auth::ConfigLocations;
/// use std::ffi::OsString;
/// let env = |name: &str| match name {
///     "HOME" => Some(OsString::from("/home/u")),
///     "DOCKER_CONFIG" => Some(OsString::from("/etc/docker-u")),
///     _ => None,
/// };
/// let loc = ConfigLocations::from_vars(env);
/// # #[cfg(target_os = "linux")]
/// assert_eq!(loc.helm.unwrap(), std::path::Path::new("/home/u/.config/helm/registry/config.json"));
/// assert_eq!(loc.docker.unwrap(), std::path::Path::new("/etc/docker-u/config.json"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigLocations {
    /// Helm's registry config: read first, and written by login unless told otherwise.
    pub helm: Option<PathBuf>,
    /// Docker's `config.json`, read after Helm's.
    pub docker: Option<PathBuf>,
    /// Podman auth files, read in this order after Docker's.
    pub podman: Vec<PathBuf>,
    /// Directories searched for `docker-credential-*` programs, in `PATH` syntax.
    /// `None` uses the process's `PATH`.
    pub helper_path: Option<OsString>,
}

impl ConfigLocations {
    /// The locations the real environment gives; see [`ConfigLocations::from_vars`].
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// The locations an environment gives, reading variables through `var` (empty values
    /// count as unset):
    ///
    /// - Helm: `$HELM_REGISTRY_CONFIG`, else `$HELM_CONFIG_HOME/registry/config.json`, else
    ///   `$XDG_CONFIG_HOME/helm/registry/config.json`, else the platform's config home:
    ///   `~/.config/helm/registry/config.json` (macOS `~/Library/Preferences/helm/…`,
    ///   Windows `%APPDATA%\helm\…`);
    /// - Docker: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`;
    /// - Podman: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, and
    ///   `$XDG_CONFIG_HOME/containers/auth.json` (default `~/.config/containers/auth.json`);
    /// - helpers: `$PATH`.
    ///
    /// `~` is `$HOME` (`%USERPROFILE%` on Windows); without it, the defaults under it are
    /// left out.
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Self {
        let get = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let home = if cfg!(windows) {
            get("USERPROFILE")
        } else {
            get("HOME")
        };
        let xdg_config = get("XDG_CONFIG_HOME");
        let platform_config = if cfg!(target_os = "macos") {
            home.as_ref().map(|h| h.join("Library/Preferences"))
        } else if cfg!(windows) {
            get("APPDATA")
        } else {
            home.as_ref().map(|h| h.join(".config"))
        };
        let helm = get("HELM_REGISTRY_CONFIG")
            .or_else(|| get("HELM_CONFIG_HOME").map(|d| d.join("registry").join("config.json")))
            .or_else(|| {
                xdg_config
                    .clone()
                    .or(platform_config)
                    .map(|d| d.join("helm").join("registry").join("config.json"))
            });
        let docker = get("DOCKER_CONFIG")
            .or_else(|| home.as_ref().map(|h| h.join(".docker")))
            .map(|d| d.join("config.json"));
        let mut podman: Vec<PathBuf> = Vec::new();
        let candidates = [
            get("REGISTRY_AUTH_FILE"),
            get("XDG_RUNTIME_DIR").map(|d| d.join("containers").join("auth.json")),
            xdg_config
                .or_else(|| home.as_ref().map(|h| h.join(".config")))
                .map(|d| d.join("containers").join("auth.json")),
        ];
        for path in candidates.into_iter().flatten() {
            if !podman.contains(&path) {
                podman.push(path);
            }
        }
        ConfigLocations {
            helm,
            docker,
            podman,
            helper_path: var("PATH"),
        }
    }

    /// The file of one kind: [`ConfigLocations::helm`], [`ConfigLocations::docker`], or the
    /// first Podman file.
    pub(crate) fn writable(&self, kind: ConfigKind) -> Option<&PathBuf> {
        match kind {
            ConfigKind::Helm => self.helm.as_ref(),
            ConfigKind::Docker => self.docker.as_ref(),
            ConfigKind::Podman => self.podman.first(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn locations(vars: &[(&str, &str)]) -> ConfigLocations {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ConfigLocations::from_vars(move |name| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    macro_rules! helm_path {
        ($name:ident, $vars:expr, $expected:expr) => {
            #[test]
            fn $name() {
                let loc = locations($vars);
                assert_eq!(loc.helm.as_deref(), $expected.map(Path::new));
            }
        };
    }
    helm_path!(
        helm_registry_config_wins,
        &[
            ("HELM_REGISTRY_CONFIG", "/r.json"),
            ("HELM_CONFIG_HOME", "/h"),
            ("HOME", "/u")
        ],
        Some("/r.json")
    );
    helm_path!(
        helm_config_home,
        &[
            ("HELM_CONFIG_HOME", "/h"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/u")
        ],
        Some("/h/registry/config.json")
    );
    helm_path!(
        xdg_config_home,
        &[("XDG_CONFIG_HOME", "/x"), ("HOME", "/u")],
        Some("/x/helm/registry/config.json")
    );
    helm_path!(
        empty_values_are_unset,
        &[
            ("HELM_REGISTRY_CONFIG", ""),
            ("HELM_CONFIG_HOME", ""),
            ("XDG_CONFIG_HOME", "/x")
        ],
        Some("/x/helm/registry/config.json")
    );
    helm_path!(nothing_set, &[], None::<&str>);
    #[cfg(target_os = "linux")]
    helm_path!(
        home_default,
        &[("HOME", "/u")],
        Some("/u/.config/helm/registry/config.json")
    );

    #[test]
    fn docker_and_podman_paths() {
        let loc = locations(&[
            ("HOME", "/u"),
            ("REGISTRY_AUTH_FILE", "/a.json"),
            ("XDG_RUNTIME_DIR", "/run/user/1"),
            ("PATH", "/bin"),
        ]);
        assert_eq!(
            loc.docker.as_deref(),
            Some(Path::new("/u/.docker/config.json"))
        );
        let podman: Vec<&Path> = loc.podman.iter().map(PathBuf::as_path).collect();
        assert_eq!(
            podman,
            [
                Path::new("/a.json"),
                Path::new("/run/user/1/containers/auth.json"),
                Path::new("/u/.config/containers/auth.json"),
            ]
        );
        assert_eq!(loc.helper_path, Some(OsString::from("/bin")));
        let loc = locations(&[("DOCKER_CONFIG", "/d"), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(loc.docker.as_deref(), Some(Path::new("/d/config.json")));
        assert_eq!(loc.podman, [PathBuf::from("/x/containers/auth.json")]);
    }
}
