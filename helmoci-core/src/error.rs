//! The one error type of `helmoci-core`.
//!
//! Every variant names the thing that went wrong (a file, a line, a pattern, a version) and,
//! where there is one, the fix. Causes are kept under `source()`, not pasted into messages.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `helmoci-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- local environment -------------------------------------------------------------
    /// A file or directory could not be read.
    #[error("cannot read {path}")]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {path}")]
    Write {
        /// What could not be written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    // ---- digests ----------------------------------------------------------------------
    /// A digest is not `sha256:` plus 64 lowercase hex digits.
    #[error("invalid digest {digest:?}: {reason}")]
    InvalidDigest {
        /// The text as given.
        digest: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    // ---- yaml / json -------------------------------------------------------------------
    /// A YAML document could not be parsed.
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Yaml {
        /// The file (or a description such as `Chart.yaml`).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A value cannot be written as YAML the way Helm writes it (Helm's marshaller fails on
    /// it too): a NaN or infinite float, or a string with characters YAML cannot hold raw.
    #[error("cannot write YAML: {reason}")]
    YamlUnrepresentable {
        /// Why, in the words of Go's JSON encoder or yaml.v2's reader.
        reason: String,
    },

    // ---- .helmignore -------------------------------------------------------------------
    /// A `.helmignore` pattern uses `**`, which Helm rejects.
    #[error(".helmignore:{line}: `{pattern}`: double-star (**) syntax is not supported (Helm matches with Go's filepath.Match); write the directory as `name/` instead")]
    IgnoreDoubleStar {
        /// 1-based line number.
        line: usize,
        /// The pattern as written.
        pattern: String,
    },
    /// A `.helmignore` pattern is not a valid glob.
    #[error(".helmignore:{line}: `{pattern}`: syntax error in pattern ({reason})")]
    IgnorePattern {
        /// 1-based line number.
        line: usize,
        /// The pattern as written.
        pattern: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    // ---- versions and constraints ------------------------------------------------------
    /// A version is not a valid (lenient or strict) semantic version.
    #[error("invalid version {version:?}: {reason}")]
    InvalidVersion {
        /// The text as given.
        version: String,
        /// Masterminds' reason, e.g. `invalid semantic version`.
        reason: String,
    },
    /// A version constraint could not be parsed.
    #[error("improper constraint: {constraint:?}")]
    InvalidConstraint {
        /// The offending segment of the constraint.
        constraint: String,
    },
}
