//! The registry client: its builder, and the one request path every call goes through
//! (authentication, retries, error mapping).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use url::Url;

use super::auth::AuthCache;
use super::challenge::{self, Challenge};
use super::retry::{self, RetryPolicy};
use super::tls::{self, TlsOptions};
use crate::blob_file::INLINE_READ_MAX;
use crate::credential::{Anonymous, CredentialSource};
use crate::error::{Error, RegistryErrorCode, RegistryFailure, Result};
use crate::progress::{metered, Meter};

/// Blobs larger than this are uploaded in chunks by default (64 MiB).
pub const DEFAULT_CHUNK_THRESHOLD: u64 = 64 * 1024 * 1024;
/// Default chunk size for chunked uploads (16 MiB).
pub const DEFAULT_CHUNK_SIZE: u64 = 16 * 1024 * 1024;
/// Default cap on the number of tags listed (100,000).
pub const DEFAULT_MAX_TAGS: usize = 100_000;

/// A client for OCI registries (and, for the operations, OCI image layouts).
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`; build one and reuse it: it keeps
/// connections and tokens.
///
/// ```no_run
/// use helmoci_oci::RegistryClient;
/// let client = RegistryClient::builder().plain_http(true).build()?;
/// # Ok::<(), helmoci_oci::Error>(())
/// ```
#[derive(Clone)]
pub struct RegistryClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("plain_http", &self.inner.plain_http)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) plain_http: bool,
    pub(crate) credentials: Arc<dyn CredentialSource>,
    pub(crate) auth: AuthCache,
    pub(crate) retry: RetryPolicy,
    pub(crate) chunk_threshold: u64,
    pub(crate) chunk_size: u64,
    pub(crate) max_tags: usize,
}

/// Builds a [`RegistryClient`]. A setter given bad input stores the error and
/// [`build`](Self::build) returns it.
#[must_use]
pub struct RegistryClientBuilder {
    plain_http: bool,
    tls: TlsOptions,
    credentials: Arc<dyn CredentialSource>,
    retry: RetryPolicy,
    connect_timeout: Duration,
    read_timeout: Duration,
    chunk_threshold: u64,
    chunk_size: u64,
    max_tags: usize,
    user_agent: String,
    error: Option<Error>,
}

impl RegistryClient {
    /// A builder with the defaults.
    pub fn builder() -> RegistryClientBuilder {
        RegistryClientBuilder {
            plain_http: false,
            tls: TlsOptions::default(),
            credentials: Arc::new(Anonymous),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            chunk_threshold: DEFAULT_CHUNK_THRESHOLD,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_tags: DEFAULT_MAX_TAGS,
            user_agent: format!("helmoci/{}", env!("CARGO_PKG_VERSION")),
            error: None,
        }
    }
}

impl RegistryClientBuilder {
    /// Talk plain `http://` to every registry (`--plain-http`). Default: HTTPS.
    pub fn plain_http(mut self, on: bool) -> Self {
        self.plain_http = on;
        self
    }

    /// Accept any server certificate (`--insecure-skip-tls-verify`). Default: off.
    ///
    /// # Security
    /// Anyone on the path can read and change what is pushed and pulled.
    pub fn danger_accept_invalid_certs(mut self, on: bool) -> Self {
        self.tls.danger_accept_invalid_certs = on;
        self
    }

    /// Trusts the CA certificates in `pem` in addition to the platform's roots (`--ca-file`).
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.tls.extra_roots_pem.push(pem.to_vec());
        self
    }

    /// Reads a CA bundle file and trusts it in addition to the platform's roots.
    pub fn add_root_certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        match std::fs::read(&path) {
            Ok(pem) => self.tls.extra_roots_pem.push(pem),
            Err(e) => self.error = self.error.or(Some(Error::read(path, e))),
        }
        self
    }

    /// Presents a client certificate chain and key (PEM) for mutual TLS
    /// (`--cert-file`/`--key-file`). Default: none.
    pub fn client_certificate_pem(mut self, cert_chain: &[u8], key: &[u8]) -> Self {
        self.tls.client_identity_pem = Some((cert_chain.to_vec(), key.to_vec()));
        self
    }

    /// Where credentials come from. Default: [`Anonymous`].
    pub fn credentials(mut self, source: impl CredentialSource) -> Self {
        self.credentials = Arc::new(source);
        self
    }

    /// Retry policy. Default: [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Timeout for establishing connections. Default 30 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout for each read from a connection (a stalled transfer fails). Default 60 s.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Blobs larger than this are uploaded with chunked `PATCH`es. Default 64 MiB.
    pub fn chunk_threshold(mut self, bytes: u64) -> Self {
        self.chunk_threshold = bytes;
        self
    }

    /// Size of each uploaded chunk. Default 16 MiB; at least 1 byte.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    /// The most tags a listing returns before failing. Default 100,000.
    pub fn max_tags(mut self, n: usize) -> Self {
        self.max_tags = n;
        self
    }

    /// The `User-Agent`. Default `helmoci/<version>`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Tls`] for unusable certificates or keys, [`Error::Read`] for unreadable
    /// files, [`Error::ClientBuild`] otherwise.
    pub fn build(self) -> Result<RegistryClient> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let tls = tls::client_config(&self.tls)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .user_agent(self.user_agent)
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()
            .map_err(|source| Error::ClientBuild { source })?;
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                http,
                plain_http: self.plain_http,
                credentials: self.credentials,
                auth: AuthCache::default(),
                retry: self.retry,
                chunk_threshold: self.chunk_threshold,
                chunk_size: self.chunk_size,
                max_tags: self.max_tags,
            }),
        })
    }
}

/// What a request is about: used for scopes, credentials and error messages.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// As written in the reference (credential key).
    pub(crate) registry: String,
    /// The host contacted.
    pub(crate) endpoint: String,
    pub(crate) repository: String,
    /// Ask for `pull,push` instead of `pull`.
    pub(crate) push: bool,
}

impl Ctx {
    pub(crate) fn scope(&self) -> String {
        if self.repository.is_empty() {
            return String::new();
        }
        let actions = if self.push { "pull,push" } else { "pull" };
        format!("repository:{}:{actions}", self.repository)
    }
}

/// The largest piece of a file upload read at once.
const CHUNK: usize = 256 * 1024;

/// A request body that can be produced again for a retry.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Bytes(Bytes),
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    /// The body to send; `progress` counts its bytes as they go.
    async fn to_reqwest(&self, progress: Option<&Meter>) -> Result<reqwest::Body> {
        if let Some(m) = progress {
            m.begin();
        }
        Ok(match self {
            Body::Empty => reqwest::Body::from(Bytes::new()),
            Body::Bytes(b) => {
                if let Some(m) = progress {
                    m.advance(b.len() as u64);
                }
                reqwest::Body::from(b.clone())
            }
            // A small file is read whole and goes out with its headers: in place up to
            // `INLINE_READ_MAX` bytes (microseconds), else in one trip to a blocking thread. A
            // larger one streams in chunks of at most `CHUNK` bytes.
            Body::File { path, offset, len } if *len <= CHUNK as u64 => {
                let (p, offset, len) = (path.clone(), *offset, *len as usize);
                let read = move || {
                    use std::io::{Read, Seek};
                    let mut f = std::fs::File::open(&p)?;
                    f.seek(std::io::SeekFrom::Start(offset))?;
                    let mut buf = vec![0u8; len];
                    f.read_exact(&mut buf)?;
                    Ok::<_, std::io::Error>(buf)
                };
                let bytes = if len as u64 <= INLINE_READ_MAX {
                    read()
                } else {
                    tokio::task::spawn_blocking(read)
                        .await
                        .map_err(|_| Error::Background {
                            what: "reading a blob to upload",
                        })?
                }
                .map_err(|e| Error::read(path, e))?;
                if let Some(m) = progress {
                    m.advance(bytes.len() as u64);
                }
                reqwest::Body::from(bytes)
            }
            Body::File { path, offset, len } => {
                let mut f = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| Error::read(path, e))?;
                f.seek(std::io::SeekFrom::Start(*offset))
                    .await
                    .map_err(|e| Error::read(path, e))?;
                let s = stream::try_unfold((f, *len), |(mut f, left)| async move {
                    if left == 0 {
                        return Ok::<_, std::io::Error>(None);
                    }
                    let mut buf = vec![0u8; left.min(CHUNK as u64) as usize];
                    let n = f.read(&mut buf).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    buf.truncate(n);
                    Ok(Some((Bytes::from(buf), (f, left - n as u64))))
                });
                reqwest::Body::wrap_stream(metered(s, progress.cloned()))
            }
        })
    }
}

/// One request, described as data so it can be re-sent (retry, re-authentication).
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    /// Safe to repeat.
    pub(crate) retry: bool,
    /// Tag or digest, for messages.
    pub(crate) reference: String,
    /// Counts the body's bytes (blob uploads with a progress sink).
    pub(crate) progress: Option<Meter>,
}

impl Req {
    pub(crate) fn new(method: Method, url: Url, reference: &str) -> Req {
        Req {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::Empty,
            retry: true,
            reference: reference.to_owned(),
            progress: None,
        }
    }

    /// Reports the body's bytes to `meter` (when there is one).
    pub(crate) fn progress(mut self, meter: Option<Meter>) -> Req {
        self.progress = meter;
        self
    }

    pub(crate) fn header(mut self, name: reqwest::header::HeaderName, value: &str) -> Req {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    pub(crate) fn body(mut self, body: Body) -> Req {
        self.body = body;
        self
    }
}

impl Inner {
    /// `http(s)://<endpoint>/v2/` joined with `path`.
    pub(crate) fn url(&self, ctx: &Ctx, path: &str) -> Result<Url> {
        let scheme = if self.plain_http { "http" } else { "https" };
        Url::parse(&format!("{scheme}://{}/v2/{path}", ctx.endpoint)).map_err(|e| Error::Protocol {
            registry: ctx.registry.clone(),
            what: "URL".into(),
            reason: e.to_string(),
        })
    }

    /// Sends `req` with authentication and retries; returns the response whatever its status.
    pub(crate) async fn send(&self, ctx: &Ctx, req: &Req) -> Result<Response> {
        let scope = ctx.scope();
        let mut reauthenticated = false;
        loop {
            let auth = self.auth.header(&ctx.endpoint, &scope);
            let resp = self.send_with_retry(req, auth.as_deref(), &req.url).await?;
            let status = resp.status();
            let mut challenge = resp
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(challenge::parse);
            let same_origin = resp.url().origin() == req.url.origin();
            if challenge.is_none()
                && status == StatusCode::UNAUTHORIZED
                && same_origin
                && !reauthenticated
            {
                challenge = self.ping_challenge(&req.url).await;
            }
            let insufficient = matches!(&challenge, Some(Challenge::Bearer { error: Some(e), .. }) if e == "insufficient_scope");
            if !reauthenticated
                && same_origin
                && (status == StatusCode::UNAUTHORIZED
                    || (status == StatusCode::FORBIDDEN && insufficient))
            {
                if let Some(ch) = challenge {
                    if self.authenticate(ctx, &scope, &ch, auth.as_deref()).await? {
                        reauthenticated = true;
                        continue;
                    }
                }
            }
            return Ok(resp);
        }
    }

    /// The challenge of `GET /v2/`, for a 401 that came without one: some registries
    /// (e.g. the `container-registry` crate) send `WWW-Authenticate` only there, which
    /// Docker asks first.
    async fn ping_challenge(&self, url: &Url) -> Option<Challenge> {
        let ping = url.join("/v2/").ok()?;
        let req = Req::new(Method::GET, ping.clone(), "");
        let resp = self.send_with_retry(&req, None, &ping).await.ok()?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return None;
        }
        resp.headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(challenge::parse)
    }

    /// Like [`send`](Self::send), and maps statuses outside `ok` to [`Error::Registry`].
    pub(crate) async fn send_expect(&self, ctx: &Ctx, req: &Req, ok: &[u16]) -> Result<Response> {
        let resp = self.send(ctx, req).await?;
        if ok.contains(&resp.status().as_u16()) {
            Ok(resp)
        } else {
            Err(registry_error(ctx, req, resp).await)
        }
    }

    async fn send_with_retry(&self, req: &Req, auth: Option<&str>, url: &Url) -> Result<Response> {
        let start = Instant::now();
        let mut attempt = 0u32;
        loop {
            let mut headers = req.headers.clone();
            if let Some(a) = auth.and_then(|a| HeaderValue::from_str(a).ok()) {
                let mut a = a;
                a.set_sensitive(true);
                headers.insert(AUTHORIZATION, a);
            }
            if !matches!(req.body, Body::Empty) || req.method == Method::PUT {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(req.body.len()));
            }
            let mut builder = self
                .http
                .request(req.method.clone(), url.clone())
                .headers(headers);
            if !matches!(req.body, Body::Empty) {
                builder = builder.body(req.body.to_reqwest(req.progress.as_ref()).await?);
            }
            let result = builder.send().await;
            let can_retry = req.retry
                && attempt < self.retry.max_retries
                && start.elapsed() < self.retry.max_total;
            match result {
                Ok(resp) if can_retry && retry::is_retryable_status(resp.status()) => {
                    let wait = match retry::retry_after(resp.headers()) {
                        Some(ra) if ra > self.retry.max_retry_after => return Ok(resp),
                        Some(ra) => ra,
                        None => self.retry.backoff(attempt),
                    };
                    if start.elapsed() + wait > self.retry.max_total {
                        return Ok(resp);
                    }
                    drop(resp);
                    tokio::time::sleep(wait).await;
                }
                Ok(resp) => return Ok(resp),
                Err(e) if can_retry && retry::is_retryable_error(&e) => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                }
                Err(source) => {
                    return Err(Error::Transport {
                        method: req.method.to_string(),
                        url: url.to_string(),
                        source,
                    })
                }
            }
            attempt += 1;
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Reads (at most 64 KiB of) an error response into [`Error::Registry`].
pub(crate) async fn registry_error(ctx: &Ctx, req: &Req, resp: Response) -> Error {
    let status = resp.status().as_u16();
    let url = resp.url().clone();
    let body = read_capped(resp, 64 * 1024).await.unwrap_or_default();
    let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
    let first = parsed.and_then(|b| b.errors.into_iter().next());
    let code = first
        .as_ref()
        .filter(|e| !e.code.is_empty())
        .map(|e| RegistryErrorCode::from_code(&e.code));
    let message = first.map(|e| e.message).filter(|m| !m.is_empty());
    let hint = match status {
        401 => "check the credentials for this registry (log in first); on Docker Hub a repository has at most two path components",
        403 => "the credentials lack permission for this repository (pull, or push); some registries need the project or namespace to exist first",
        404 => "check the registry, repository and tag or digest",
        429 => "the registry is rate limiting; try again later",
        _ => "",
    };
    let mut url = url;
    let _ = url.set_password(None);
    let _ = url.set_username("");
    Error::Registry(Box::new(RegistryFailure {
        registry: ctx.registry.clone(),
        repository: ctx.repository.clone(),
        reference: req.reference.clone(),
        method: req.method.to_string(),
        url: url.to_string(),
        status,
        code,
        message,
        hint,
    }))
}

/// Reads a response body, failing once it exceeds `limit` bytes.
pub(crate) async fn read_capped(mut resp: Response, limit: u64) -> Result<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(Error::TooLarge {
            what: "response",
            reference: resp.url().to_string(),
            limit,
        });
    }
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if out.len() as u64 + c.len() as u64 > limit {
                    return Err(Error::TooLarge {
                        what: "response",
                        reference: resp.url().to_string(),
                        limit,
                    });
                }
                out.extend_from_slice(&c);
            }
            Ok(None) => return Ok(out),
            Err(source) => {
                return Err(Error::Transport {
                    method: "GET".into(),
                    url: resp.url().to_string(),
                    source,
                })
            }
        }
    }
}
