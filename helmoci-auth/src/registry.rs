//! Registry host names and the keys credentials are stored under.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Docker Hub's key in Docker-format config files and credential helpers.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The three host names that mean Docker Hub.
const DOCKER_HUB_HOSTS: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// A registry host, `host[:port]`, as given to `helm registry login`.
///
/// It has no scheme and no path, like Helm v4 requires. The text is kept as given (Helm
/// stores `auths` keys exactly as typed).
///
/// ```
/// use helmoci_auth::Registry;
/// let hub: Registry = "registry-1.docker.io".parse()?;
/// assert!(hub.is_docker_hub());
/// assert_eq!(hub.server_key(), "https://index.docker.io/v1/");
/// let local: Registry = "localhost:5000".parse()?;
/// assert_eq!(local.server_key(), "localhost:5000");
/// assert!("oci://localhost:5000/charts".parse::<Registry>().is_err());
/// # Ok::<(), helmoci_auth::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Registry(String);

impl Registry {
    /// Parses `host[:port]`.
    ///
    /// # Errors
    /// [`Error::InvalidRegistry`] for an empty name, a scheme, a path, whitespace or a
    /// malformed port.
    pub fn parse(host: &str) -> Result<Self, Error> {
        let bad = |reason: &'static str| Error::InvalidRegistry {
            input: host.to_owned(),
            reason,
        };
        if host.is_empty() {
            return Err(bad("it is empty"));
        }
        if host.contains("://") {
            return Err(bad(
                "it has a scheme; leave out `oci://`, `https://` or `http://`",
            ));
        }
        if host.contains('/') {
            return Err(bad(
                "it has a path; credentials are stored per registry host, not per repository",
            ));
        }
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains whitespace or control characters"));
        }
        // `[::1]:5000`-style IPv6 literals keep their brackets.
        let (name, port) = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => (&host[..i], Some(&host[i + 1..])),
            _ => (host, None),
        };
        if name.is_empty() {
            return Err(bad("the host name is empty"));
        }
        if let Some(port) = port {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the port is not a number"));
            }
        }
        Ok(Registry(host.to_owned()))
    }

    /// The host as given, e.g. `localhost:5000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is Docker Hub (`docker.io`, `index.docker.io` or `registry-1.docker.io`).
    pub fn is_docker_hub(&self) -> bool {
        DOCKER_HUB_HOSTS.contains(&self.0.as_str())
    }

    /// The key credentials for this registry live under in Helm's and Docker's config files
    /// and credential helpers: the host, or [`DOCKER_HUB_KEY`] for Docker Hub.
    pub fn server_key(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_KEY
        } else {
            &self.0
        }
    }

    /// The registry's name in Podman's `auth.json`: the host, or `docker.io` for Docker Hub.
    pub fn podman_key(&self) -> &str {
        if self.is_docker_hub() {
            "docker.io"
        } else {
            &self.0
        }
    }
}

impl FromStr for Registry {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Registry::parse(s)
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The host part of a config key: strips `http://` or `https://` and any path, as oras-go's
/// `ToHostname` does (`https://host/v1/` becomes `host`).
pub(crate) fn key_hostname(key: &str) -> &str {
    let key = key.strip_prefix("http://").unwrap_or(key);
    let key = key.strip_prefix("https://").unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// Whether a config key names Docker Hub in any spelling.
pub(crate) fn key_is_docker_hub(key: &str) -> bool {
    DOCKER_HUB_HOSTS.contains(&key_hostname(key).to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! registry {
        ($name:ident, $input:expr, $key:expr) => {
            #[test]
            fn $name() {
                let r = Registry::parse($input).expect("valid");
                assert_eq!(r.server_key(), $key);
            }
        };
    }
    registry!(plain_host, "ghcr.io", "ghcr.io");
    registry!(host_with_port, "localhost:5000", "localhost:5000");
    registry!(case_is_kept, "GHCR.io", "GHCR.io");
    registry!(hub_docker_io, "docker.io", DOCKER_HUB_KEY);
    registry!(hub_index, "index.docker.io", DOCKER_HUB_KEY);
    registry!(hub_registry_1, "registry-1.docker.io", DOCKER_HUB_KEY);
    registry!(ipv6, "[::1]:5000", "[::1]:5000");

    #[test]
    fn rejects_what_helm_rejects() {
        for bad in [
            "",
            "oci://h",
            "https://h",
            "h/path",
            "h:",
            "h:port",
            ":5000",
            "a b",
        ] {
            let err = Registry::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("invalid registry"), "{err}");
        }
    }

    #[test]
    fn key_hostnames() {
        assert_eq!(
            key_hostname("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(key_hostname("http://h:5000"), "h:5000");
        assert_eq!(key_hostname("h:5000"), "h:5000");
        assert!(key_is_docker_hub("https://index.docker.io/v1/"));
        assert!(key_is_docker_hub("docker.io"));
        assert!(!key_is_docker_hub("quay.io"));
    }
}
