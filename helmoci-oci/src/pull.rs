//! `helm pull` and friends: resolving a chart reference (tag, digest, version), fetching
//! its verified chart layer, writing it atomically, and listing tags.

use std::path::{Path, PathBuf};

use helmoci_core::version;
use tempfile::NamedTempFile;

use crate::blob_file::BlobFile;
use crate::error::{Error, Result};
use crate::layout::set_readable;
use crate::manifest::{decode_manifest, ChartManifest, DecodedManifest, Descriptor};
use crate::progress::ProgressSink;
use crate::reference::{ChartRef, Tag};
use crate::registry::{FetchedManifest, RegistryClient};
use crate::store::{AnyStore, Store};

/// How many children of an image index are tried before giving up.
const MAX_INDEX_CHILDREN: usize = 16;

/// Options of [`RegistryClient::pull`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PullOptions {
    /// `--version`: an exact version (used as the tag, literally) or, once the constraint
    /// engine is wired in, a constraint. `None` uses the reference's tag or digest, or the
    /// highest release when it has neither. Default `None`.
    pub version: Option<String>,
    /// `-d`: the directory to write into, created if missing. Default `.`.
    pub destination: PathBuf,
    /// `--prov`: also write `<file>.prov` when the chart has a provenance layer. Default off.
    pub provenance: bool,
    /// `--devel`: without a version, pick the highest version including pre-releases
    /// (Helm's `>0.0.0-0`). Default off.
    pub devel: bool,
    /// `fsync` the downloaded files before renaming them into place, for crash durability.
    /// Default off, as in Helm: the verified temp file and the rename already guarantee
    /// that no reader sees a partial or unverified file.
    pub sync: bool,
    /// Where the blob downloads report their bytes ([`progress`](crate::progress)).
    /// Default `None`.
    pub progress: Option<ProgressSink>,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            version: None,
            destination: PathBuf::from("."),
            provenance: false,
            devel: false,
            sync: false,
            progress: None,
        }
    }
}

impl PullOptions {
    /// Options writing into `destination`.
    pub fn into_dir(destination: impl Into<PathBuf>) -> Self {
        PullOptions {
            destination: destination.into(),
            ..PullOptions::default()
        }
    }

    /// Options with `version` set.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Options reporting each blob download to `progress` (a
    /// [`Progress`](crate::progress::Progress) or closure, or a [`ProgressSink`]).
    pub fn progress(mut self, progress: impl Into<ProgressSink>) -> Self {
        self.progress = Some(progress.into());
        self
    }
}

/// A chart reference resolved to one manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The chart with the tag used, or the digest when fetched by digest only.
    pub reference: ChartRef,
    /// The manifest's descriptor (`Digest:` in Helm's output).
    pub manifest: Descriptor,
    /// The decoded chart manifest.
    pub chart: ChartManifest,
}

/// A pulled chart archive.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pulled {
    /// The `.tgz` written (`<name>-<version>.tgz` or `<name>@sha256-<hex>.tgz`).
    pub path: PathBuf,
    /// The `.prov` written, when asked for and present.
    pub provenance_path: Option<PathBuf>,
    /// What was resolved.
    pub resolved: Resolved,
}

/// A verified chart layer in a temp file (deleted on drop unless persisted).
#[derive(Debug)]
#[non_exhaustive]
pub struct FetchedChart {
    /// The verified `.tgz`.
    pub file: NamedTempFile,
    /// What was resolved.
    pub resolved: Resolved,
}

/// The tags of a chart, as Helm sees them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Tags {
    /// Strict SemVer tags as versions (`_` read as `+`), highest first (Helm's SDK order).
    pub versions: Vec<String>,
    /// Other tags, with why Helm cannot select them (`latest (not M.m.p …)`).
    pub skipped: Vec<String>,
}

impl RegistryClient {
    /// Resolves `chart` (with its tag or digest, or `version`) to a chart manifest, as
    /// `helm pull` does before downloading (HELM-FACTS §8.6, §5.3). An image index is
    /// followed into its chart child.
    ///
    /// # Errors
    /// [`Error::VersionMismatch`], [`Error::ReferenceDigestMismatch`], [`Error::NoTags`],
    /// [`Error::NoMatchingVersion`], [`Error::InvalidVersion`], [`Error::NotAChart`],
    /// registry and layout errors.
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn resolve(&self, chart: &ChartRef, version: Option<&str>) -> Result<Resolved> {
        let store = AnyStore::for_chart(self, chart, false);
        resolve_in(&store, chart, version).await
    }

    /// Lists the chart's tags (all pages) and sorts them as Helm does.
    ///
    /// # Errors
    /// Registry and layout errors.
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn tags(&self, chart: &ChartRef) -> Result<Tags> {
        let store = AnyStore::for_chart(self, chart, false);
        let raw = store.tags().await?;
        let selection =
            version::select_tag(raw.iter().map(String::as_str), "", false).map_err(|source| {
                Error::InvalidVersion {
                    version: String::new(),
                    source: Box::new(source),
                }
            })?;
        Ok(Tags {
            versions: selection
                .candidates
                .iter()
                .map(|c| c.version.to_string())
                .collect(),
            skipped: describe_skipped(&selection.skipped),
        })
    }

    /// Resolves `chart` and downloads its chart layer into a temp file in `temp_dir`,
    /// verified against the manifest's digest and size. For `show` and `--untar`.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve), plus [`Error::DigestMismatch`],
    /// [`Error::SizeMismatch`] and I/O errors; the temp file is removed on error.
    ///
    /// # Cancellation
    /// Dropping the future removes the temp file.
    pub async fn fetch_chart_layer(
        &self,
        chart: &ChartRef,
        version: Option<&str>,
        temp_dir: &Path,
    ) -> Result<FetchedChart> {
        self.fetch_chart_layer_with_progress(chart, version, temp_dir, None)
            .await
    }

    /// [`fetch_chart_layer`](Self::fetch_chart_layer), reporting the download to
    /// `progress` when given.
    ///
    /// # Errors
    /// As [`fetch_chart_layer`](Self::fetch_chart_layer).
    ///
    /// # Cancellation
    /// Dropping the future removes the temp file.
    pub async fn fetch_chart_layer_with_progress(
        &self,
        chart: &ChartRef,
        version: Option<&str>,
        temp_dir: &Path,
        progress: Option<&ProgressSink>,
    ) -> Result<FetchedChart> {
        let store = AnyStore::for_chart(self, chart, false).with_progress(progress.cloned());
        let resolved = resolve_in(&store, chart, version).await?;
        let file = download(&store, &resolved.chart.chart, temp_dir).await?;
        Ok(FetchedChart { file, resolved })
    }

    /// Like `helm pull oci://…/NAME [--version V] [-d DIR]`: streams the chart layer into a
    /// temp file in the destination while hashing, verifies it, and renames it to
    /// `<name>-<version>.tgz` (or `<name>@sha256-<hex>.tgz` when pulled by digest), 0644.
    ///
    /// # Deviation from Helm
    /// A tag in the reference that is not a version (`oci://r/c:latest`) is fetched as is;
    /// Helm fails with `improper constraint: latest`. The destination is created if missing.
    ///
    /// # Errors
    /// As [`fetch_chart_layer`](Self::fetch_chart_layer); a failed or truncated download
    /// leaves nothing in the destination.
    ///
    /// # Cancellation
    /// Dropping the future removes the temp file; the destination file appears only complete.
    pub async fn pull(&self, chart: &ChartRef, options: &PullOptions) -> Result<Pulled> {
        let dest = &options.destination;
        // A metadata operation, done in place: a trip to the blocking pool (a thread to
        // start and wake) costs more.
        std::fs::create_dir_all(dest).map_err(|e| Error::write(dest, e))?;
        let store = AnyStore::for_chart(self, chart, false).with_progress(options.progress.clone());
        let version = match (&options.version, options.devel) {
            (None, true) => Some(version::DEVEL_CONSTRAINT),
            (v, _) => v.as_deref(),
        };
        let resolved = resolve_in(&store, chart, version).await?;
        let name = match (resolved.reference.tag(), resolved.reference.digest()) {
            (Some(t), _) => format!("{}-{}.tgz", chart.name(), t.to_version()),
            (None, Some(d)) => format!("{}@sha256-{}.tgz", chart.name(), d.hex()),
            (None, None) => format!("{}.tgz", chart.name()),
        };
        let path = dest.join(&name);
        let tmp = download(&store, &resolved.chart.chart, dest).await?;
        let mut provenance_path = None;
        let prov_tmp = match (&resolved.chart.provenance, options.provenance) {
            (Some(p), true) => Some(download(&store, p, dest).await?),
            _ => None,
        };
        persist(tmp, &path, options.sync)?;
        if let Some(t) = prov_tmp {
            let p = dest.join(format!("{name}.prov"));
            persist(t, &p, options.sync)?;
            provenance_path = Some(p);
        }
        Ok(Pulled {
            path,
            provenance_path,
            resolved,
        })
    }
}

fn persist(tmp: NamedTempFile, path: &Path, sync: bool) -> Result<()> {
    if sync {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::write(path, e))?;
    }
    set_readable(tmp.path());
    tmp.persist(path).map_err(|e| Error::write(path, e.error))?;
    Ok(())
}

/// Downloads a blob into a verified temp file in `dir`.
pub(crate) async fn download(
    store: &AnyStore,
    d: &Descriptor,
    dir: &Path,
) -> Result<NamedTempFile> {
    let tmp = tempfile::Builder::new()
        .prefix(".helmoci-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| Error::write(dir, e))?;
    let std_file = tmp.reopen().map_err(|e| Error::write(tmp.path(), e))?;
    let mut file = BlobFile::for_size(std_file, d.size);
    store.pull_blob(d, &mut file).await?;
    drop(file);
    Ok(tmp)
}

/// Resolution shared by pull, show and copy.
pub(crate) async fn resolve_in(
    store: &AnyStore,
    chart: &ChartRef,
    version: Option<&str>,
) -> Result<Resolved> {
    let want_tag: Option<Tag> = match (chart.tag(), version) {
        (Some(t), None) => Some(t.clone()),
        (Some(t), Some(v)) if v == t.as_str() => Some(t.clone()),
        (Some(t), Some(v)) => {
            return Err(Error::VersionMismatch {
                version: v.to_owned(),
                tag: t.to_string(),
            })
        }
        (None, Some(v)) => Some(select_tag(store, v).await?),
        (None, None) if chart.digest().is_some() => None,
        (None, None) => Some(select_tag(store, "").await?),
    };
    let (reference, fetched) = match (chart.digest(), want_tag) {
        (Some(d), tag) => {
            if let Some(t) = &tag {
                if let Some(found) = store.resolve(t).await? {
                    if &found.digest != d {
                        return Err(Error::ReferenceDigestMismatch {
                            tag_digest: found.digest,
                            reference_digest: d.clone(),
                        });
                    }
                }
            }
            let m = store.fetch_manifest(d.as_str()).await?;
            (chart.with_digest(d.clone()), m)
        }
        (None, Some(t)) => {
            let m = store
                .fetch_manifest(t.as_str())
                .await
                .map_err(|e| not_found(e, &chart.with_tag(t.clone())))?;
            (chart.with_tag(t), m)
        }
        (None, None) => unreachable_none(chart)?,
    };
    let manifest = fetched.descriptor();
    let chart_manifest = decode_chart(store, &reference, fetched).await?;
    Ok(Resolved {
        reference,
        manifest,
        chart: chart_manifest,
    })
}

fn unreachable_none(chart: &ChartRef) -> Result<(ChartRef, FetchedManifest)> {
    Err(Error::InvalidReference {
        part: "reference",
        value: chart.to_string(),
        reason: "needs a tag, digest or version",
    })
}

fn not_found(e: Error, chart: &ChartRef) -> Error {
    if e.is_not_found() {
        Error::NotFound {
            reference: chart.short(),
        }
    } else {
        e
    }
}

async fn decode_chart(
    store: &AnyStore,
    reference: &ChartRef,
    fetched: FetchedManifest,
) -> Result<ChartManifest> {
    let what = reference.short();
    match decode_manifest(&what, Some(&fetched.media_type), &fetched.bytes)? {
        DecodedManifest::Chart(c) => Ok(c),
        DecodedManifest::Index(children) => {
            for child in children.iter().take(MAX_INDEX_CHILDREN) {
                let m = store.fetch_manifest(child.digest.as_str()).await?;
                if let Ok(DecodedManifest::Chart(c)) =
                    decode_manifest(&what, Some(&m.media_type), &m.bytes)
                {
                    return Ok(c);
                }
            }
            Err(Error::NotAChart {
                reference: what,
                kind: format!(
                    "an image index of {} manifests, none a chart",
                    children.len()
                ),
            })
        }
    }
}

/// Helm's tag pick (HELM-FACTS §5.3) for a requested version.
async fn select_tag(store: &AnyStore, version: &str) -> Result<Tag> {
    if version::is_exact_version(version) {
        return Tag::for_version(version);
    }
    let raw = store.tags().await.map_err(|e| {
        if e.is_not_found() {
            Error::NoTags {
                reference: store.describe(),
            }
        } else {
            e
        }
    })?;
    if raw.is_empty() {
        return Err(Error::NoTags {
            reference: store.describe(),
        });
    }
    let selection =
        version::select_tag(raw.iter().map(String::as_str), version, false).map_err(|source| {
            Error::InvalidVersion {
                version: version.to_owned(),
                source: Box::new(source),
            }
        })?;
    let skipped = describe_skipped(&selection.skipped);
    match selection.chosen {
        Some(c) => Tag::new(c.tag),
        None if selection.candidates.is_empty() => Err(Error::NoTags {
            reference: format!(
                "{} (tags skipped: {})",
                store.describe(),
                skipped.join(", ")
            ),
        }),
        None => Err(Error::NoMatchingVersion {
            reference: store.describe(),
            version: version.to_owned(),
            skipped,
        }),
    }
}

/// Tags Helm cannot select, with the reason (`v1.2.3 (v prefix)`).
fn describe_skipped(skipped: &[version::SkippedTag<'_>]) -> Vec<String> {
    skipped
        .iter()
        .map(|s| {
            let why = match &s.reason {
                version::SkipReason::VPrefix => {
                    "v prefix; Helm reads tags as strict SemVer".to_owned()
                }
                version::SkipReason::NotStrict { reason } => format!("not strict SemVer: {reason}"),
                version::SkipReason::NotVersion { reason } => format!("not a version: {reason}"),
                _ => "not selectable".to_owned(),
            };
            format!("{} ({why})", s.tag)
        })
        .collect()
}
