//! `helm push`: a packaged chart to a registry namespace or an OCI image layout.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::future::try_join_all;
use helmoci_core::digest::{Digest, HashingWriter};
use helmoci_core::package::PackagedChart;

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
        let md = &chart.metadata;
        for (field, value) in [("name", &md.name), ("version", &md.version)] {
            if value.trim().is_empty() {
                return Err(Error::IncompleteChart {
                    path: chart.path.clone(),
                    field,
                });
            }
        }
        let tag = Tag::for_version(&md.version)?;
        let reference = target.chart(&md.name, Some(tag.clone()))?;
        let store =
            AnyStore::for_chart(self, &reference, true).with_progress(options.progress.clone());

        let config_json = md.to_config_json();
        let config = Descriptor::of_bytes(media_type::CHART_CONFIG, config_json.as_bytes());
        let chart_desc =
            Descriptor::new(media_type::CHART_CONTENT, chart.digest.clone(), chart.size);
        let prov_path = match &options.provenance {
            Some(p) => Some(p.clone()),
            None => {
                let mut p = chart.path.clone().into_os_string();
                p.push(".prov");
                let p = PathBuf::from(p);
                tokio::fs::try_exists(&p)
                    .await
                    .unwrap_or(false)
                    .then_some(p)
            }
        };
        let provenance = match &prov_path {
            Some(p) => Some(hash_file(p, media_type::CHART_PROVENANCE).await?),
            None => None,
        };
        let created = options.created.clone().unwrap_or_else(default_created);
        let manifest = ChartManifest {
            config: config.clone(),
            chart: chart_desc.clone(),
            provenance: provenance.clone(),
            annotations: chart_annotations(md, &created),
        };
        let manifest_json = manifest.to_json();
        let manifest_desc =
            Descriptor::of_bytes(media_type::OCI_MANIFEST, manifest_json.as_bytes());
        let pushed = |blobs_uploaded, unchanged| Pushed {
            reference: reference.clone(),
            manifest: manifest_desc.clone(),
            config: config.clone(),
            chart: chart_desc.clone(),
            provenance: provenance.clone(),
            blobs_uploaded,
            unchanged,
        };

        if options.if_tag_exists != IfTagExists::Overwrite {
            if let Some(existing) = store.resolve(&tag).await? {
                if existing.digest == manifest_desc.digest {
                    return Ok(pushed(0, true));
                }
                if options.if_tag_exists == IfTagExists::Fail {
                    return Err(Error::TagExists {
                        reference: reference.short(),
                        existing: existing.digest,
                        pushed: manifest_desc.digest,
                    });
                }
            }
        }

        let mut blobs = vec![
            (config.clone(), BlobSource::Bytes(Bytes::from(config_json))),
            (chart_desc.clone(), BlobSource::File(chart.path.clone())),
        ];
        if let (Some(d), Some(p)) = (&provenance, &prov_path) {
            blobs.push((d.clone(), BlobSource::File(p.clone())));
        }
        let uploaded = try_join_all(blobs.iter().map(|(d, src)| {
            let store = &store;
            async move {
                if store.has_blob(d).await? {
                    Ok::<_, Error>(0usize)
                } else {
                    store.push_blob(d, src).await?;
                    Ok(1)
                }
            }
        }))
        .await?
        .into_iter()
        .sum();
        store
            .push_manifest(Some(&tag), &manifest_desc, manifest_json.as_bytes())
            .await?;
        Ok(pushed(uploaded, false))
    }
}

/// Hashes a file (on a blocking thread) into a descriptor.
pub(crate) async fn hash_file(path: &Path, media_type: &str) -> Result<Descriptor> {
    let p = path.to_owned();
    let (digest, size): (Digest, u64) = tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&p).map_err(|e| Error::read(&p, e))?;
        let mut w = HashingWriter::new(std::io::sink());
        std::io::copy(&mut f, &mut w).map_err(|e| Error::read(&p, e))?;
        let (_, d, n) = w.finish();
        Ok::<_, Error>((d, n))
    })
    .await
    .map_err(|_| Error::Background { what: "hashing" })??;
    Ok(Descriptor::new(media_type, digest, size))
}
