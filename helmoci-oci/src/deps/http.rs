//! Classic chart repositories over HTTP(S): `index.yaml` and archive downloads, as Helm's
//! `HTTPGetter` does them (Basic credentials only for the repository's own
//! scheme+host:port unless `pass_credentials_all`; TLS options from the
//! `repositories.yaml` entry), with retries, size caps and streaming to disk.

use std::path::Path;

use helmoci_core::digest::Digest;
use helmoci_core::repo::RepositoryEntry;
use reqwest::header::{ACCEPT, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

use crate::blob_file::BlobFile;
use crate::error::{Error, Result};
use crate::registry::{RegistryClient, RetryPolicy};

/// What Helm's downloader sends as `Accept` for chart archives.
pub(crate) const ARCHIVE_ACCEPT: &str = "application/gzip,application/octet-stream";

/// One chart repository: its HTTP client and credentials.
pub(crate) struct HttpRepo {
    http: reqwest::Client,
    url: String,
    basic: Option<(String, String)>,
    pass_credentials_all: bool,
    retry: RetryPolicy,
}

impl HttpRepo {
    /// The repository at `url`; `entry` (from `repositories.yaml`) brings credentials and
    /// TLS files. Without TLS options the registry client's HTTP client (and its
    /// connection pool) is reused; with them one is built the same way.
    pub(crate) fn new(
        client: &RegistryClient,
        url: &str,
        entry: Option<&RepositoryEntry>,
    ) -> Result<HttpRepo> {
        let inner = &client.inner;
        let mut http = inner.http.clone();
        let mut basic = None;
        let mut pass_credentials_all = false;
        if let Some(e) = entry {
            if !e.ca_file.is_empty()
                || !e.cert_file.is_empty()
                || !e.key_file.is_empty()
                || e.insecure_skip_tls_verify
            {
                let mut b = RegistryClient::builder()
                    .danger_accept_invalid_certs(e.insecure_skip_tls_verify)
                    .retry(inner.retry.clone());
                if !e.ca_file.is_empty() {
                    b = b.add_root_certificate_file(&e.ca_file);
                }
                if !e.cert_file.is_empty() && !e.key_file.is_empty() {
                    let cert =
                        std::fs::read(&e.cert_file).map_err(|x| Error::read(&e.cert_file, x))?;
                    let key =
                        std::fs::read(&e.key_file).map_err(|x| Error::read(&e.key_file, x))?;
                    b = b.client_certificate_pem(&cert, &key);
                }
                http = b.build()?.inner.http.clone();
            }
            if !e.username.is_empty() && !e.password.is_empty() {
                basic = Some((e.username.clone(), e.password.clone()));
            }
            pass_credentials_all = e.pass_credentials_all;
        }
        Ok(HttpRepo {
            http,
            url: url.to_owned(),
            basic,
            pass_credentials_all,
            retry: inner.retry.clone(),
        })
    }

    /// Whether Basic credentials may go to `target` (Helm: same scheme and host:port as
    /// the repository URL, or `pass_credentials_all`).
    fn may_send_credentials(&self, target: &Url) -> bool {
        if self.pass_credentials_all {
            return true;
        }
        match Url::parse(&self.url) {
            Ok(repo) => {
                repo.scheme() == target.scheme()
                    && repo.host_str() == target.host_str()
                    && repo.port_or_known_default() == target.port_or_known_default()
            }
            Err(_) => false,
        }
    }

    /// GET with retries on connection errors, 408, 429 and 5xx; a 200 response.
    async fn get(&self, url: &str, accept: Option<&str>) -> Result<Response> {
        match self.send(url, accept).await? {
            Ok(resp) => Ok(resp),
            Err((status, shown)) => Err(Error::HttpStatus {
                url: shown,
                status: status.to_string(),
            }),
        }
    }

    /// GET with retries on connection errors, 408, 429 and 5xx: a 200 response, or the
    /// final other status with the URL as shown in messages.
    async fn send(
        &self,
        url: &str,
        accept: Option<&str>,
    ) -> Result<std::result::Result<Response, (StatusCode, String)>> {
        let parsed = Url::parse(url).map_err(|e| Error::Protocol {
            registry: self.url.clone(),
            what: "chart repository URL".into(),
            reason: format!("{url:?}: {e}"),
        })?;
        let shown = redacted(&parsed);
        let mut attempt = 0u32;
        loop {
            let mut rb = self.http.get(parsed.clone());
            if let Some(a) = accept {
                rb = rb.header(ACCEPT, a);
            }
            if let Some((u, p)) = &self.basic {
                if self.may_send_credentials(&parsed) {
                    rb = rb.basic_auth(u, Some(p));
                }
            }
            let can_retry = attempt < self.retry.max_retries;
            match rb.send().await {
                Ok(resp) if resp.status() == StatusCode::OK => return Ok(Ok(resp)),
                Ok(resp) if can_retry && retryable(resp.status()) => {
                    let wait = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(std::time::Duration::from_secs)
                        .filter(|d| *d <= self.retry.max_retry_after)
                        .unwrap_or_else(|| self.retry.backoff(attempt));
                    tokio::time::sleep(wait).await;
                }
                Ok(resp) => return Ok(Err((resp.status(), shown))),
                Err(e) if can_retry && (e.is_connect() || e.is_timeout() || e.is_request()) => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                }
                Err(source) => return Err(Error::HttpTransport { url: shown, source }),
            }
            attempt += 1;
        }
    }

    /// The repository's `index.yaml` (Helm resolves `index.yaml` against the repository
    /// URL with a trailing `/`, keeping its query), at most `limit` bytes.
    pub(crate) async fn fetch_index(&self, limit: u64) -> Result<Vec<u8>> {
        let url =
            helmoci_core::index::resolve_reference_url(&self.url, "index.yaml").map_err(|e| {
                Error::Protocol {
                    registry: self.url.clone(),
                    what: "index URL".into(),
                    reason: e.to_string(),
                }
            })?;
        let mut attempt = 0u32;
        loop {
            let resp = self.get(&url, None).await?;
            match read_capped(resp, limit, &url).await {
                Err(Error::HttpTransport { .. }) if attempt < self.retry.max_retries => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A small file at `url` (a `.prov`), at most `limit` bytes, with the same credentials
    /// and TLS rules as the archives; `Ok(None)` when the server answers 404 or 410 (Helm:
    /// the chart is not signed).
    #[cfg(feature = "provenance")]
    pub(crate) async fn fetch_optional(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let mut attempt = 0u32;
        loop {
            let resp = match self.send(url, None).await? {
                Ok(resp) => resp,
                Err((StatusCode::NOT_FOUND | StatusCode::GONE, _)) => return Ok(None),
                Err((status, shown)) => {
                    return Err(Error::HttpStatus {
                        url: shown,
                        status: status.to_string(),
                    })
                }
            };
            match read_capped(resp, limit, url).await {
                Err(Error::HttpTransport { .. }) if attempt < self.retry.max_retries => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other.map(Some),
            }
        }
    }

    /// Streams the archive at `url` into `dest` (created or truncated), hashing it; at
    /// most `limit` bytes. A broken transfer is retried from the start.
    pub(crate) async fn download(&self, url: &str, dest: &Path, limit: u64) -> Result<Digest> {
        let mut attempt = 0u32;
        loop {
            let resp = self.get(url, Some(ARCHIVE_ACCEPT)).await?;
            match stream_to(resp, dest, limit, url).await {
                Err(Error::HttpTransport { .. }) if attempt < self.retry.max_retries => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429)
        || (status.is_server_error() && !matches!(status.as_u16(), 501 | 505))
}

/// The URL without user info, for messages.
pub(crate) fn redacted(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

fn too_large(url: &str, limit: u64) -> Error {
    Error::TooLarge {
        what: "download",
        reference: url.to_owned(),
        limit,
    }
}

async fn read_capped(mut resp: Response, limit: u64, url: &str) -> Result<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large(url, limit));
    }
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if out.len() as u64 + c.len() as u64 > limit {
                    return Err(too_large(url, limit));
                }
                out.extend_from_slice(&c);
            }
            Ok(None) => return Ok(out),
            Err(source) => {
                return Err(Error::HttpTransport {
                    url: url.to_owned(),
                    source,
                })
            }
        }
    }
}

async fn stream_to(mut resp: Response, dest: &Path, limit: u64, url: &str) -> Result<Digest> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large(url, limit));
    }
    // Created in place (a metadata operation); written in place too when the archive is
    // announced small (see `BlobFile`).
    let file = std::fs::File::create(dest).map_err(|e| Error::write(dest, e))?;
    let mut file = BlobFile::for_size(file, resp.content_length().unwrap_or(u64::MAX));
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                size += c.len() as u64;
                if size > limit {
                    return Err(too_large(url, limit));
                }
                hasher.update(&c);
                file.write_all(&c)
                    .await
                    .map_err(|e| Error::write(dest, e))?;
            }
            Ok(None) => break,
            Err(source) => {
                return Err(Error::HttpTransport {
                    url: url.to_owned(),
                    source,
                })
            }
        }
    }
    file.flush().await.map_err(|e| Error::write(dest, e))?;
    Ok(Digest::from_sha256(hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_on_the_repository_origin() {
        let client = RegistryClient::builder().build().unwrap();
        let entry = RepositoryEntry {
            username: "u".into(),
            password: "p".into(),
            ..RepositoryEntry::default()
        };
        let repo = HttpRepo::new(&client, "https://charts.example.com/x", Some(&entry)).unwrap();
        let ok = |u: &str| repo.may_send_credentials(&Url::parse(u).unwrap());
        assert!(ok("https://charts.example.com/x/a-1.0.0.tgz"));
        assert!(ok("https://charts.example.com:443/other"));
        assert!(!ok("http://charts.example.com/x/a.tgz"));
        assert!(!ok("https://cdn.example.com/a.tgz"));
        assert!(!ok("https://charts.example.com:8443/a.tgz"));
    }
}
