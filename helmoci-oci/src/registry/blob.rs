//! Blobs: existence checks, verified streaming downloads (resumed with `Range` after a
//! broken connection), monolithic and chunked uploads, and cross-repository mounts.

use std::path::Path;
use std::time::Instant;

use reqwest::header::{CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{Method, Response};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWrite, AsyncWriteExt};
use url::Url;

use super::client::{Body, Ctx, Req};
use super::RegistryClient;
use crate::error::{Error, Result};

/// Download buffer in front of the destination file (256 KiB).
const WRITE_BUFFER: usize = 256 * 1024;
use crate::manifest::Descriptor;
use crate::progress::Meter;
use crate::reference::Reference;
use helmoci_core::digest::Digest;

impl RegistryClient {
    pub(crate) fn ctx(reference: &Reference, push: bool) -> Ctx {
        Ctx {
            registry: reference.registry().to_owned(),
            endpoint: reference.endpoint().to_owned(),
            repository: reference.repository().to_owned(),
            push,
        }
    }

    /// Like `HEAD /v2/<repo>/blobs/<digest>`: whether the repository has the blob.
    ///
    /// # Errors
    /// [`Error::Registry`] for statuses other than 200 and 404, [`Error::Transport`].
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn blob_exists(&self, repository: &Reference, digest: &Digest) -> Result<bool> {
        self.blob_exists_scoped(repository, digest, false).await
    }

    /// [`blob_exists`](Self::blob_exists) asking for a push token when `push`.
    pub(crate) async fn blob_exists_scoped(
        &self,
        repository: &Reference,
        digest: &Digest,
        push: bool,
    ) -> Result<bool> {
        let ctx = Self::ctx(repository, push);
        let url = self
            .inner
            .url(&ctx, &format!("{}/blobs/{digest}", ctx.repository))?;
        let req = Req::new(Method::HEAD, url, digest.as_str());
        let resp = self.inner.send_expect(&ctx, &req, &[200, 404]).await?;
        Ok(resp.status().as_u16() == 200)
    }

    /// Downloads a blob into `out` (at its current position, which must be the start of an
    /// empty file or buffer), verifying size and digest while streaming. After a broken
    /// connection the download resumes with `Range` when the registry supports it.
    ///
    /// # Errors
    /// [`Error::DigestMismatch`], [`Error::SizeMismatch`], [`Error::Registry`],
    /// [`Error::Transport`]. On error, `out` holds partial data: discard it.
    ///
    /// # Cancellation
    /// Dropping the future stops the download; `out` holds partial data.
    pub async fn pull_blob<W>(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
        out: &mut W,
    ) -> Result<()>
    where
        W: AsyncWrite + AsyncSeekExt + Unpin + Send,
    {
        self.pull_blob_metered(repository, descriptor, out, None)
            .await
    }

    /// [`pull_blob`](Self::pull_blob), counting the received bytes into `progress`.
    pub(crate) async fn pull_blob_metered<W>(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
        out: &mut W,
        progress: Option<&Meter>,
    ) -> Result<()>
    where
        W: AsyncWrite + AsyncSeekExt + Unpin + Send,
    {
        let ctx = Self::ctx(repository, false);
        let what = repository.with_digest(descriptor.digest.clone()).short();
        let url = self.inner.url(
            &ctx,
            &format!("{}/blobs/{}", ctx.repository, descriptor.digest),
        )?;
        // Few large writes: each write of a `tokio::fs::File` is a round trip to the
        // blocking pool, and the body arrives in chunks of a few KiB.
        let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, out);
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        let start = Instant::now();
        let mut attempt = 0u32;
        loop {
            let mut req = Req::new(Method::GET, url.clone(), descriptor.digest.as_str());
            if written > 0 {
                req = req.header(RANGE, &format!("bytes={written}-"));
            }
            let resp = self.inner.send_expect(&ctx, &req, &[200, 206]).await?;
            if resp.status().as_u16() == 200 && written > 0 {
                // The registry ignored Range: start over.
                out.seek(std::io::SeekFrom::Start(0))
                    .await
                    .map_err(|e| Error::write(&what, e))?;
                hasher = Sha256::new();
                written = 0;
                if let Some(m) = progress {
                    m.restart(0);
                }
            }
            let copied = copy_body(
                resp,
                &mut out,
                &mut hasher,
                &mut written,
                descriptor,
                &what,
                progress,
            );
            match copied.await {
                Ok(()) => break,
                Err(CopyError::Fatal(e)) => return Err(e),
                Err(CopyError::Broken(source, method_url)) => {
                    let policy = &self.inner.retry;
                    if attempt >= policy.max_retries || start.elapsed() >= policy.max_total {
                        return Err(Error::Transport {
                            method: "GET".into(),
                            url: method_url,
                            source,
                        });
                    }
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
        out.flush().await.map_err(|e| Error::write(&what, e))?;
        let actual = Digest::from_sha256(hasher.finalize().into());
        crate::layout::check_blob(&what, descriptor, &actual, written)
    }

    /// Uploads the file at `path` as the blob `descriptor` (like ORAS: `POST` an upload,
    /// then one `PUT ?digest=`; above the client's chunk threshold, `PATCH` chunks first).
    /// The body streams from disk; the registry verifies the digest.
    ///
    /// # Errors
    /// [`Error::Registry`], [`Error::Transport`], [`Error::Protocol`] (bad `Location`).
    ///
    /// # Cancellation
    /// Dropping the future abandons the upload session; the registry discards it.
    pub async fn push_blob(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
        path: &Path,
    ) -> Result<()> {
        self.push_blob_metered(repository, descriptor, path, None)
            .await
    }

    /// [`push_blob`](Self::push_blob), counting the sent bytes into `progress`.
    pub(crate) async fn push_blob_metered(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
        path: &Path,
        progress: Option<&Meter>,
    ) -> Result<()> {
        let body = Body::File {
            path: path.to_owned(),
            offset: 0,
            len: descriptor.size,
        };
        self.push_blob_body(repository, descriptor, body, progress)
            .await
    }

    /// Uploads an in-memory blob (a config).
    pub(crate) async fn push_blob_bytes(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
        bytes: bytes::Bytes,
        progress: Option<&Meter>,
    ) -> Result<()> {
        self.push_blob_body(repository, descriptor, Body::Bytes(bytes), progress)
            .await
    }

    async fn push_blob_body(
        &self,
        repository: &Reference,
        descriptor: &Descriptor,
        body: Body,
        progress: Option<&Meter>,
    ) -> Result<()> {
        let ctx = Self::ctx(repository, true);
        let inner = &self.inner;
        let url = inner.url(&ctx, &format!("{}/blobs/uploads/", ctx.repository))?;
        let reference = descriptor.digest.as_str();
        let req = Req::new(Method::POST, url.clone(), reference);
        let resp = inner.send_expect(&ctx, &req, &[202]).await?;
        let mut location = location(&ctx, &resp)?;
        // In-memory blobs (config, provenance) are chunked too: some registries take no
        // body on the closing `PUT` at all.
        let chunked = descriptor.size > inner.chunk_threshold
            && matches!(body, Body::File { .. } | Body::Bytes(_));
        if chunked {
            let mut offset = 0u64;
            while offset < descriptor.size {
                let len = inner.chunk_size.min(descriptor.size - offset);
                let part = match &body {
                    Body::File { path, .. } => Body::File {
                        path: path.clone(),
                        offset,
                        len,
                    },
                    Body::Bytes(b) => {
                        Body::Bytes(b.slice(offset as usize..(offset + len) as usize))
                    }
                    Body::Empty => Body::Empty,
                };
                let mut req = Req::new(Method::PATCH, location.clone(), reference)
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_RANGE, &format!("{offset}-{}", offset + len - 1))
                    .body(part)
                    .progress(progress.map(|m| m.at(offset)));
                req.retry = false;
                let resp = inner.send_expect(&ctx, &req, &[202]).await?;
                location = self::location(&ctx, &resp)?;
                offset += len;
            }
        }
        location
            .query_pairs_mut()
            .append_pair("digest", descriptor.digest.as_str());
        let put_body = if chunked { Body::Empty } else { body };
        let req = Req::new(Method::PUT, location, reference)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(put_body)
            .progress(progress.filter(|_| !chunked).map(|m| m.at(0)));
        inner.send_expect(&ctx, &req, &[201, 202, 204]).await?;
        Ok(())
    }

    /// Asks the registry to mount `digest` from repository `from` (same registry) into
    /// `repository`. `Ok(false)` when the registry declined (then upload normally).
    ///
    /// # Errors
    /// [`Error::Transport`], [`Error::Registry`] for errors other than a decline.
    ///
    /// # Cancellation
    /// An upload session the registry opened instead of mounting is abandoned.
    pub async fn mount_blob(
        &self,
        repository: &Reference,
        digest: &Digest,
        from: &str,
    ) -> Result<bool> {
        let ctx = Self::ctx(repository, true);
        let mut url = self
            .inner
            .url(&ctx, &format!("{}/blobs/uploads/", ctx.repository))?;
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from);
        let req = Req::new(Method::POST, url, digest.as_str());
        let resp = self.inner.send_expect(&ctx, &req, &[201, 202]).await?;
        Ok(resp.status().as_u16() == 201)
    }
}

enum CopyError {
    Fatal(Error),
    Broken(reqwest::Error, String),
}

async fn copy_body<W: AsyncWrite + Unpin>(
    mut resp: Response,
    out: &mut W,
    hasher: &mut Sha256,
    written: &mut u64,
    want: &Descriptor,
    what: &str,
    progress: Option<&Meter>,
) -> std::result::Result<(), CopyError> {
    let url = resp.url().to_string();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let n = chunk.len() as u64;
                if *written + n > want.size {
                    return Err(CopyError::Fatal(Error::SizeMismatch {
                        reference: what.to_owned(),
                        digest: want.digest.clone(),
                        expected: want.size,
                        actual: *written + n,
                    }));
                }
                hasher.update(&chunk);
                out.write_all(&chunk)
                    .await
                    .map_err(|e| CopyError::Fatal(Error::write(what, e)))?;
                *written += n;
                if let Some(m) = progress {
                    m.advance(n);
                }
            }
            Ok(None) if *written < want.size => {
                // A body that ends early without a transport error: treat as truncated.
                return Err(CopyError::Fatal(Error::SizeMismatch {
                    reference: what.to_owned(),
                    digest: want.digest.clone(),
                    expected: want.size,
                    actual: *written,
                }));
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(CopyError::Broken(e, url)),
        }
    }
}

/// The upload `Location`, resolved against the registry when relative.
fn location(ctx: &Ctx, resp: &Response) -> Result<Url> {
    let bad = |reason: String| Error::Protocol {
        registry: ctx.registry.clone(),
        what: "blob upload".into(),
        reason,
    };
    let loc = resp
        .headers()
        .get(LOCATION)
        .ok_or_else(|| bad("no Location header".into()))?
        .to_str()
        .map_err(|_| bad("Location is not text".into()))?;
    resp.url()
        .join(loc)
        .map_err(|e| bad(format!("invalid Location {loc:?}: {e}")))
}
