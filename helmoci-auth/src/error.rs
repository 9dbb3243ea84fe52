//! The crate's error type.

use std::path::PathBuf;

use crate::helper::{HelperAction, HelperError};
use crate::locations::ConfigKind;

/// Everything that can go wrong reading or writing credentials.
///
/// Messages are lowercase, name the file, host or helper involved and say how to fix it.
/// No variant ever carries a password or token: problems inside a config entry are
/// described by their kind ("invalid base64"), never by quoting the entry.
///
/// Variants by fault: bad input ([`Error::InvalidRegistry`], [`Error::ColonInUsername`],
/// [`Error::CannotStore`]), a broken file ([`Error::MalformedConfig`],
/// [`Error::MalformedEntry`], [`Error::ConfigTooLarge`], [`Error::NotAFile`]), and the local
/// environment ([`Error::ReadConfig`], [`Error::WriteConfig`], [`Error::NoConfigLocation`],
/// [`Error::Helper`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A registry host that is not `host[:port]`.
    #[error("invalid registry {input:?}: {reason}; give the registry as host[:port], e.g. localhost:5000")]
    InvalidRegistry {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A username containing `:` cannot be stored in Docker's `auth` field.
    #[error(
        "bad credential format: colons(:) are not allowed in username (logging in to {registry})"
    )]
    ColonInUsername {
        /// The registry being logged in to.
        registry: String,
    },
    /// The credential cannot be stored where it would go.
    #[error("cannot store credentials for {registry}: {reason}")]
    CannotStore {
        /// The registry being logged in to.
        registry: String,
        /// Why.
        reason: &'static str,
    },
    /// A config file that cannot be read (permissions, I/O).
    #[error("cannot read credentials file {path}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A config path that names a directory or a special file.
    #[error("{path} is not a regular file; remove it, or point the config variable at a file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A config file over the size limit.
    #[error("credentials file {path} is larger than {limit} bytes; it cannot be a credentials file, remove or fix it")]
    ConfigTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// A config file that is not a JSON object of the expected shape.
    #[error("credentials file {path} is malformed: {problem}; fix or remove it")]
    MalformedConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong (never quoting secret values).
        problem: String,
    },
    /// One `auths` entry that cannot be decoded.
    #[error("credentials file {path}: the entry {key:?} is malformed: {problem}; log in again or remove the entry")]
    MalformedEntry {
        /// The file.
        path: PathBuf,
        /// The entry's key under `auths`.
        key: String,
        /// What is wrong (never quoting secret values).
        problem: &'static str,
    },
    /// A config file that cannot be written.
    #[error("cannot write credentials file {path}")]
    WriteConfig {
        /// The file (or its directory).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No path is known for the config that should be written.
    #[error("no location for the {kind}: set {hint} (HOME is not set either)")]
    NoConfigLocation {
        /// Which config.
        kind: ConfigKind,
        /// The variable to set.
        hint: &'static str,
    },
    /// A credential helper failed while storing or erasing (lookups turn helper failures
    /// into warnings instead).
    #[error(
        "credential helper docker-credential-{helper} failed to {action} credentials for {key}"
    )]
    Helper {
        /// The helper's name (`pass` for `docker-credential-pass`).
        helper: String,
        /// What was attempted.
        action: HelperAction,
        /// The server key sent to the helper.
        key: String,
        /// What went wrong.
        #[source]
        source: Box<HelperError>,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
