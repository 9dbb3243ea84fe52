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

/// Entry points for the fuzz targets in `fuzz/` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    /// Parses a `WWW-Authenticate` header as the client does; the challenge as
    /// `(scheme, realm, service, scope, error)`, or `None` when it is not understood.
    #[allow(clippy::type_complexity)]
    pub fn parse_challenge(
        header: &str,
    ) -> Option<(
        &'static str,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> {
        Some(match super::challenge::parse(header)? {
            super::challenge::Challenge::Basic => ("basic", None, None, None, None),
            super::challenge::Challenge::Bearer {
                realm,
                service,
                scope,
                error,
            } => ("bearer", Some(realm), service, scope, error),
        })
    }

    /// Merges token scopes as the client does before asking for a token.
    pub fn clean_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        super::challenge::clean_scopes(scopes)
    }
}
