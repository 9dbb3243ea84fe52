//! Copying a chart between targets: registry → registry, registry ↔ `oci-layout://`.

use crate::error::Result;
use crate::manifest::Descriptor;
use crate::progress::ProgressSink;
use crate::pull::{download, resolve_in, Resolved};
use crate::reference::{ChartRef, Tag, Target};
use crate::registry::RegistryClient;
use crate::store::{AnyStore, BlobSource, Store};

/// Options of [`RegistryClient::copy`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// The version to copy when the source has no tag or digest (as in [`PullOptions`](crate::pull::PullOptions)).
    pub version: Option<String>,
    /// Where the blob transfers report their bytes ([`progress`](crate::progress)): each
    /// blob that is not mounted is a download into a temp file, then an upload. Default
    /// `None`.
    pub progress: Option<ProgressSink>,
}

impl CopyOptions {
    /// Options reporting each blob transfer to `progress` (a
    /// [`Progress`](crate::progress::Progress) or closure, or a [`ProgressSink`]).
    pub fn progress(mut self, progress: impl Into<ProgressSink>) -> Self {
        self.progress = Some(progress.into());
        self
    }
}

/// What a copy wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Copied {
    /// Where the chart now is (`<target>/<name>:<tag>`, or `@digest` when untagged).
    pub reference: ChartRef,
    /// The source, resolved.
    pub source: Resolved,
    /// How many blobs were transferred or mounted (the others were already there).
    pub blobs_copied: usize,
}

impl RegistryClient {
    /// Copies a chart, byte for byte (same manifest digest), from `from` to the chart of the
    /// same name in `to`, under the same tag (or the source's version annotation when the
    /// source was given by digest). Blobs the destination has are skipped; within one
    /// registry they are mounted across repositories; the others pass through a verified
    /// temp file, never whole in memory.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve) and [`push`](Self::push).
    ///
    /// # Cancellation
    /// Dropping the future stops the copy; blobs already copied stay, the tag is written last.
    pub async fn copy(
        &self,
        from: &ChartRef,
        to: &Target,
        options: &CopyOptions,
    ) -> Result<Copied> {
        let src = AnyStore::for_chart(self, from, false).with_progress(options.progress.clone());
        let source = resolve_in(&src, from, options.version.as_deref()).await?;
        let tag = match source.reference.tag() {
            Some(t) => Some(t.clone()),
            None => source
                .chart
                .version()
                .and_then(|v| Tag::for_version(v).ok()),
        };
        let reference = match &tag {
            Some(t) => to.chart(from.name(), Some(t.clone()))?,
            None => to
                .chart(from.name(), None)?
                .with_digest(source.manifest.digest.clone()),
        };
        let dst =
            AnyStore::for_chart(self, &reference, true).with_progress(options.progress.clone());
        let blobs: Vec<&Descriptor> = std::iter::once(&source.chart.config)
            .chain(std::iter::once(&source.chart.chart))
            .chain(source.chart.provenance.as_ref())
            .collect();
        let tmp_dir = std::env::temp_dir();
        let mut blobs_copied = 0;
        for d in blobs {
            if dst.has_blob(d).await? {
                continue;
            }
            if let (AnyStore::Registry(s), AnyStore::Registry(t)) = (&src, &dst) {
                // Same registry: ask it to mount instead of moving the bytes (best effort).
                if s.repo.registry() == t.repo.registry()
                    && matches!(
                        self.mount_blob(&t.repo, &d.digest, s.repo.repository())
                            .await,
                        Ok(true)
                    )
                {
                    blobs_copied += 1;
                    continue;
                }
            }
            let tmp = download(&src, d, &tmp_dir).await?;
            dst.push_blob(d, &BlobSource::File(tmp.path().to_owned()))
                .await?;
            blobs_copied += 1;
        }
        let manifest = src.fetch_manifest(source.manifest.digest.as_str()).await?;
        dst.push_manifest(tag.as_ref(), &manifest.descriptor(), &manifest.bytes)
            .await?;
        Ok(Copied {
            reference,
            source,
            blobs_copied,
        })
    }
}
