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

    // ---- Chart.yaml -------------------------------------------------------------------
    /// `Chart.yaml` breaks one of Helm's validation rules.
    #[error("validation: {message}")]
    Validation {
        /// Helm's message, e.g. `chart.metadata.version "x" is invalid`.
        message: String,
    },

    /// A `Chart.yaml` (or lock/requirements) field has a value of the wrong type.
    #[error("{file}:{line}:{column}: {field} must be {expected}, not {found}")]
    ChartYamlType {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field, as Go names it (`Metadata.version`).
        field: String,
        /// The type Helm expects.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },

    /// `Chart.lock`'s `generated` is not an RFC 3339 time.
    #[error("{file}:{line}: generated {value:?} is not an RFC 3339 time; run `helmoci dependency update` to rewrite the lock")]
    LockTime {
        /// The lock file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The value found.
        value: String,
    },

    // ---- chart directories ------------------------------------------------------------
    /// A path in a chart directory cannot be packaged.
    #[error("{path}: {reason}")]
    ChartPath {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        reason: &'static str,
    },
    /// A symbolic link in a chart directory cannot be followed safely.
    #[error("symbolic link {path}: {reason}")]
    Symlink {
        /// The link.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// A file of a chart directory is over the per-file limit.
    #[error("chart file {path} ({size} bytes) is larger than the maximum file size {limit}")]
    ChartFileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The directory has no `Chart.yaml`.
    #[error("{dir} is not a chart: Chart.yaml file is missing")]
    NoChartYaml {
        /// The directory (or archive).
        dir: PathBuf,
    },
    /// Expanding a chart would overwrite an existing file or directory.
    #[error("failed to untar: a file or directory with the name {path} already exists; remove it or choose another destination")]
    DestinationExists {
        /// The existing path.
        path: PathBuf,
    },
    /// The chart's files include no `Chart.yaml` (after `.helmignore` was applied).
    #[error("Chart.yaml file is missing (check that .helmignore does not exclude it)")]
    ChartYamlMissing,
    /// Loading a chart failed; the cause says why.
    #[error("cannot load chart {path}")]
    Load {
        /// The chart directory or archive.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A subchart in `charts/` failed to load.
    #[error("error unpacking subchart {subchart} in {parent}")]
    Subchart {
        /// The entry in `charts/`.
        subchart: String,
        /// The parent chart's name.
        parent: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A file sits directly in `charts/` where only subcharts belong.
    #[error("{parent}: charts/{file} is not a chart (Chart.yaml file is missing); move it out of charts/ or list it in .helmignore")]
    StraySubchartFile {
        /// The parent chart's name.
        parent: String,
        /// The file's name inside `charts/`.
        file: String,
    },
    /// A file Helm parses at load time is invalid.
    #[error("cannot load {file}")]
    ChartFileInvalid {
        /// The file (`values.yaml`, `Chart.lock`, …).
        file: String,
        /// The parse error.
        #[source]
        source: Box<Error>,
    },

    /// Dependencies listed in `Chart.yaml` are not in `charts/`.
    #[error("found in Chart.yaml, but missing in charts/ directory: {}; run `helmoci dependency update` first", names.join(", "))]
    MissingDependencies {
        /// The missing dependency names.
        names: Vec<String>,
    },
    /// `values.schema.json` is not valid JSON.
    #[error(
        "{chart}: invalid JSON in values.schema.json at line {line}, column {column}: {message}"
    )]
    InvalidSchema {
        /// The chart's name.
        chart: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The JSON parser's message.
        message: String,
    },

    /// `show` was asked for something it cannot show.
    #[error("unknown show format {format:?}; use chart, values, readme, crds or all")]
    InvalidShowFormat {
        /// What was asked.
        format: String,
    },

    // ---- dependencies: Chart.lock, index.yaml, repositories.yaml ---------------------
    /// `Chart.lock` does not match the dependencies of `Chart.yaml` (Helm's lock drift).
    #[error(
        "the lock file ({lock_file}) is out of sync with the dependencies file ({deps_file}); \
             a dependency was added, removed or changed since the lock was written. \
             Please update the dependencies with 'helm dependency update'"
    )]
    LockOutOfSync {
        /// `Chart.lock` or `requirements.lock`.
        lock_file: &'static str,
        /// `Chart.yaml` or `requirements.yaml`.
        deps_file: &'static str,
    },
    /// The lock file to write is a symbolic link (Helm refuses to write through it).
    #[error("the {file} file is a symlink to {target:?}; remove the link or replace it with a regular file")]
    LockSymlink {
        /// `Chart.lock` or `requirements.lock`.
        file: &'static str,
        /// Where the link points.
        target: PathBuf,
    },
    /// An `index.yaml` (or `index.json`) is empty.
    #[error("{source_name}: empty index.yaml file")]
    IndexEmpty {
        /// Where the index came from (a path or URL).
        source_name: String,
    },
    /// An index has no `apiVersion`.
    #[error("{source_name}: no API version specified; a repository index needs `apiVersion: v1`")]
    IndexNoApiVersion {
        /// Where the index came from.
        source_name: String,
    },
    /// An index does not have the shape of a Helm repository index.
    #[error("{source_name}:{line}: {message}")]
    IndexInvalid {
        /// Where the index came from.
        source_name: String,
        /// 1-based line (0 when unknown, e.g. for JSON).
        line: usize,
        /// What is wrong, e.g. `unknown field "foo" in ChartVersion`.
        message: String,
    },
    /// The index has no chart of that name.
    #[error("no chart name found: chart {name:?} is not in the repository index")]
    IndexNoChart {
        /// The chart asked for.
        name: String,
    },
    /// The index has the chart but no version satisfying the request.
    #[error("no chart version found for {name}-{version}")]
    IndexNoVersion {
        /// The chart asked for.
        name: String,
        /// The version or constraint asked for.
        version: String,
    },
    /// A URL could not be parsed or joined.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it is invalid.
        reason: String,
    },
    /// `repositories.yaml` could not be read or parsed.
    #[error("couldn't load repositories file ({path})")]
    RepositoryConfig {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// Dependencies name repositories that are not configured (Helm's `ErrRepoNotFound`).
    #[error("no repository definition for {}. Please add them via 'helm repo add'{}", repositories.join(", "),
        if repositories.iter().any(|r| !r.contains("//") && !r.starts_with('@') && !r.starts_with("alias:")) {
            "\nNote that repositories must be URLs or aliases. For example, to refer to the \"example\"\n\
             repository, use \"https://charts.example.com/\" or \"@example\" instead of\n\
             \"example\". Don't forget to add the repo, too ('helm repo add')."
        } else { "" })]
    RepositoryNotFound {
        /// The repositories as written in `Chart.yaml`.
        repositories: Vec<String>,
    },
    /// A dependency's version is not a valid constraint.
    #[error("dependency {name:?} has an invalid version/constraint format")]
    DependencyConstraint {
        /// The dependency's name.
        name: String,
        /// The constraint error (`improper constraint: ""`).
        #[source]
        source: Box<Error>,
    },
    /// No candidate satisfies some dependencies' constraints.
    #[error("can't get a valid version for {} subchart(s): {}. Make sure a matching chart version exists in the repo, or change the version constraint in Chart.yaml",
        missing.len(), missing.iter().map(|m| format!("{:?} (repository {:?}, version {:?})", m.name, m.repository, m.version)).collect::<Vec<_>>().join(", "))]
    NoMatchingVersions {
        /// The dependencies that could not be resolved, in `Chart.yaml` order.
        missing: Vec<crate::metadata::Dependency>,
    },
    /// A dependency was resolved without the information it needs (a caller error).
    #[error("dependency {name:?} ({repository:?}): {reason}")]
    DependencyCandidates {
        /// The dependency's name.
        name: String,
        /// Its repository.
        repository: String,
        /// What is missing or mismatched.
        reason: String,
    },

    /// A local (`repository: ""`) or `file://` dependency's directory does not exist.
    #[error("directory {} not found (dependency {name:?}); create it or fix `repository` in Chart.yaml", path.display())]
    DependencyDirectoryMissing {
        /// The dependency's name.
        name: String,
        /// The directory Helm looks in.
        path: PathBuf,
    },
    /// A chart already in `charts/` does not satisfy its dependency's constraint.
    #[error("dependency {name} at version {version} does not satisfy the constraint {constraint}")]
    LocalDependencyMismatch {
        /// The dependency's name.
        name: String,
        /// The version found in `charts/<name>`.
        version: String,
        /// The constraint from Chart.yaml.
        constraint: String,
    },
    /// The repository's index has no chart of the dependency's name.
    #[error("{name} chart not found in repo {repository}")]
    ChartNotInRepository {
        /// The chart.
        name: String,
        /// The repository URL.
        repository: String,
    },

    // ---- provenance (.prov) -------------------------------------------------------------
    /// `verify` was given something that is not a `.tgz` archive.
    #[error("{path}: chart must be a tgz file")]
    ProvenanceNotTgz {
        /// The path given.
        path: PathBuf,
    },
    /// `verify` was given a chart directory.
    #[error("{path}: unpacked charts cannot be verified; package the chart and verify the .tgz")]
    ProvenanceUnpacked {
        /// The directory given.
        path: PathBuf,
    },
    /// The `.prov` file could not be read.
    #[error("could not load provenance file {path}")]
    ProvenanceLoad {
        /// The `.prov` file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No `-----BEGIN PGP SIGNED MESSAGE-----` block with a signature in the `.prov`.
    #[error("{prov}: signature block not found")]
    SignatureBlockNotFound {
        /// The `.prov` file or stream.
        prov: String,
    },
    /// The signature block is present but its armor or packets are unreadable.
    #[error("{prov}: signature block is malformed: {reason}")]
    SignatureMalformed {
        /// The `.prov` file or stream.
        prov: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No key in the keyring made the signature.
    #[error("{prov}: signature made by unknown entity (key ID {key_id}); add the signer's public key to the keyring {keyring}")]
    UnknownSigner {
        /// The `.prov` file or stream.
        prov: String,
        /// The issuer key ID (or fingerprint) named by the signature, upper-case hex.
        key_id: String,
        /// The keyring searched.
        keyring: String,
    },
    /// A key of the keyring made the signature, but the signature does not match the text.
    #[error("{prov}: invalid signature by key {fingerprint}: the signed text or the signature was altered")]
    SignatureInvalid {
        /// The `.prov` file or stream.
        prov: String,
        /// Fingerprint of the key that was tried.
        fingerprint: String,
    },
    /// The signing key (or subkey) has expired.
    #[error("key {fingerprint} ({identity}) expired at {expired_at}; extend or replace the key and sign again")]
    KeyExpired {
        /// Fingerprint of the expired key.
        fingerprint: String,
        /// Its first identity.
        identity: String,
        /// When it expired, RFC 3339 UTC.
        expired_at: String,
    },
    /// The signing key has been revoked.
    #[error("key {fingerprint} ({identity}) is revoked")]
    KeyRevoked {
        /// Fingerprint of the revoked key.
        fingerprint: String,
        /// Its first identity.
        identity: String,
    },
    /// The signature itself carries an expiration time that has passed.
    #[error("{prov}: signature expired at {expired_at}")]
    SignatureExpired {
        /// The `.prov` file or stream.
        prov: String,
        /// When it expired, RFC 3339 UTC.
        expired_at: String,
    },
    /// The signed text has no `\n...\n` separator between metadata and file sums.
    #[error("{prov}: message block must have at least two parts")]
    MessageBlockParts {
        /// The `.prov` file or stream.
        prov: String,
    },
    /// The file-sum half of the signed text is not the YAML Helm writes.
    #[error("{prov}: cannot read the files section of the provenance: {reason}")]
    MessageBlockFiles {
        /// The `.prov` file or stream.
        prov: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The `.prov` has no sum for the archive's file name (renamed archives fail here, as in Helm).
    #[error("provenance does not contain a SHA for a file named {file:?}")]
    ProvenanceNoFile {
        /// The archive's base name.
        file: String,
    },
    /// The archive's sha256 differs from the one signed in the `.prov`.
    #[error("sha256 sum does not match for {file}: {signed:?} != {actual:?}")]
    ProvenanceHashMismatch {
        /// The archive's base name.
        file: String,
        /// The sum in the `.prov`.
        signed: String,
        /// The sum of the archive.
        actual: String,
    },
    /// A keyring file holds no readable OpenPGP key.
    #[error("{keyring}: not a usable OpenPGP keyring: {reason} (give a binary keyring such as `gpg --export > pubring.gpg`, or an armored export; GnuPG .kbx files are not read)")]
    KeyringInvalid {
        /// The keyring file or stream.
        keyring: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--key` names more than one key.
    #[error("more than one key contain the id {id:?}")]
    KeyAmbiguous {
        /// The id as given.
        id: String,
    },
    /// No key matches `--key`.
    #[error("private key not found: no key in {keyring} has an identity containing {id:?}")]
    PrivateKeyNotFound {
        /// The id as given.
        id: String,
        /// The keyring searched.
        keyring: String,
    },
    /// The key matching `--key` has no secret part in the keyring.
    #[error("provided key is not a private key. Try providing a keyring with secret keys (key {fingerprint})")]
    NotAPrivateKey {
        /// Fingerprint of the public key found.
        fingerprint: String,
    },
    /// The key could not be unlocked or could not sign.
    #[error("cannot sign with key {fingerprint}: {reason}")]
    SigningFailed {
        /// Fingerprint of the signing key.
        fingerprint: String,
        /// What went wrong (never the passphrase).
        reason: String,
    },

    // ---- chart archives -----------------------------------------------------------------
    /// The input is not a gzip stream.
    #[error("{name} does not appear to be a gzipped chart archive: {hint}")]
    NotGzip {
        /// The file or stream.
        name: String,
        /// What it looks like and what to give instead.
        hint: &'static str,
    },
    /// The gzip or tar data is corrupt or truncated.
    #[error("{archive} is corrupt or truncated")]
    ArchiveCorrupt {
        /// The archive.
        archive: String,
        /// What the decoder reported.
        #[source]
        source: std::io::Error,
    },
    /// An entry's name breaks a safety rule.
    #[error("{archive}: entry {entry:?} rejected: {reason}")]
    ArchiveUnsafePath {
        /// The archive.
        archive: String,
        /// The entry name as stored.
        entry: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// An entry is a link, device, FIFO or other non-file.
    #[error("{archive}: entry {entry:?} is {kind}; chart archives may hold only regular files and directories")]
    ArchiveEntryType {
        /// The archive.
        archive: String,
        /// The entry name as stored.
        entry: String,
        /// What it is.
        kind: &'static str,
    },
    /// The files add up to the chart size limit or more.
    #[error("{archive}: decompressed chart is larger than the maximum size {limit}")]
    ChartTooLarge {
        /// The archive.
        archive: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// One file is over the per-file limit.
    #[error("{archive}: decompressed chart file {entry:?} ({size} bytes) is larger than the maximum file size {limit}")]
    ArchiveFileTooLarge {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
        /// Its size from the header.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The archive holds no files.
    #[error("{archive}: no files in chart archive")]
    ArchiveEmpty {
        /// The archive.
        archive: String,
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
