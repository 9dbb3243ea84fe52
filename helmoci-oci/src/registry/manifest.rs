//! Manifests on a registry: `GET`/`HEAD`/`PUT`/`DELETE` by tag or digest.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Method;

use super::client::{read_capped, Body, Req};
use super::RegistryClient;
use crate::error::{Error, RegistryErrorCode, Result};
use crate::manifest::{Descriptor, MAX_MANIFEST_SIZE};
use crate::media_type;
use crate::reference::Reference;
use helmoci_core::digest::Digest;

/// A manifest as fetched: its bytes, media type and digest (computed from the bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    /// The manifest bytes (at most 4 MiB).
    pub bytes: Vec<u8>,
    /// The `Content-Type` the registry sent (or the layout index recorded).
    pub media_type: String,
    /// The digest of `bytes`.
    pub digest: Digest,
}

impl FetchedManifest {
    /// The manifest's descriptor.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            &self.media_type,
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}

fn reference_part(reference: &Reference) -> Result<String> {
    reference.reference_part().ok_or(Error::InvalidReference {
        part: "reference",
        value: reference.to_string(),
        reason: "a tag or digest is needed here",
    })
}

impl RegistryClient {
    /// Like `GET /v2/<repo>/manifests/<tag|digest>` with Helm's `Accept` header; at most
    /// 4 MiB. When fetched by digest the bytes are verified against it.
    ///
    /// # Errors
    /// [`Error::Registry`] (404 for a missing tag), [`Error::TooLarge`],
    /// [`Error::DigestMismatch`], [`Error::Transport`].
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn fetch_manifest(&self, reference: &Reference) -> Result<FetchedManifest> {
        let ctx = Self::ctx(reference, false);
        let part = reference_part(reference)?;
        let url = self
            .inner
            .url(&ctx, &format!("{}/manifests/{part}", ctx.repository))?;
        let req = Req::new(Method::GET, url, &part).header(ACCEPT, media_type::MANIFEST_ACCEPT);
        let resp = self.inner.send_expect(&ctx, &req, &[200]).await?;
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
            .unwrap_or_default();
        let bytes = read_capped(resp, MAX_MANIFEST_SIZE)
            .await
            .map_err(|e| match e {
                Error::TooLarge { .. } => Error::TooLarge {
                    what: "manifest",
                    reference: reference.short(),
                    limit: MAX_MANIFEST_SIZE,
                },
                other => other,
            })?;
        let digest = Digest::sha256_of(&bytes);
        if let Some(expected) = reference.digest() {
            if expected != &digest {
                return Err(Error::DigestMismatch {
                    reference: reference.short(),
                    expected: expected.clone(),
                    actual: digest,
                });
            }
        }
        Ok(FetchedManifest {
            bytes,
            media_type: content_type,
            digest,
        })
    }

    /// Like `HEAD /v2/<repo>/manifests/<tag|digest>`: the manifest's descriptor, or `None`
    /// when it does not exist. Falls back to a `GET` when the registry sends no
    /// `Docker-Content-Digest`.
    ///
    /// # Errors
    /// [`Error::Registry`] for statuses other than 200 and 404, [`Error::Transport`].
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn resolve_manifest(&self, reference: &Reference) -> Result<Option<Descriptor>> {
        self.resolve_manifest_scoped(reference, false).await
    }

    /// [`resolve_manifest`](Self::resolve_manifest) asking for a push token when `push`.
    pub(crate) async fn resolve_manifest_scoped(
        &self,
        reference: &Reference,
        push: bool,
    ) -> Result<Option<Descriptor>> {
        let ctx = Self::ctx(reference, push);
        let part = reference_part(reference)?;
        let url = self
            .inner
            .url(&ctx, &format!("{}/manifests/{part}", ctx.repository))?;
        let req = Req::new(Method::HEAD, url, &part).header(ACCEPT, media_type::MANIFEST_ACCEPT);
        let resp = self.inner.send_expect(&ctx, &req, &[200, 404]).await?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let digest = header("docker-content-digest").and_then(|d| d.parse::<Digest>().ok());
        let size = header("content-length").and_then(|s| s.parse::<u64>().ok());
        let media = header("content-type")
            .map(|v| v.split(';').next().unwrap_or(&v).trim().to_owned())
            .unwrap_or_default();
        match (digest, size) {
            (Some(digest), Some(size)) if !media.is_empty() => {
                Ok(Some(Descriptor::new(&media, digest, size)))
            }
            _ => Ok(Some(self.fetch_manifest(reference).await?.descriptor())),
        }
    }

    /// Like `PUT /v2/<repo>/manifests/<tag|digest>`: stores a manifest (and sets the tag).
    /// Returns the digest of `bytes`.
    ///
    /// # Errors
    /// [`Error::Registry`] (e.g. `MANIFEST_BLOB_UNKNOWN`, `DENIED`), [`Error::Transport`].
    ///
    /// # Cancellation
    /// The manifest is either stored or not; nothing partial.
    pub async fn push_manifest(
        &self,
        reference: &Reference,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest> {
        let ctx = Self::ctx(reference, true);
        let part = reference_part(reference)?;
        let url = self
            .inner
            .url(&ctx, &format!("{}/manifests/{part}", ctx.repository))?;
        let req = Req::new(Method::PUT, url, &part)
            .header(CONTENT_TYPE, media_type)
            .body(Body::Bytes(bytes::Bytes::copy_from_slice(bytes)));
        let digest = Digest::sha256_of(bytes);
        // CNCF distribution's filesystem storage races when the same manifest or blob is
        // written concurrently (distribution/distribution#2073): a reader may see a
        // half-written link file and answer 400 DIGEST_INVALID although the bytes are
        // right. When the digest we claim is the bytes' own (or we claim none, for a tag),
        // that answer cannot be about our request: retry it like a 5xx.
        let ours = reference.digest().is_none_or(|d| *d == digest);
        let mut attempt = 0;
        loop {
            match self.inner.send_expect(&ctx, &req, &[200, 201, 202]).await {
                Ok(_) => return Ok(digest),
                Err(e)
                    if ours
                        && attempt < self.inner.retry.max_retries
                        && e.status() == Some(400)
                        && e.registry_code() == Some(&RegistryErrorCode::DigestInvalid) =>
                {
                    tokio::time::sleep(self.inner.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Like `DELETE /v2/<repo>/manifests/<digest>` (the registry must allow deletes).
    ///
    /// # Errors
    /// [`Error::Registry`] (405 `UNSUPPORTED` when deletes are disabled), [`Error::Transport`].
    ///
    /// # Cancellation
    /// The manifest is either deleted or not.
    pub async fn delete_manifest(&self, reference: &Reference) -> Result<()> {
        let ctx = Self::ctx(reference, true);
        let part = reference_part(reference)?;
        let url = self
            .inner
            .url(&ctx, &format!("{}/manifests/{part}", ctx.repository))?;
        let req = Req::new(Method::DELETE, url, &part);
        self.inner.send_expect(&ctx, &req, &[200, 202]).await?;
        Ok(())
    }
}
