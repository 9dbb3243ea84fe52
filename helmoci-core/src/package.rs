//! Packaging a chart directory into `{name}-{version}.tgz`, like `helm package`.

use std::path::PathBuf;

use crate::digest::Digest;
use crate::metadata::ChartMetadata;

/// A chart archive written by packaging: where it is, its digest and size (computed while
/// writing, so a push never re-reads or re-hashes it), and the metadata it carries
/// (as archived: sanitized, with Helm's YAML coercions and overrides applied).
#[derive(Debug, Clone, PartialEq)]
pub struct PackagedChart {
    /// The `.tgz` file.
    pub path: PathBuf,
    /// `sha256:` digest of the whole `.tgz`.
    pub digest: Digest,
    /// Size of the `.tgz` in bytes.
    pub size: u64,
    /// The archived `Chart.yaml` metadata.
    pub metadata: ChartMetadata,
}
