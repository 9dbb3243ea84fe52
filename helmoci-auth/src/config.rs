//! Docker-format credentials files: Helm's `registry/config.json`, Docker's `config.json`
//! and Podman's `auth.json`.
//!
//! Reading follows oras-go (what Helm v4 uses) and Docker: `credHelpers`, `credsStore`, and
//! `auths` entries with `auth` (base64 `user:password`), legacy `username`/`password`,
//! `identitytoken` and `registrytoken`. Writing reproduces Helm's bytes exactly: Go's
//! `json.MarshalIndent` with a tab indent, top-level and `auths` keys sorted, every other
//! value kept as it was (Go's `json.RawMessage`), HTML-safe escaping, no trailing newline.
//!
//! ```
//! use helmoci_auth::{ConfigFile, Credential};
//! let mut file = ConfigFile::empty("/tmp/x/config.json");
//! file.set("localhost:5000", &Credential::basic("user", "pass"))?;
//! assert_eq!(
//!     file.to_json(),
//!     "{\n\t\"auths\": {\n\t\t\"localhost:5000\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t}\n\t}\n}"
//! );
//! assert_eq!(file.credential("localhost:5000")?, Some(Credential::basic("user", "pass")));
//! # Ok::<(), helmoci_auth::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use helmoci_core::json::write_str;
use serde_json::value::RawValue;

use crate::indent::indent_go;
use crate::registry::{key_hostname, key_is_docker_hub};
use crate::{Credential, Error, Result, Secret};

/// The largest credentials file read: 4 MiB.
pub const MAX_CONFIG_SIZE: u64 = 4 * 1024 * 1024;

const AUTHS: &str = "auths";
const CREDS_STORE: &str = "credsStore";
const CRED_HELPERS: &str = "credHelpers";

/// A Docker-format credentials file, loaded so that it can be read and written back the way
/// Helm (oras-go) does.
#[derive(Clone)]
pub struct ConfigFile {
    path: PathBuf,
    /// Every top-level key with its value as written (Go's `map[string]json.RawMessage`).
    content: BTreeMap<String, Box<RawValue>>,
    /// `auths`, each entry as written; decoded only when asked for, as oras-go does.
    auths: BTreeMap<String, Box<RawValue>>,
    creds_store: String,
    cred_helpers: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConfigFile {
    // Entries are not printed: they hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field("auths", &self.auths.keys().collect::<Vec<_>>())
            .field("creds_store", &self.creds_store)
            .field("cred_helpers", &self.cred_helpers)
            .finish_non_exhaustive()
    }
}

impl ConfigFile {
    /// An empty file that will be written at `path`.
    pub fn empty(path: impl Into<PathBuf>) -> Self {
        ConfigFile {
            path: path.into(),
            content: BTreeMap::new(),
            auths: BTreeMap::new(),
            creds_store: String::new(),
            cred_helpers: BTreeMap::new(),
        }
    }

    /// Reads `path`; `Ok(None)` when it does not exist.
    ///
    /// # Errors
    /// [`Error::NotAFile`] for a directory or special file, [`Error::ConfigTooLarge`] above
    /// [`MAX_CONFIG_SIZE`], [`Error::ReadConfig`] for I/O errors, and the errors of
    /// [`ConfigFile::parse`].
    pub fn load(path: &Path) -> Result<Option<Self>> {
        let read_err = |source| Error::ReadConfig {
            path: path.to_owned(),
            source,
        };
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_err(e)),
        };
        if !meta.is_file() {
            return Err(Error::NotAFile {
                path: path.to_owned(),
            });
        }
        let too_large = || Error::ConfigTooLarge {
            path: path.to_owned(),
            limit: MAX_CONFIG_SIZE,
        };
        if meta.len() > MAX_CONFIG_SIZE {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        fs::File::open(path)
            .and_then(|f| f.take(MAX_CONFIG_SIZE + 1).read_to_end(&mut bytes))
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_CONFIG_SIZE {
            return Err(too_large());
        }
        Self::parse(path, &bytes).map(Some)
    }

    /// Reads `path`, or gives an empty file for it when it does not exist.
    ///
    /// # Errors
    /// As [`ConfigFile::load`].
    pub fn load_or_empty(path: &Path) -> Result<Self> {
        Ok(Self::load(path)?.unwrap_or_else(|| Self::empty(path)))
    }

    /// Parses the bytes of a credentials file; `path` names it in errors and is where
    /// [`ConfigFile::save`] writes.
    ///
    /// An empty (or all-blank) file is an empty config. Text after the first JSON value is
    /// ignored, as Go's decoder does.
    ///
    /// ```
    /// use helmoci_auth::{ConfigFile, Error};
    /// let err = ConfigFile::parse("/etc/x/config.json", br#"{"auths": []}"#).unwrap_err();
    /// assert!(matches!(err, Error::MalformedConfig { .. }));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "credentials file /etc/x/config.json is malformed: `auths` must be an object, \
    ///      found an array; fix or remove it"
    /// );
    /// ```
    ///
    /// # Errors
    /// [`Error::MalformedConfig`] for non-UTF-8 text, invalid JSON, a top level that is not
    /// an object, or `auths`, `credsStore`, `credHelpers` of the wrong type. `auths` entries
    /// are checked only when read ([`ConfigFile::credential`]).
    pub fn parse(path: impl Into<PathBuf>, bytes: &[u8]) -> Result<Self> {
        let mut file = Self::empty(path);
        let malformed = |file: &Self, problem: String| Error::MalformedConfig {
            path: file.path.clone(),
            problem,
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let problem = format!("it is not UTF-8 text (byte {})", e.valid_up_to());
                return Err(malformed(&file, problem));
            }
        };
        if text.trim().is_empty() {
            return Ok(file);
        }
        // A RawValue accepts any JSON, so this only fails on syntax, and serde_json's
        // syntax errors name a position, never the text.
        let top: Box<RawValue> = match serde_json::Deserializer::from_str(text)
            .into_iter::<Box<RawValue>>()
            .next()
        {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(malformed(&file, format!("invalid JSON: {e}"))),
            None => return Ok(file),
        };
        file.content = object(&top).map_err(|t| {
            malformed(
                &file,
                format!("the top level must be a JSON object, found {t}"),
            )
        })?;
        if let Some(raw) = file.content.get(CREDS_STORE) {
            file.creds_store = string(raw).map_err(|t| {
                malformed(&file, format!("`credsStore` must be a string, found {t}"))
            })?;
        }
        if let Some(raw) = file.content.get(CRED_HELPERS) {
            let helpers = object(raw).map_err(|t| {
                malformed(&file, format!("`credHelpers` must be an object, found {t}"))
            })?;
            for (key, raw) in helpers {
                let name = string(&raw).map_err(|t| {
                    malformed(
                        &file,
                        format!("`credHelpers[{key:?}]` must be a string, found {t}"),
                    )
                })?;
                file.cred_helpers.insert(key, name);
            }
        }
        if let Some(raw) = file.content.get(AUTHS) {
            file.auths = object(raw)
                .map_err(|t| malformed(&file, format!("`auths` must be an object, found {t}")))?;
        }
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `credsStore`, the helper for every registry without its own `credHelpers` entry.
    pub fn creds_store(&self) -> Option<&str> {
        Some(self.creds_store.as_str()).filter(|s| !s.is_empty())
    }

    /// `credHelpers[key]` (exact key), when set and not empty.
    pub fn cred_helper(&self, key: &str) -> Option<&str> {
        self.cred_helpers
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The helper for a server key, as oras-go picks it: `credHelpers[key]`, else `credsStore`.
    pub fn helper_for(&self, key: &str) -> Option<&str> {
        self.cred_helper(key).or_else(|| self.creds_store())
    }

    /// The keys under `auths`, sorted.
    pub fn auth_keys(&self) -> impl Iterator<Item = &str> {
        self.auths.keys().map(String::as_str)
    }

    /// Whether the file configures no authentication: no `credsStore`, no `credHelpers` and
    /// no `auths` entries (oras-go's `IsAuthConfigured` is false). Only then do Helm and
    /// oras-go look for a platform default helper.
    pub fn is_unconfigured(&self) -> bool {
        self.creds_store.is_empty() && self.cred_helpers.is_empty() && self.auths.is_empty()
    }

    /// The credential stored under exactly `key` in `auths`; `None` when there is no entry
    /// or the entry is empty.
    ///
    /// # Errors
    /// [`Error::MalformedEntry`] when the entry has wrong types, invalid base64 or an `auth`
    /// without `:`.
    pub fn credential(&self, key: &str) -> Result<Option<Credential>> {
        match self.auths.get(key) {
            Some(raw) => self.decode_entry(key, raw),
            None => Ok(None),
        }
    }

    /// Finds the `auths` entry for a Docker/Helm server key the way oras-go does: the exact
    /// key, else the first key (in sorted order) whose host, after stripping `http(s)://` and
    /// any path, equals `key`. For Docker Hub's key any spelling of Docker Hub matches.
    /// Returns the matching key and its credential.
    ///
    /// ```
    /// use helmoci_auth::{ConfigFile, Credential};
    /// let file = ConfigFile::parse("config.json", br#"{"auths": {"https://ghcr.io/v1/": {"auth": "dTpw"}}}"#)?;
    /// let (key, credential) = file.find("ghcr.io")?.expect("legacy key matches");
    /// assert_eq!((key.as_str(), credential), ("https://ghcr.io/v1/", Credential::basic("u", "p")));
    /// # Ok::<(), helmoci_auth::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`ConfigFile::credential`], for the matched entry only.
    pub fn find(&self, key: &str) -> Result<Option<(String, Credential)>> {
        let hub = key_is_docker_hub(key) && key.contains("://");
        let matched = self.auths.get_key_value(key).or_else(|| {
            self.auths
                .iter()
                .find(|(k, _)| key_hostname(k) == key || (hub && key_is_docker_hub(k)))
        });
        match matched {
            Some((k, raw)) => Ok(self.decode_entry(k, raw)?.map(|c| (k.clone(), c))),
            None => Ok(None),
        }
    }

    /// Finds the entry for `host/repository` the way Podman (containers/image) does: keys
    /// may name a registry, a namespace or a repository, and the longest key that equals the
    /// target or is a `/`-separated prefix of it wins. Legacy `http(s)://` keys count as
    /// their host, and `index.docker.io`/`registry-1.docker.io` as `docker.io`.
    ///
    /// `host` is the Podman form of the registry ([`crate::Registry::podman_key`]).
    ///
    /// # Errors
    /// As [`ConfigFile::credential`], for the matched entry only.
    pub fn find_scoped(
        &self,
        host: &str,
        repository: Option<&str>,
    ) -> Result<Option<(String, Credential)>> {
        let target = match repository.map(|r| r.trim_matches('/')) {
            Some(repo) if !repo.is_empty() => format!("{host}/{repo}"),
            _ => host.to_owned(),
        };
        let mut best: Option<(usize, &String, &RawValue)> = None;
        for (key, raw) in &self.auths {
            let norm = podman_key(key);
            let hit = target == norm
                || (target.starts_with(norm.as_str())
                    && target.as_bytes().get(norm.len()) == Some(&b'/'));
            if hit && best.is_none_or(|(len, _, _)| norm.len() > len) {
                best = Some((norm.len(), key, raw));
            }
        }
        match best {
            Some((_, k, raw)) => Ok(self.decode_entry(k, raw)?.map(|c| (k.clone(), c))),
            None => Ok(None),
        }
    }

    /// Stores `credential` under `auths[key]` as Helm does: `{"auth": base64(user:pass)}`,
    /// or `{"identitytoken": …}` / `{"registrytoken": …}` for tokens. The entry is replaced
    /// whole.
    ///
    /// # Errors
    /// [`Error::ColonInUsername`] for a username with `:`; [`Error::CannotStore`] for
    /// [`Credential::Anonymous`].
    pub fn set(&mut self, key: &str, credential: &Credential) -> Result<()> {
        let mut entry = String::from("{");
        let mut field = |name: &str, value: &str| {
            if !value.is_empty() {
                if entry.len() > 1 {
                    entry.push(',');
                }
                write_str(&mut entry, name);
                entry.push(':');
                write_str(&mut entry, value);
            }
        };
        match credential {
            Credential::Anonymous => {
                return Err(Error::CannotStore {
                    registry: key.to_owned(),
                    reason: "the credential is anonymous; give a username and password or a token",
                })
            }
            Credential::Basic { username, password } => {
                if username.contains(':') {
                    return Err(Error::ColonInUsername {
                        registry: key.to_owned(),
                    });
                }
                if !(username.is_empty() && password.is_empty()) {
                    let pair = format!("{username}:{}", password.expose());
                    field(
                        "auth",
                        &base64::engine::general_purpose::STANDARD.encode(pair),
                    );
                }
            }
            Credential::IdentityToken(t) => field("identitytoken", t.expose()),
            Credential::RegistryToken(t) => field("registrytoken", t.expose()),
        }
        entry.push('}');
        let raw = RawValue::from_string(entry).expect("the entry is JSON written above");
        self.auths.insert(key.to_owned(), raw);
        Ok(())
    }

    /// Removes `auths[key]` (exact key, as Helm's logout does); returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.auths.remove(key).is_some()
    }

    /// Sets `credsStore` (written the next time the file is saved).
    pub fn set_creds_store(&mut self, helper: &str) {
        helper.clone_into(&mut self.creds_store);
    }

    /// The file as Helm writes it: `json.MarshalIndent(content, "", "\t")`, no final newline.
    /// `auths` is always present (`{}` when empty), an empty or null `credsStore` is dropped
    /// (as oras-go does), and other keys keep their values.
    pub fn to_json(&self) -> String {
        let mut auths = String::from("{");
        for (i, (key, raw)) in self.auths.iter().enumerate() {
            if i > 0 {
                auths.push(',');
            }
            write_str(&mut auths, key);
            auths.push(':');
            auths.push_str(raw.get());
        }
        auths.push('}');
        let mut replaced: BTreeMap<&str, String> = BTreeMap::new();
        replaced.insert(AUTHS, auths);
        if !self.creds_store.is_empty() {
            let mut s = String::new();
            write_str(&mut s, &self.creds_store);
            replaced.insert(CREDS_STORE, s);
        }
        // oras-go drops an empty (or null) `credsStore` on save.
        let mut keys: Vec<&str> = self
            .content
            .keys()
            .map(String::as_str)
            .filter(|k| *k != CREDS_STORE || !self.creds_store.is_empty())
            .collect();
        keys.extend(replaced.keys().copied());
        keys.sort_unstable();
        keys.dedup();
        let mut compact = String::from("{");
        for (i, key) in keys.into_iter().enumerate() {
            if i > 0 {
                compact.push(',');
            }
            write_str(&mut compact, key);
            compact.push(':');
            match replaced.get(key) {
                Some(v) => compact.push_str(v),
                None => compact.push_str(self.content[key].get()),
            }
        }
        compact.push('}');
        indent_go(&compact)
    }

    /// Writes the file as Helm does: the directory is created with mode 0700, the text goes
    /// to a 0600 temp file beside the target, which is then renamed over it.
    ///
    /// # Errors
    /// [`Error::WriteConfig`] naming the directory or file.
    pub fn save(&self) -> Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let werr = |path: &Path| {
            let path = path.to_owned();
            move |source| Error::WriteConfig { path, source }
        };
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(werr(&dir))?;
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!("{name}.ingest."))
            .tempfile_in(&dir)
            .map_err(werr(&dir))?;
        tmp.write_all(self.to_json().as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(werr(tmp.path()))?;
        tmp.persist(&self.path)
            .map_err(|e| werr(&self.path)(e.error))?;
        Ok(())
    }

    fn decode_entry(&self, key: &str, raw: &RawValue) -> Result<Option<Credential>> {
        let bad = |problem| Error::MalformedEntry {
            path: self.path.clone(),
            key: key.to_owned(),
            problem,
        };
        let fields = object(raw).map_err(|_| bad("it is not a JSON object"))?;
        // Go matches struct fields case-insensitively, preferring the exact name.
        let get = |name: &str| -> Result<String> {
            let raw = fields.get(name).or_else(|| {
                fields
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            });
            match raw {
                Some(raw) => string(raw).map_err(|_| {
                    bad(match name {
                        "auth" => "`auth` must be a string",
                        "username" => "`username` must be a string",
                        "password" => "`password` must be a string",
                        "identitytoken" => "`identitytoken` must be a string",
                        _ => "`registrytoken` must be a string",
                    })
                }),
                None => Ok(String::new()),
            }
        };
        let registry_token = get("registrytoken")?;
        let identity_token = get("identitytoken")?;
        let (mut username, mut password) = (get("username")?, get("password")?);
        let auth = get("auth")?;
        if !auth.is_empty() {
            let cleaned: String = auth.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_allow_trailing_bits(true)
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            let bytes = engine
                .decode(cleaned)
                .map_err(|_| bad("`auth` is not valid base64"))?;
            let pair = String::from_utf8(bytes)
                .map_err(|_| bad("`auth` does not decode to UTF-8 text"))?;
            let (u, p) = pair
                .split_once(':')
                .ok_or_else(|| bad("`auth` does not decode to `username:password`"))?;
            (username, password) = (u.to_owned(), p.to_owned());
        }
        Ok(if !registry_token.is_empty() {
            Some(Credential::RegistryToken(Secret::new(registry_token)))
        } else if !identity_token.is_empty() {
            Some(Credential::IdentityToken(Secret::new(identity_token)))
        } else if !username.is_empty() || !password.is_empty() {
            Some(Credential::basic(username, password))
        } else {
            None
        })
    }
}

/// A Podman `auth.json` key in normal form (see [`ConfigFile::find_scoped`]).
fn podman_key(key: &str) -> String {
    let key = if key.starts_with("http://") || key.starts_with("https://") {
        key_hostname(key)
    } else {
        key.trim_end_matches('/')
    };
    let (host, rest) = key.split_once('/').map_or((key, ""), |(h, r)| (h, r));
    let host = if key_is_docker_hub(host) {
        "docker.io"
    } else {
        host
    };
    if rest.is_empty() {
        host.to_owned()
    } else {
        format!("{host}/{rest}")
    }
}

/// The JSON type of a raw value, for messages.
fn type_name(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// Splits a raw JSON object into its members (`null` is an empty object, as in Go).
fn object(raw: &RawValue) -> std::result::Result<BTreeMap<String, Box<RawValue>>, &'static str> {
    match type_name(raw) {
        "an object" => serde_json::from_str(raw.get()).map_err(|_| "an invalid object"),
        "null" => Ok(BTreeMap::new()),
        other => Err(other),
    }
}

/// Decodes a raw JSON string (`null` is the empty string, as in Go).
fn string(raw: &RawValue) -> std::result::Result<String, &'static str> {
    match type_name(raw) {
        "a string" => serde_json::from_str(raw.get()).map_err(|_| "an invalid string"),
        "null" => Ok(String::new()),
        other => Err(other),
    }
}
