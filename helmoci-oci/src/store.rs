//! The storage seam behind every operation: one trait, [`Store`], implemented by a registry
//! repository and by an OCI image layout, and [`AnyStore`] to pick one from a reference.

use std::future::Future;
use std::path::PathBuf;

use bytes::Bytes;
use helmoci_core::digest::Digest;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::blob_file::BlobFile;
use crate::error::{Error, Result};
use crate::layout::{check_blob, Layout};
use crate::manifest::Descriptor;
use crate::media_type;
use crate::progress::{Direction, Meter, MeteredRead, ProgressSink};
use crate::reference::{ChartRef, Reference, Tag};
use crate::registry::{FetchedManifest, RegistryClient};

/// Where a blob to store comes from.
#[derive(Debug, Clone)]
pub(crate) enum BlobSource {
    /// A file on disk, streamed.
    File(PathBuf),
    /// Small in-memory content (a config).
    Bytes(Bytes),
}

/// What push, pull and copy need from a place that holds one chart's versions.
pub(crate) trait Store: Send + Sync {
    /// The chart location without version, for messages.
    fn describe(&self) -> String;
    /// Whether the blob is present.
    fn has_blob(&self, d: &Descriptor) -> impl Future<Output = Result<bool>> + Send;
    /// Writes the blob into `out`, verified (partial data on error).
    fn pull_blob(
        &self,
        d: &Descriptor,
        out: &mut BlobFile,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Stores a blob.
    fn push_blob(
        &self,
        d: &Descriptor,
        src: &BlobSource,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A manifest by tag or digest (`None` when absent).
    fn fetch_manifest(
        &self,
        tag_or_digest: &str,
    ) -> impl Future<Output = Result<FetchedManifest>> + Send;
    /// What a tag points to, or `None`.
    fn resolve(&self, tag: &Tag) -> impl Future<Output = Result<Option<Descriptor>>> + Send;
    /// Stores a manifest, under `tag` when given (else by digest).
    fn push_manifest(
        &self,
        tag: Option<&Tag>,
        d: &Descriptor,
        bytes: &[u8],
    ) -> impl Future<Output = Result<()>> + Send;
    /// All tags, in storage order.
    fn tags(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// A registry repository.
pub(crate) struct RegistryStore {
    pub(crate) client: RegistryClient,
    pub(crate) repo: Reference,
    /// Ask for `pull,push` tokens from the first request on.
    pub(crate) push: bool,
    /// Where blob transfers are reported.
    pub(crate) progress: Option<ProgressSink>,
}

impl Store for RegistryStore {
    fn describe(&self) -> String {
        self.repo.short()
    }

    async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        self.client
            .blob_exists_scoped(&self.repo, &d.digest, self.push)
            .await
    }

    async fn pull_blob(&self, d: &Descriptor, out: &mut BlobFile) -> Result<()> {
        let meter = Meter::start(self.progress.as_ref(), Direction::Download, d, || {
            self.describe()
        });
        let m = meter.as_ref();
        self.client.pull_blob_metered(&self.repo, d, out, m).await?;
        finish(meter);
        Ok(())
    }

    async fn push_blob(&self, d: &Descriptor, src: &BlobSource) -> Result<()> {
        let meter = Meter::start(self.progress.as_ref(), Direction::Upload, d, || {
            self.describe()
        });
        let (c, r, m) = (&self.client, &self.repo, meter.as_ref());
        match src {
            BlobSource::File(p) => c.push_blob_metered(r, d, p, m).await?,
            BlobSource::Bytes(b) => c.push_blob_bytes(r, d, b.clone(), m).await?,
        }
        finish(meter);
        Ok(())
    }

    async fn fetch_manifest(&self, tag_or_digest: &str) -> Result<FetchedManifest> {
        let r = match tag_or_digest.parse::<Digest>() {
            Ok(d) => self.repo.with_digest(d),
            Err(_) => self.repo.with_tag(Tag::new(tag_or_digest)?),
        };
        self.client.fetch_manifest(&r).await
    }

    async fn resolve(&self, tag: &Tag) -> Result<Option<Descriptor>> {
        self.client
            .resolve_manifest_scoped(&self.repo.with_tag(tag.clone()), self.push)
            .await
    }

    async fn push_manifest(&self, tag: Option<&Tag>, d: &Descriptor, bytes: &[u8]) -> Result<()> {
        let r = match tag {
            Some(t) => self.repo.with_tag(t.clone()),
            None => self.repo.with_digest(d.digest.clone()),
        };
        self.client
            .push_manifest(&r, &d.media_type, bytes)
            .await
            .map(drop)
    }

    async fn tags(&self) -> Result<Vec<String>> {
        self.client.list_tags(&self.repo).await
    }
}

/// An OCI image layout holding one chart.
pub(crate) struct LayoutStore {
    pub(crate) layout: Layout,
    pub(crate) chart: ChartRef,
    /// Where blob transfers are reported.
    pub(crate) progress: Option<ProgressSink>,
}

async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::Background { what })?
}

impl Store for LayoutStore {
    fn describe(&self) -> String {
        self.chart.without_version().to_string()
    }

    async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        let (l, d) = (self.layout.clone(), d.clone());
        blocking("layout blob check", move || Ok(l.has_blob(&d))).await
    }

    async fn pull_blob(&self, d: &Descriptor, out: &mut BlobFile) -> Result<()> {
        let path = self.layout.blob_path(&d.digest);
        let what = self.chart.with_digest(d.digest.clone()).to_string();
        let f = tokio::fs::File::open(&path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound {
                    reference: what.clone(),
                }
            } else {
                Error::read(&path, e)
            }
        })?;
        let meter = Meter::start(self.progress.as_ref(), Direction::Download, d, || {
            self.describe()
        });
        let mut reader = f.take(d.size + 1);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| Error::read(&path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .await
                .map_err(|e| Error::write(&what, e))?;
            size += n as u64;
            if let Some(m) = &meter {
                m.advance(n as u64);
            }
        }
        out.flush().await.map_err(|e| Error::write(&what, e))?;
        check_blob(
            &what,
            d,
            &Digest::from_sha256(hasher.finalize().into()),
            size,
        )?;
        finish(meter);
        Ok(())
    }

    async fn push_blob(&self, d: &Descriptor, src: &BlobSource) -> Result<()> {
        let (l, d, src) = (self.layout.clone(), d.clone(), src.clone());
        let meter = Meter::start(self.progress.as_ref(), Direction::Upload, &d, || {
            self.describe()
        });
        blocking("layout blob write", move || {
            l.init()?;
            let inner: Box<dyn std::io::Read> = match src {
                BlobSource::File(p) => {
                    Box::new(std::fs::File::open(&p).map_err(|e| Error::read(&p, e))?)
                }
                BlobSource::Bytes(b) => Box::new(std::io::Cursor::new(b)),
            };
            // Large reads: one progress event per 256 KiB, not per 8 KiB `io::copy` buffer.
            let counted = MeteredRead {
                inner,
                meter: meter.as_ref(),
            };
            l.put_blob(
                &d,
                &mut std::io::BufReader::with_capacity(256 * 1024, counted),
            )?;
            finish(meter);
            Ok(())
        })
        .await
    }

    async fn fetch_manifest(&self, tag_or_digest: &str) -> Result<FetchedManifest> {
        let l = self.layout.clone();
        let wanted = tag_or_digest.to_owned();
        let what = self.chart.without_version().to_string();
        blocking("layout manifest read", move || {
            let entries = l.entries()?;
            let entry = match wanted.parse::<Digest>() {
                Ok(d) => entries
                    .iter()
                    .rev()
                    .find(|e| e.descriptor.digest == d)
                    .cloned(),
                Err(_) => entries
                    .iter()
                    .rev()
                    .find(|e| e.ref_name.as_deref() == Some(&wanted))
                    .cloned(),
            };
            let (digest, media) = match (entry, wanted.parse::<Digest>()) {
                (Some(e), _) => (e.descriptor.digest, e.descriptor.media_type),
                (None, Ok(d)) => (d, media_type::OCI_MANIFEST.to_owned()),
                (None, Err(_)) => {
                    return Err(Error::NotFound {
                        reference: format!("{what}:{wanted}"),
                    })
                }
            };
            let bytes = l.read_small_blob(&digest)?;
            Ok(FetchedManifest {
                bytes,
                media_type: media,
                digest,
            })
        })
        .await
    }

    async fn resolve(&self, tag: &Tag) -> Result<Option<Descriptor>> {
        let (l, t) = (self.layout.clone(), tag.as_str().to_owned());
        blocking("layout index read", move || l.resolve(&t)).await
    }

    async fn push_manifest(&self, tag: Option<&Tag>, d: &Descriptor, bytes: &[u8]) -> Result<()> {
        let (l, d, b) = (self.layout.clone(), d.clone(), bytes.to_vec());
        let t = tag.map(|t| t.as_str().to_owned());
        blocking("layout manifest write", move || {
            l.put_manifest(&d, &b, t.as_deref())
        })
        .await
    }

    async fn tags(&self) -> Result<Vec<String>> {
        let l = self.layout.clone();
        blocking("layout index read", move || l.tags()).await
    }
}

/// A registry repository or a layout, chosen from a [`ChartRef`].
pub(crate) enum AnyStore {
    Registry(RegistryStore),
    Layout(LayoutStore),
}

impl AnyStore {
    /// The store holding `chart`; `push` when it will be written to.
    pub(crate) fn for_chart(client: &RegistryClient, chart: &ChartRef, push: bool) -> AnyStore {
        match chart {
            ChartRef::Registry(r) => AnyStore::Registry(RegistryStore {
                client: client.clone(),
                repo: r.repository_only(),
                push,
                progress: None,
            }),
            ChartRef::Layout { dir, name, .. } => AnyStore::Layout(LayoutStore {
                layout: Layout::new(dir.join(name)),
                chart: chart.without_version(),
                progress: None,
            }),
        }
    }

    /// The store, reporting its blob transfers to `progress`.
    pub(crate) fn with_progress(mut self, progress: Option<ProgressSink>) -> AnyStore {
        match &mut self {
            AnyStore::Registry(s) => s.progress = progress,
            AnyStore::Layout(s) => s.progress = progress,
        }
        self
    }
}

/// Reports `Finished`.
fn finish(meter: Option<Meter>) {
    if let Some(m) = meter {
        m.finish();
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Registry($s) => $e,
            AnyStore::Layout($s) => $e,
        }
    };
}

impl Store for AnyStore {
    fn describe(&self) -> String {
        dispatch!(self, s => s.describe())
    }
    async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        dispatch!(self, s => s.has_blob(d).await)
    }
    async fn pull_blob(&self, d: &Descriptor, out: &mut BlobFile) -> Result<()> {
        dispatch!(self, s => s.pull_blob(d, out).await)
    }
    async fn push_blob(&self, d: &Descriptor, src: &BlobSource) -> Result<()> {
        dispatch!(self, s => s.push_blob(d, src).await)
    }
    async fn fetch_manifest(&self, tag_or_digest: &str) -> Result<FetchedManifest> {
        dispatch!(self, s => s.fetch_manifest(tag_or_digest).await)
    }
    async fn resolve(&self, tag: &Tag) -> Result<Option<Descriptor>> {
        dispatch!(self, s => s.resolve(tag).await)
    }
    async fn push_manifest(&self, tag: Option<&Tag>, d: &Descriptor, bytes: &[u8]) -> Result<()> {
        dispatch!(self, s => s.push_manifest(tag, d, bytes).await)
    }
    async fn tags(&self) -> Result<Vec<String>> {
        dispatch!(self, s => s.tags().await)
    }
}
