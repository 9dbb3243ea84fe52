//! `helm push`: a packaged chart to a registry namespace or an OCI image layout.

use std::future::Future;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::future::Either;
use helmoci_core::digest::{Digest, HashingWriter};
use helmoci_core::load::LoadOptions;
use helmoci_core::metadata::ChartMetadata;
use helmoci_core::package::{peek_metadata, PackagedChart};

use crate::blob_file::is_small_file;
use crate::error::{Error, Result};
use crate::manifest::{chart_annotations, default_created, ChartManifest, Descriptor};
use crate::media_type;
use crate::progress::ProgressSink;
use crate::reference::{ChartRef, Tag, Target};
use crate::registry::RegistryClient;
use crate::store::{AnyStore, BlobSource, Store};

/// What to do when the tag already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IfTagExists {
    /// Point the tag at the new manifest (Helm's behaviour). The default.
    #[default]
    Overwrite,
    /// Fail with [`Error::TagExists`] when the tag names other content; succeed without
    /// writing when it names the identical manifest (for registries with immutable tags).
    Fail,
    /// Do nothing when the tag names the identical manifest; otherwise overwrite.
    SkipIfIdentical,
}

/// Options of [`RegistryClient::push`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PushOptions {
    /// What to do when the tag exists. Default [`IfTagExists::Overwrite`].
    pub if_tag_exists: IfTagExists,
    /// The `org.opencontainers.image.created` value. Default: `SOURCE_DATE_EPOCH` when set,
    /// else now, in UTC with second precision (`2023-11-14T22:13:20Z`).
    ///
    /// # Deviation from Helm
    /// Helm's CLI uses the archive's mtime in the local zone; we are reproducible instead.
    pub created: Option<String>,
    /// The provenance file to push. Default: `<archive>.prov` when it exists.
    pub provenance: Option<PathBuf>,
    /// Where the blob uploads report their bytes ([`progress`](crate::progress)).
    /// Default `None`.
    pub progress: Option<ProgressSink>,
}

impl PushOptions {
    /// Options with `if_tag_exists` set.
    pub fn if_tag_exists(mut self, mode: IfTagExists) -> Self {
        self.if_tag_exists = mode;
        self
    }

    /// Options with `created` set.
    pub fn created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    /// Options reporting each blob upload to `progress` (a
    /// [`Progress`](crate::progress::Progress) or closure, or a [`ProgressSink`]).
    pub fn progress(mut self, progress: impl Into<ProgressSink>) -> Self {
        self.progress = Some(progress.into());
        self
    }
}

/// What a push wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pushed {
    /// `<target>/<name>:<tag>`.
    pub reference: ChartRef,
    /// The manifest.
    pub manifest: Descriptor,
    /// The config blob.
    pub config: Descriptor,
    /// The chart layer.
    pub chart: Descriptor,
    /// The provenance layer, if one was pushed.
    pub provenance: Option<Descriptor>,
    /// How many blobs were uploaded (the others were already there).
    pub blobs_uploaded: usize,
    /// True when the tag already named this exact manifest and nothing was written.
    pub unchanged: bool,
}

impl RegistryClient {
    /// Like `helm push CHART.tgz oci://REG/NS` (or `oci-layout://DIR`): uploads the config,
    /// chart and provenance blobs that are missing, streamed from disk, then writes the
    /// manifest under the tag `VERSION` (`+` written `_`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use helmoci_core::{digest::Digest, metadata::ChartMetadata, package::PackagedChart};
    /// use helmoci_oci::{push::PushOptions, reference::Target, RegistryClient};
    /// let dir = tempfile::tempdir()?;
    /// let tgz = dir.path().join("demo-0.1.0.tgz");
    /// std::fs::write(&tgz, b"not really a tgz")?;
    /// let chart = PackagedChart {
    ///     path: tgz,
    ///     digest: Digest::sha256_of(b"not really a tgz"),
    ///     size: 16,
    ///     metadata: ChartMetadata { name: "demo".into(), version: "0.1.0".into(), ..Default::default() },
    /// };
    /// let target: Target = format!("oci-layout://{}", dir.path().join("charts").display()).parse()?;
    /// let client = RegistryClient::builder().build()?;
    /// let pushed = client.push(&chart, &target, &PushOptions::default().created("2024-01-01T00:00:00Z")).await?;
    /// assert_eq!(pushed.reference.tag().unwrap().as_str(), "0.1.0");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::IncompleteChart`] without name or version, [`Error::TagExists`] with
    /// [`IfTagExists::Fail`], registry, layout and I/O errors.
    ///
    /// # Cancellation
    /// Dropping the future stops the upload. Blobs already sent stay (content-addressed,
    /// harmless); the tag is written last, so it never names a partial push.
    pub async fn push(
        &self,
        chart: &PackagedChart,
        target: &Target,
        options: &PushOptions,
    ) -> Result<Pushed> {
        let layer = Descriptor::new(media_type::CHART_CONTENT, chart.digest.clone(), chart.size);
        let checked = std::future::ready(Ok((chart.metadata.clone(), chart.digest.clone())));
        self.push_checked(
            &chart.path,
            &chart.metadata,
            target,
            options,
            std::future::ready(Ok(layer)),
            checked,
        )
        .await
    }

    /// Like `helm push CHART.tgz …` for an archive on disk, without a
    /// [`PackagedChart`] at hand: the fastest way to push an existing `.tgz`.
    ///
    /// Only the archive's `Chart.yaml` is read before the upload starts (to name the
    /// repository and tag); the whole archive is checked with the loader's rules
    /// ([`PackagedChart::from_archive`]) on another thread while the chart blob uploads,
    /// and the tag is written only if the check passes and the file did not change
    /// meanwhile.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # let src = dir.path().join("demo");
    /// # std::fs::create_dir_all(&src)?;
    /// # std::fs::write(src.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n")?;
    /// # let opts = helmoci_core::package::PackageOptions { destination: dir.path().into(), ..Default::default() };
    /// # let tgz = helmoci_core::package::package(&src, &opts)?.path;
    /// use helmoci_oci::{push::PushOptions, reference::Target, RegistryClient};
    /// let target: Target = format!("oci-layout://{}", dir.path().join("charts").display()).parse()?;
    /// let client = RegistryClient::builder().build()?;
    /// let pushed = client.push_archive(&tgz, &target, &PushOptions::default()).await?;
    /// assert_eq!(pushed.reference.to_string(), format!("{target}/demo:0.1.0"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`push`](Self::push); [`Error::InvalidArchive`] when the archive does not load
    /// (nothing tagged), [`Error::ArchiveChanged`] when it changed during the push.
    ///
    /// # Cancellation
    /// As [`push`](Self::push).
    pub async fn push_archive(
        &self,
        path: &Path,
        target: &Target,
        options: &PushOptions,
    ) -> Result<Pushed> {
        let invalid = |source| Error::InvalidArchive {
            path: path.to_owned(),
            source: Box::new(source),
        };
        // A small archive is checked in place, in one read that also hashes it: less than
        // starting and waking blocking threads, and nothing to peek at or hash separately.
        if is_small_file(path) {
            let full =
                PackagedChart::from_archive(path, &LoadOptions::default()).map_err(invalid)?;
            let layer = Descriptor::new(media_type::CHART_CONTENT, full.digest.clone(), full.size);
            let checked = std::future::ready(Ok((full.metadata.clone(), full.digest)));
            return self
                .push_checked(
                    path,
                    &full.metadata,
                    target,
                    options,
                    std::future::ready(Ok(layer)),
                    checked,
                )
                .await;
        }
        // The whole check starts first, on its own thread: it is the longest part, and
        // only the manifest waits for it. The layer's hash and the peek at Chart.yaml
        // run beside it.
        let p = path.to_owned();
        let full = tokio::task::spawn_blocking(move || {
            PackagedChart::from_archive(&p, &LoadOptions::default())
        });
        let p = path.to_owned();
        let layer =
            tokio::task::spawn_blocking(move || hash_file_blocking(&p, media_type::CHART_CONTENT));
        let p = path.to_owned();
        let head = tokio::task::spawn_blocking(move || peek_metadata(&p, &LoadOptions::default()))
            .await
            .map_err(|_| Error::Background {
                what: "reading Chart.yaml",
            })?
            .map_err(invalid)?;
        let checked = async move {
            let full = full
                .await
                .map_err(|_| Error::Background {
                    what: "checking the archive",
                })?
                .map_err(invalid)?;
            Ok((full.metadata, full.digest))
        };
        let layer = async move {
            layer
                .await
                .map_err(|_| Error::Background { what: "hashing" })?
        };
        self.push_checked(path, &head, target, options, layer, checked)
            .await
    }

    /// The push itself. `head` names the repository and tag; `layer` hashes the archive;
    /// `checked` yields the archive's complete metadata and digest. With
    /// [`IfTagExists::Overwrite`] the chart blob uploads as soon as `layer` is known and
    /// the config as soon as `checked` is; the manifest is written only after both agree.
    async fn push_checked(
        &self,
        path: &Path,
        head: &ChartMetadata,
        target: &Target,
        options: &PushOptions,
        layer: impl Future<Output = Result<Descriptor>>,
        checked: impl Future<Output = Result<(ChartMetadata, Digest)>>,
    ) -> Result<Pushed> {
        for (field, value) in [("name", &head.name), ("version", &head.version)] {
            if value.trim().is_empty() {
                return Err(Error::IncompleteChart {
                    path: path.to_owned(),
                    field,
                });
            }
        }
        let tag = Tag::for_version(&head.version)?;
        let reference = target.chart(&head.name, Some(tag.clone()))?;
        let store =
            AnyStore::for_chart(self, &reference, true).with_progress(options.progress.clone());
        let prov_path = match &options.provenance {
            Some(p) => Some(p.clone()),
            None => {
                let mut p = path.to_owned().into_os_string();
                p.push(".prov");
                let p = PathBuf::from(p);
                // A metadata lookup, done in place.
                p.try_exists().unwrap_or(false).then_some(p)
            }
        };
        let provenance = match &prov_path {
            Some(p) => Some(hash_file(p, media_type::CHART_PROVENANCE).await?),
            None => None,
        };
        let created = options.created.clone().unwrap_or_else(default_created);
        let finish = |md: ChartMetadata, digest: Digest, chart: &Descriptor| {
            if md.name != head.name || md.version != head.version || digest != chart.digest {
                return Err(Error::ArchiveChanged {
                    path: path.to_owned(),
                });
            }
            let config_json = md.to_config_json();
            let config = Descriptor::of_bytes(media_type::CHART_CONFIG, config_json.as_bytes());
            let manifest = ChartManifest {
                config: config.clone(),
                chart: chart.clone(),
                provenance: provenance.clone(),
                annotations: chart_annotations(&md, &created),
            };
            Ok((config_json, config, manifest.to_json()))
        };
        let pushed = |config: Descriptor,
                      chart: Descriptor,
                      manifest_json: &str,
                      uploaded,
                      unchanged| Pushed {
            reference: reference.clone(),
            manifest: Descriptor::of_bytes(media_type::OCI_MANIFEST, manifest_json.as_bytes()),
            config,
            chart,
            provenance: provenance.clone(),
            blobs_uploaded: uploaded,
            unchanged,
        };
        let upload = |d: Descriptor, src: BlobSource| {
            let store = &store;
            async move {
                if store.has_blob(&d).await? {
                    Ok::<_, Error>(0usize)
                } else {
                    store.push_blob(&d, &src).await?;
                    Ok(1)
                }
            }
        };

        // Unless the tag may be overwritten, the manifest must be known (to compare it
        // with the tag's) before anything is uploaded.
        let (layer, checked) = if options.if_tag_exists == IfTagExists::Overwrite {
            (Either::Left(layer), Either::Left(checked))
        } else {
            let (chart, (md, digest)) = tokio::try_join!(layer, checked)?;
            let (_, config, manifest_json) = finish(md.clone(), digest.clone(), &chart)?;
            let manifest = Descriptor::of_bytes(media_type::OCI_MANIFEST, manifest_json.as_bytes());
            if let Some(existing) = store.resolve(&tag).await? {
                if existing.digest == manifest.digest {
                    return Ok(pushed(config, chart, &manifest_json, 0, true));
                }
                if options.if_tag_exists == IfTagExists::Fail {
                    return Err(Error::TagExists {
                        reference: reference.short(),
                        existing: existing.digest,
                        pushed: manifest.digest,
                    });
                }
            }
            (
                Either::Right(std::future::ready(Ok(chart))),
                Either::Right(std::future::ready(Ok((md, digest)))),
            )
        };
        let chart_blob = async {
            let chart = layer.await?;
            let n = upload(chart.clone(), BlobSource::File(path.to_owned())).await?;
            Ok::<_, Error>((chart, n))
        };
        // The config from `head` uploads while the archive is checked: it is the one the
        // manifest needs unless the whole read changes the metadata (a requirements.yaml
        // further in), and then the right one follows (the first stays unreferenced).
        let config_blob = async {
            let guess_json = head.to_config_json();
            let guess = Descriptor::of_bytes(media_type::CHART_CONFIG, guess_json.as_bytes());
            let guessed = upload(guess.clone(), BlobSource::Bytes(Bytes::from(guess_json)));
            let (n, (md, digest)) = tokio::try_join!(guessed, checked)?;
            let config_json = md.to_config_json();
            let config = Descriptor::of_bytes(media_type::CHART_CONFIG, config_json.as_bytes());
            let n = if config == guess {
                n
            } else {
                upload(config, BlobSource::Bytes(Bytes::from(config_json))).await?
            };
            Ok::<_, Error>((md, digest, n))
        };
        let prov_blob = async {
            match (&provenance, &prov_path) {
                (Some(d), Some(p)) => upload(d.clone(), BlobSource::File(p.clone())).await,
                _ => Ok(0),
            }
        };
        let ((chart, n1), (md, digest, n2), n3) =
            tokio::try_join!(chart_blob, config_blob, prov_blob)?;
        let (_, config, manifest_json) = finish(md, digest, &chart)?;
        let manifest = Descriptor::of_bytes(media_type::OCI_MANIFEST, manifest_json.as_bytes());
        store
            .push_manifest(Some(&tag), &manifest, manifest_json.as_bytes())
            .await?;
        Ok(pushed(config, chart, &manifest_json, n1 + n2 + n3, false))
    }
}

/// Hashes a file (on a blocking thread) into a descriptor.
pub(crate) async fn hash_file(path: &Path, media_type: &'static str) -> Result<Descriptor> {
    let p = path.to_owned();
    tokio::task::spawn_blocking(move || hash_file_blocking(&p, media_type))
        .await
        .map_err(|_| Error::Background { what: "hashing" })?
}

fn hash_file_blocking(path: &Path, media_type: &str) -> Result<Descriptor> {
    let f = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    // 256 KiB reads: an eighth of the system calls of io::copy's 8 KiB buffer.
    let mut f = std::io::BufReader::with_capacity(256 * 1024, f);
    let mut w = HashingWriter::new(std::io::sink());
    std::io::copy(&mut f, &mut w).map_err(|e| Error::read(path, e))?;
    let (_, digest, size) = w.finish();
    Ok(Descriptor::new(media_type, digest, size))
}
