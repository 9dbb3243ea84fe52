//! OpenPGP keyrings as Helm reads them: binary packet streams (`gpg --export`,
//! `gpg --export-secret-keys`) and ASCII-armored exports, several blocks concatenated.

use std::fmt;
use std::path::Path;

use pgp::composed::{PublicOrSecret, SignedPublicKey, SignedSecretKey};
use pgp::types::{KeyDetails as _, Tag};

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// A set of OpenPGP keys, like Helm's `openpgp.EntityList`: the keys that may have signed a
/// chart (verification) and the keys that may sign one (`--sign --key NAME`).
///
/// # Security
/// A keyring may hold secret keys; its `Debug` shows only fingerprints and identities.
///
/// ```
/// use helmoci_core::provenance::Keyring;
/// let err = Keyring::from_bytes(b"not a key", "ring.gpg").unwrap_err();
/// assert!(err.to_string().contains("ring.gpg"));
/// ```
#[derive(Clone)]
pub struct Keyring {
    name: String,
    keys: Vec<Key>,
}

/// One key of a keyring: its public part, and its secret part when the keyring has it.
#[derive(Clone)]
pub(crate) struct Key {
    pub public: SignedPublicKey,
    pub secret: Option<SignedSecretKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                format!(
                    "{} {:?}{}",
                    k.fingerprint(),
                    k.identities(),
                    if k.secret.is_some() { " (secret)" } else { "" }
                )
            })
            .collect();
        f.debug_struct("Keyring")
            .field("name", &self.name)
            .field("keys", &keys)
            .finish()
    }
}

impl Keyring {
    /// Reads a keyring file (binary or armored), as `helm --keyring FILE` does.
    ///
    /// # Errors
    /// [`Error::Read`] when the file cannot be read, [`Error::KeyringInvalid`] when it holds
    /// no readable key (a GnuPG `.kbx` keybox, say).
    pub fn load(path: &Path) -> Result<Keyring> {
        let data = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Keyring::from_bytes(&data, &path.display().to_string())
    }

    /// Parses keyring bytes; `name` is used in messages.
    ///
    /// # Errors
    /// [`Error::KeyringInvalid`] when no key can be read.
    pub fn from_bytes(data: &[u8], name: &str) -> Result<Keyring> {
        let invalid = |reason: String| Error::KeyringInvalid {
            keyring: name.to_string(),
            reason,
        };
        if data.starts_with(&[0, 0, 0, 0x20, 1]) || data.get(8..12) == Some(b"KBXf") {
            return Err(invalid("this is a GnuPG keybox (.kbx)".into()));
        }
        let mut keys = Vec::new();
        let mut first_error = None;
        if is_armored(data) {
            for block in armored_blocks(data) {
                match PublicOrSecret::from_armor_many(block) {
                    Ok((iter, _)) => collect(iter, &mut keys, &mut first_error),
                    Err(e) => {
                        first_error.get_or_insert(e.to_string());
                    }
                }
            }
        } else {
            match PublicOrSecret::from_bytes_many(data) {
                Ok(iter) => collect(iter, &mut keys, &mut first_error),
                Err(e) => {
                    first_error.get_or_insert(e.to_string());
                }
            }
        }
        if keys.is_empty() {
            return Err(invalid(
                first_error.unwrap_or_else(|| "no keys found".to_string()),
            ));
        }
        Ok(Keyring {
            name: name.to_string(),
            keys,
        })
    }

    /// The file or name the keyring was read from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of keys (primary keys with their subkeys).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the keyring holds no key (never true for a loaded keyring).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Fingerprints (upper-case hex) of the keys, in keyring order.
    pub fn fingerprints(&self) -> Vec<String> {
        self.keys.iter().map(Key::fingerprint).collect()
    }

    pub(crate) fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Finds the signing key as Helm's `NewFromKeyring` does: an identity equal to `id`, else
    /// the one key with an identity containing `id`.
    pub(crate) fn find(&self, id: &str) -> Result<&Key> {
        if id.is_empty() {
            // Helm: an empty id selects no key.
            return Err(Error::PrivateKeyNotFound {
                id: String::new(),
                keyring: self.name.clone(),
            });
        }
        let mut candidate: Option<&Key> = None;
        let mut vague = false;
        for key in &self.keys {
            for name in key.identities() {
                if name == id {
                    return Ok(key);
                }
                if name.contains(id) {
                    if candidate.is_some() {
                        vague = true;
                    }
                    candidate = Some(key);
                }
            }
        }
        if vague {
            return Err(Error::KeyAmbiguous { id: id.to_string() });
        }
        candidate.ok_or_else(|| Error::PrivateKeyNotFound {
            id: id.to_string(),
            keyring: self.name.clone(),
        })
    }
}

fn collect(
    iter: Box<dyn Iterator<Item = pgp::errors::Result<PublicOrSecret>> + '_>,
    keys: &mut Vec<Key>,
    first_error: &mut Option<String>,
) {
    for item in iter {
        match item {
            Ok(PublicOrSecret::Public(public)) => keys.push(Key {
                public,
                secret: None,
            }),
            Ok(PublicOrSecret::Secret(secret)) => keys.push(Key {
                public: secret.to_public_key(),
                secret: Some(secret),
            }),
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
    }
}

fn is_armored(data: &[u8]) -> bool {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    data[start..].starts_with(b"-----BEGIN PGP ")
}

/// Splits concatenated armored exports (`cat a.asc b.asc`) into their blocks.
fn armored_blocks(data: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    let mut starts = Vec::new();
    let mut i = 0;
    while i + BEGIN.len() <= data.len() {
        if (i == 0 || data[i - 1] == b'\n') && data[i..].starts_with(BEGIN) {
            starts.push(i);
        }
        i += 1;
    }
    let mut blocks = Vec::with_capacity(starts.len());
    for (n, &s) in starts.iter().enumerate() {
        let e = starts.get(n + 1).copied().unwrap_or(data.len());
        blocks.push(&data[s..e]);
    }
    blocks
}

impl Key {
    /// Upper-case hex fingerprint of the primary key, as `helm verify` prints it.
    pub fn fingerprint(&self) -> String {
        hex::encode_upper(self.public.primary_key.fingerprint().as_bytes())
    }

    /// User IDs whose self-signature verifies (go-crypto drops the others), in key order.
    pub fn identities(&self) -> Vec<String> {
        self.public
            .details
            .users
            .iter()
            .filter(|u| {
                u.signatures.iter().any(|s| {
                    s.verify_certification(&self.public.primary_key, Tag::UserId, &u.id)
                        .is_ok()
                })
            })
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect()
    }

    /// The first identity, or `Unknown` as Helm names a key without one.
    pub fn first_identity(&self) -> String {
        self.identities()
            .into_iter()
            .next()
            .unwrap_or_else(|| "Unknown".into())
    }

    /// The newest valid self-signature over a user ID (or the newest direct-key signature):
    /// carries the key's expiry.
    fn self_signature(&self) -> Option<&pgp::packet::Signature> {
        let primary = &self.public.primary_key;
        let created = |s: &&pgp::packet::Signature| s.created().map_or(0, |t| t.as_secs());
        let user_sig = self
            .public
            .details
            .users
            .iter()
            .flat_map(|u| {
                u.signatures
                    .iter()
                    .filter(move |s| s.verify_certification(primary, Tag::UserId, &u.id).is_ok())
            })
            .max_by_key(created);
        user_sig.or_else(|| {
            self.public
                .details
                .direct_signatures
                .iter()
                .filter(|s| s.verify_key(primary).is_ok())
                .max_by_key(created)
        })
    }

    /// Refuses a key that is revoked or expired at `now`, like go-crypto's signature checks.
    pub(crate) fn check_usable(&self, now: Timestamp) -> Result<()> {
        let primary = &self.public.primary_key;
        if self
            .public
            .details
            .revocation_signatures
            .iter()
            .any(|s| s.verify_key(primary).is_ok())
        {
            return Err(Error::KeyRevoked {
                fingerprint: self.fingerprint(),
                identity: self.first_identity(),
            });
        }
        let created = i64::from(primary.created_at().as_secs());
        let expiry = self
            .self_signature()
            .and_then(|s| s.key_expiration_time())
            .map_or(0, |d| i64::from(d.as_secs()));
        if expiry > 0 && now.unix_seconds() > created + expiry {
            return Err(Error::KeyExpired {
                fingerprint: self.fingerprint(),
                identity: self.first_identity(),
                expired_at: Timestamp::from_unix(created + expiry).to_rfc3339(),
            });
        }
        Ok(())
    }
}
