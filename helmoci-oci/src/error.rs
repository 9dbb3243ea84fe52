//! The one error type of `helmoci-oci`.
//!
//! Variants are grouped by fault: bad input from the caller, a registry (or layout) that
//! refused or misbehaved, and the local environment. Every variant carries what it is about
//! (reference, registry, repository, digest, path, HTTP status, OCI error code); causes stay
//! under `source()`. No variant ever contains a password or token.

use std::fmt;
use std::path::PathBuf;

use helmoci_core::digest::Digest;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `helmoci-oci`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- bad input -----------------------------------------------------------------------
    /// A reference (`oci://registry/repository[:tag][@digest]`) has an invalid part.
    #[error("invalid reference: invalid {part} {value:?}{}", hint_suffix(.reason))]
    InvalidReference {
        /// Which part is wrong: `registry`, `repository`, `tag`, `digest` or `reference`.
        part: &'static str,
        /// The offending text.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A push target or chart location is not `oci://host[:port]/namespace` or `oci-layout://DIR`.
    #[error("invalid target {input:?}: {reason}")]
    InvalidTarget {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The version asked for differs from the tag in the reference (Helm's wording).
    #[error("chart reference and version mismatch: {version} is not {tag}")]
    VersionMismatch {
        /// The requested version.
        version: String,
        /// The reference's tag.
        tag: String,
    },
    /// The tag resolves to another manifest than the digest in the reference.
    #[error("chart reference digest mismatch: {tag_digest} is not {reference_digest}")]
    ReferenceDigestMismatch {
        /// What the tag resolves to.
        tag_digest: Digest,
        /// The digest written in the reference.
        reference_digest: Digest,
    },
    /// The chart archive to push has no metadata name or version.
    #[error("{path}: chart metadata has no {field}; package the chart first")]
    IncompleteChart {
        /// The archive.
        path: PathBuf,
        /// `name` or `version`.
        field: &'static str,
    },
    /// The archive to push is not a chart Helm would load. Nothing was tagged.
    #[error("{path} was not pushed: nothing was tagged")]
    InvalidArchive {
        /// The archive.
        path: PathBuf,
        /// Why it does not load.
        #[source]
        source: Box<helmoci_core::Error>,
    },
    /// The archive changed on disk while it was pushed. Nothing was tagged.
    #[error("{path} changed while it was pushed; nothing was tagged, push it again")]
    ArchiveChanged {
        /// The archive.
        path: PathBuf,
    },
    /// The requested version is neither a version nor a valid constraint.
    #[error("invalid version or constraint {version:?}; give a version (1.2.3) or a constraint (^1.2, >=1.0 <2.0)")]
    InvalidVersion {
        /// The requested version.
        version: String,
        /// Why the constraint does not parse.
        #[source]
        source: Box<helmoci_core::Error>,
    },

    // ---- what the registry or layout holds -------------------------------------------------
    /// The repository has no tags at all (Helm's wording).
    #[error("unable to locate any tags in provided repository: {reference}")]
    NoTags {
        /// The repository.
        reference: String,
    },
    /// No tag satisfies the requested version (Helm's wording), with the tags skipped and why.
    #[error("could not locate a version matching provided version string {version}{}", skipped_suffix(.skipped))]
    NoMatchingVersion {
        /// The repository.
        reference: String,
        /// The requested version or constraint.
        version: String,
        /// Tags that are not versions Helm can select (e.g. `latest`, `v1.2.3`), with the reason.
        skipped: Vec<String>,
    },
    /// A tag or digest does not exist.
    #[error("{reference}: not found")]
    NotFound {
        /// The reference that was looked up.
        reference: String,
    },
    /// `IfTagExists::Fail` and the tag already names other content.
    #[error("{reference}: tag already exists with manifest {existing} (pushing {pushed}); choose another version or allow overwriting")]
    TagExists {
        /// The tag's reference.
        reference: String,
        /// What the tag names now.
        existing: Digest,
        /// What the push would have written.
        pushed: Digest,
    },
    /// The manifest is not a Helm chart; `kind` says what it is.
    #[error("{reference}: not a Helm chart: {kind}")]
    NotAChart {
        /// The reference.
        reference: String,
        /// What it is instead, e.g. `a container image (config application/vnd.oci.image.config.v1+json)`.
        kind: String,
    },
    /// The manifest could not be decoded.
    #[error("{reference}: invalid manifest: {reason}")]
    InvalidManifest {
        /// The reference.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// A manifest, tag list or token is larger than the cap.
    #[error("{what} from {reference} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was being read (`manifest`, `tag list`, `token response`, `blob`).
        what: &'static str,
        /// Where from.
        reference: String,
        /// The cap.
        limit: u64,
    },

    // ---- registry misbehaved or refused ------------------------------------------------------
    /// The registry answered with an error status (details in [`RegistryFailure`]).
    #[error("{0}")]
    Registry(Box<RegistryFailure>),
    /// Content arrived with another digest than announced. Nothing was written.
    #[error("{reference}: blob {expected} arrived with digest {actual}; nothing was written")]
    DigestMismatch {
        /// What was downloaded.
        reference: String,
        /// The digest the manifest (or the request) promised.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// Content arrived with another size than announced. Nothing was written.
    #[error("{reference}: blob {digest} arrived with {actual} bytes, expected {expected}; nothing was written")]
    SizeMismatch {
        /// What was downloaded.
        reference: String,
        /// The blob.
        digest: Digest,
        /// The size the manifest promised.
        expected: u64,
        /// Bytes received (or at least this many).
        actual: u64,
    },
    /// The registry's authentication challenge or token service misbehaved.
    #[error("authenticating to {registry}: {reason}")]
    Auth {
        /// The registry host.
        registry: String,
        /// What went wrong (never contains a secret).
        reason: String,
    },
    /// The registry speaks something we do not understand (bad header, bad JSON, bad Location).
    #[error("{registry}: unexpected response to {what}: {reason}")]
    Protocol {
        /// The registry host.
        registry: String,
        /// The request (`blob upload`, `tag list` ...).
        what: String,
        /// What was unexpected.
        reason: String,
    },
    /// The registry could not be reached, the connection broke, or the registry stalled
    /// (connect or read timeout; the message says which).
    #[error("{method} {url:?}: {}", transport_summary(.source))]
    Transport {
        /// The HTTP method.
        method: String,
        /// The URL.
        url: String,
        /// The cause (connection refused, TLS, timeout ...).
        #[source]
        source: reqwest::Error,
    },

    // ---- local environment -------------------------------------------------------------------
    /// A file or directory could not be read.
    #[error("cannot read {path}")]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {path}")]
    Write {
        /// What could not be written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An OCI image layout directory is malformed.
    #[error("{path}: invalid OCI image layout: {reason}")]
    InvalidLayout {
        /// The layout directory or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another process holds the layout's index lock for too long.
    #[error("{path}: another process holds this lock; if none does, delete the file")]
    LayoutLocked {
        /// The lock file.
        path: PathBuf,
    },
    /// TLS material (CA, client certificate or key) is unusable.
    #[error("TLS configuration: {what}: {reason}")]
    Tls {
        /// What was being loaded.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    ClientBuild {
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// A blocking task (credential lookup, file hashing) panicked or was cancelled.
    #[error("a background task failed: {what}")]
    Background {
        /// What the task was doing.
        what: &'static str,
    },

    // ---- dependencies (`dependency update`/`build`) -------------------------------------------
    /// `dependency update`/`build` was given an archive or a missing path (Helm: `only
    /// unpacked charts can be updated`).
    #[error("{path}: only unpacked charts can be updated; give the chart directory")]
    NotAChartDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// `charts/` exists but is not a directory.
    #[error("{path:?} is not a directory; move it away so dependencies can be saved there")]
    ChartsNotADirectory {
        /// `<chart>/charts`.
        path: PathBuf,
    },
    /// Loading, planning, resolving or locking a chart's dependencies failed (the cause
    /// names the dependency: no matching version, unknown repository, lock out of sync …).
    #[error("dependencies of {chart}")]
    Dependencies {
        /// The chart directory (or the `file://` dependency's directory).
        chart: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<helmoci_core::Error>,
    },
    /// The versions of a dependency could not be looked up (tag list, repository index).
    #[error("dependency {name:?}: {what} {repository}")]
    DependencyLookup {
        /// The dependencies that needed it, comma-separated.
        name: String,
        /// What failed, e.g. `could not retrieve list of tags for repository`.
        what: &'static str,
        /// The repository (`oci://…` or the chart repository URL).
        repository: String,
        /// The cause.
        #[source]
        source: Box<Error>,
    },
    /// A dependency's archive could not be downloaded or packaged; nothing was changed in
    /// `charts/` or the lock.
    #[error("dependency {name:?}: could not download {url}; charts/ and the lock are unchanged")]
    DependencyDownload {
        /// The dependency (the first one, when several share the URL).
        name: String,
        /// The URL, OCI reference or `file://` path.
        url: String,
        /// The cause.
        #[source]
        source: Box<Error>,
    },
    /// Verification is on ([`Verify::Always`](crate::deps::Verify::Always)) and a
    /// dependency has no provenance: no provenance layer in its OCI manifest, or no
    /// `<archive URL>.prov` (Helm: `failed to fetch provenance "<url>.prov"`). Nothing was
    /// changed in `charts/` or the lock.
    #[error("dependency {name:?} {version} is not signed: failed to fetch provenance {provenance:?}: {reason}; charts/ and the lock are unchanged")]
    DependencyNotSigned {
        /// The dependency.
        name: String,
        /// Its version.
        version: String,
        /// Where the provenance was looked for (`oci://…/name:version.prov` or
        /// `<archive URL>.prov`).
        provenance: String,
        /// What the source said (`manifest does not contain a layer with mediatype …`,
        /// `404 Not Found`).
        reason: String,
    },
    /// Verification is on and a dependency's provenance does not verify against the keyring
    /// (unknown signer, altered signature or text, expired or revoked key, archive sum that
    /// does not match); the cause says which. Nothing was changed in `charts/` or the lock.
    #[error("dependency {name:?} {version} ({url}) does not verify against its provenance; charts/ and the lock are unchanged")]
    DependencyNotVerified {
        /// The dependency.
        name: String,
        /// Its version.
        version: String,
        /// The archive's URL or `oci://` reference.
        url: String,
        /// Why verification failed.
        #[source]
        source: Box<helmoci_core::Error>,
    },
    /// A chart repository answered with another status than 200 (Helm's wording).
    #[error("failed to fetch {url} : {status}")]
    HttpStatus {
        /// The URL (never with credentials).
        url: String,
        /// The status, e.g. `404 Not Found`.
        status: String,
    },
    /// A chart repository could not be reached, or the connection broke.
    #[error("GET {url:?}: cannot reach the chart repository")]
    HttpTransport {
        /// The URL (never with credentials).
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// With `--skip-refresh` (or after a failed refresh) there is no cached index for a
    /// repository (Helm's wording, plus where it looked).
    #[error("no cached repository for {repository} found (looked for {path}). (try 'helm repo update' or drop --skip-refresh)")]
    RepositoryNotCached {
        /// The repository URL.
        repository: String,
        /// The index file looked for.
        path: PathBuf,
        /// Why the refresh failed, when one was tried.
        #[source]
        source: Option<Box<Error>>,
    },
}

/// An error response from a registry: where, what, and what the registry said.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryFailure {
    /// The registry host (`host[:port]`).
    pub registry: String,
    /// The repository, when the request was about one.
    pub repository: String,
    /// The tag or digest, when the request was about one.
    pub reference: String,
    /// The HTTP method.
    pub method: String,
    /// The URL (never with credentials).
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The first OCI error code of the body (`MANIFEST_UNKNOWN`, `DENIED`, ...).
    pub code: Option<RegistryErrorCode>,
    /// The first OCI error message of the body.
    pub message: Option<String>,
    /// What to do about it (for 401, 403, 404), or `""`.
    pub hint: &'static str,
}

impl fmt::Display for RegistryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?}: response status code {}{}{}",
            self.method,
            self.url,
            self.status,
            registry_detail(&self.code, &self.message),
            hint_suffix(self.hint)
        )
    }
}

/// OCI distribution error codes (`{"errors":[{"code": ...}]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryErrorCode {
    /// `BLOB_UNKNOWN`
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`
    BlobUploadUnknown,
    /// `DIGEST_INVALID`
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`
    ManifestUnknown,
    /// `NAME_INVALID`
    NameInvalid,
    /// `NAME_UNKNOWN`
    NameUnknown,
    /// `SIZE_INVALID`
    SizeInvalid,
    /// `UNAUTHORIZED`
    Unauthorized,
    /// `DENIED`
    Denied,
    /// `UNSUPPORTED`
    Unsupported,
    /// `TOOMANYREQUESTS`
    TooManyRequests,
    /// Any other code, as sent.
    Other(String),
}

impl RegistryErrorCode {
    /// Maps the wire text to a code.
    pub fn from_code(code: &str) -> Self {
        use RegistryErrorCode::*;
        match code {
            "BLOB_UNKNOWN" => BlobUnknown,
            "BLOB_UPLOAD_INVALID" => BlobUploadInvalid,
            "BLOB_UPLOAD_UNKNOWN" => BlobUploadUnknown,
            "DIGEST_INVALID" => DigestInvalid,
            "MANIFEST_BLOB_UNKNOWN" => ManifestBlobUnknown,
            "MANIFEST_INVALID" => ManifestInvalid,
            "MANIFEST_UNKNOWN" => ManifestUnknown,
            "NAME_INVALID" => NameInvalid,
            "NAME_UNKNOWN" => NameUnknown,
            "SIZE_INVALID" => SizeInvalid,
            "UNAUTHORIZED" => Unauthorized,
            "DENIED" => Denied,
            "UNSUPPORTED" => Unsupported,
            "TOOMANYREQUESTS" => TooManyRequests,
            other => Other(other.to_owned()),
        }
    }

    /// The wire text (`MANIFEST_UNKNOWN`).
    pub fn as_str(&self) -> &str {
        use RegistryErrorCode::*;
        match self {
            BlobUnknown => "BLOB_UNKNOWN",
            BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            DigestInvalid => "DIGEST_INVALID",
            ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            ManifestInvalid => "MANIFEST_INVALID",
            ManifestUnknown => "MANIFEST_UNKNOWN",
            NameInvalid => "NAME_INVALID",
            NameUnknown => "NAME_UNKNOWN",
            SizeInvalid => "SIZE_INVALID",
            Unauthorized => "UNAUTHORIZED",
            Denied => "DENIED",
            Unsupported => "UNSUPPORTED",
            TooManyRequests => "TOOMANYREQUESTS",
            Other(s) => s,
        }
    }
}

impl fmt::Display for RegistryErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a transport failure means for the user: a stall is not "unreachable".
fn transport_summary(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "the registry did not answer in time (timed out)"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response"
    } else {
        "cannot reach the registry"
    }
}

impl Error {
    /// The HTTP status, for errors the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Registry(f) => Some(f.status),
            _ => None,
        }
    }

    /// The OCI error code, for errors the registry answered with one.
    pub fn registry_code(&self) -> Option<&RegistryErrorCode> {
        match self {
            Error::Registry(f) => f.code.as_ref(),
            _ => None,
        }
    }

    /// True when the thing looked up does not exist (404, or `NotFound`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. }) || self.status() == Some(404)
    }

    pub(crate) fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Read {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!(" ({hint})")
    }
}

fn registry_detail(code: &Option<RegistryErrorCode>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(": {}: {m}", c.as_str().to_ascii_lowercase()),
        (Some(c), None) => format!(": {}", c.as_str().to_ascii_lowercase()),
        (None, Some(m)) => format!(": {m}"),
        (None, None) => String::new(),
    }
}

fn skipped_suffix(skipped: &[String]) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!(" (tags skipped: {})", skipped.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }

    #[test]
    fn registry_error_reads_like_helm() {
        let e = Error::Registry(Box::new(RegistryFailure {
            registry: "r".into(),
            repository: "ns/c".into(),
            reference: "1.0.0".into(),
            method: "GET".into(),
            url: "https://r/v2/ns/c/manifests/1.0.0".into(),
            status: 401,
            code: Some(RegistryErrorCode::Unauthorized),
            message: Some("authentication required".into()),
            hint: "",
        }));
        assert_eq!(
            e.to_string(),
            "GET \"https://r/v2/ns/c/manifests/1.0.0\": response status code 401: unauthorized: authentication required"
        );
    }

    #[test]
    fn messages() {
        let d = |b: &[u8]| Digest::sha256_of(b);
        let table: Vec<(Error, String)> = vec![
            (
                Error::NotFound { reference: "r/ns/c:1.0.0".into() },
                "r/ns/c:1.0.0: not found".into(),
            ),
            (
                Error::VersionMismatch { version: "1.2.0".into(), tag: "1.3.0".into() },
                "chart reference and version mismatch: 1.2.0 is not 1.3.0".into(),
            ),
            (
                Error::NoTags { reference: "r/ns/c".into() },
                "unable to locate any tags in provided repository: r/ns/c".into(),
            ),
            (
                Error::NoMatchingVersion {
                    reference: "r/ns/c".into(),
                    version: "^2".into(),
                    skipped: vec!["latest (not M.m.p (not strict SemVer))".into()],
                },
                "could not locate a version matching provided version string ^2 (tags skipped: latest (not M.m.p (not strict SemVer)))".into(),
            ),
            (
                Error::DigestMismatch { reference: "r/c@x".into(), expected: d(b"a"), actual: d(b"b") },
                format!("r/c@x: blob {} arrived with digest {}; nothing was written", d(b"a"), d(b"b")),
            ),
            (
                Error::TagExists { reference: "r/c:1".into(), existing: d(b"a"), pushed: d(b"b") },
                format!("r/c:1: tag already exists with manifest {} (pushing {}); choose another version or allow overwriting", d(b"a"), d(b"b")),
            ),
            (
                Error::NotAChart { reference: "r/img:1".into(), kind: "a container image".into() },
                "r/img:1: not a Helm chart: a container image".into(),
            ),
        ];
        for (e, want) in table {
            assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn invalid_reference_names_the_part() {
        let e = Error::InvalidReference {
            part: "repository",
            value: "ns/MyChart".into(),
            reason: "",
        };
        assert_eq!(
            e.to_string(),
            "invalid reference: invalid repository \"ns/MyChart\""
        );
    }
}
