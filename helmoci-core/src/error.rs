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

    /// `SOURCE_DATE_EPOCH` is set but unusable.
    #[error(
        "invalid SOURCE_DATE_EPOCH {value:?}: {reason}; unset it or give whole seconds since 1970"
    )]
    SourceDateEpoch {
        /// The value as set.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
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
    /// A `.helmignore` line is 64 KiB or longer; Helm's line scanner stops there
    /// (`bufio.Scanner: token too long`).
    #[error(".helmignore:{line}: line of {length} bytes is too long (Helm reads lines of at most 65535 bytes)")]
    IgnoreLineTooLong {
        /// 1-based line number.
        line: usize,
        /// The line's length in bytes.
        length: usize,
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
    /// A version constraint could not be parsed (Masterminds' `improper constraint`).
    #[error("improper constraint: {constraint:?}")]
    InvalidConstraint {
        /// The offending segment of the constraint (an `||` alternative, after Helm
        /// rewrote hyphen ranges, or a single comparator).
        constraint: String,
    },
    /// A constraint fits the grammar but one of its versions does not parse
    /// (Masterminds' `constraint parser error`), e.g. `1x` or `1.2.3-01`.
    #[error("constraint parser error: {version:?} in constraint {constraint:?} is not a version ({reason})")]
    InvalidConstraintVersion {
        /// The whole constraint as given.
        constraint: String,
        /// The version as written in the constraint.
        version: String,
        /// Why the version does not parse, in Masterminds' words.
        reason: String,
    },
}
