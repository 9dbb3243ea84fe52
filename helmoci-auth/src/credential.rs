//! Credentials and the redacting [`Secret`] that holds their secret part.

use std::fmt;

/// A secret string (password or token) that never prints.
///
/// `Debug` and `Display` both write `<redacted>`; [`Secret::expose`] is the only way to the
/// text, so a secret can only leak where code asks for it by name.
///
/// ```
/// use helmoci_auth::Secret;
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret text. Call this only where the secret is sent or stored.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&String> for Secret {
    fn from(s: &String) -> Self {
        Secret(s.clone())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

/// A registry credential, in the four shapes Helm (through oras-go) and Docker know.
///
/// `Debug` and `Display` show the kind and the username, never the secret:
///
/// ```
/// use helmoci_auth::Credential;
/// let c = Credential::basic("user", "pass");
/// assert_eq!(c.to_string(), "basic credential for user \"user\"");
/// assert!(!format!("{c:?}").contains("pass\""));
/// assert_eq!(c.username(), Some("user"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Credential {
    /// No credential: requests go out without `Authorization` (anonymous token requests).
    #[default]
    Anonymous,
    /// Username and password (`auth` in a config file, or a helper's `Username`/`Secret`).
    Basic {
        /// The username; it may not contain `:` when stored.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An OAuth2 refresh token: Docker's `identitytoken`, or a helper answer whose username is
    /// `<token>`. It is exchanged at the token endpoint with `grant_type=refresh_token`.
    IdentityToken(Secret),
    /// A bearer access token for the registry (Docker's `registrytoken`), sent as is.
    RegistryToken(Secret),
}

impl Credential {
    /// A username and password.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Credential::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Whether this is [`Credential::Anonymous`].
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credential::Anonymous)
    }

    /// The username of a [`Credential::Basic`].
    pub fn username(&self) -> Option<&str> {
        match self {
            Credential::Basic { username, .. } => Some(username),
            _ => None,
        }
    }

    /// The secret part (password or token); `None` for [`Credential::Anonymous`].
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            Credential::Anonymous => None,
            Credential::Basic { password, .. } => Some(password),
            Credential::IdentityToken(s) | Credential::RegistryToken(s) => Some(s),
        }
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Anonymous => f.write_str("anonymous"),
            Credential::Basic { username, .. } => {
                write!(f, "basic credential for user {username:?}")
            }
            Credential::IdentityToken(_) => f.write_str("identity token"),
            Credential::RegistryToken(_) => f.write_str("registry token"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_prints_the_secret() {
        let all = [
            Credential::basic("u", "s3cr3t-value"),
            Credential::IdentityToken("s3cr3t-value".into()),
            Credential::RegistryToken("s3cr3t-value".into()),
            Credential::Anonymous,
        ];
        for c in &all {
            for text in [format!("{c}"), format!("{c:?}"), format!("{c:#?}")] {
                assert!(!text.contains("s3cr3t"), "{text}");
            }
        }
        assert_eq!(all[1].secret().map(Secret::expose), Some("s3cr3t-value"));
        assert!(all[3].is_anonymous() && all[3].secret().is_none());
    }
}
