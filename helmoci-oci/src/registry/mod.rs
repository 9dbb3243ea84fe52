//! The OCI distribution client: [`RegistryClient`] and its builder.
//!
//! One client is reused across operations; it keeps connections and tokens. Sub-modules:
//! `client` (builder, request path), `challenge` and `auth` (`WWW-Authenticate`, Basic,
//! bearer tokens), `blob`, `manifest`, `tags`, `retry` and `tls`.

mod auth;
mod blob;
mod challenge;
mod client;
mod manifest;
mod retry;
mod tags;
mod tls;

pub use auth::MAX_TOKEN_RESPONSE;
pub use client::{
    RegistryClient, RegistryClientBuilder, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_THRESHOLD,
    DEFAULT_MAX_TAGS,
};
pub use manifest::FetchedManifest;
pub use retry::RetryPolicy;
