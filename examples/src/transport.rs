//! Flags shared by every command that talks to a registry, and the client they build.

use std::path::PathBuf;

use anyhow::Context;
use helmoci_auth::{ConfigLocations, CredentialStore};
use std::sync::Arc;

use helmoci_oci::credential::{ConfiguredCredentials, Credential};
use helmoci_oci::{RegistryClient, RegistryClientBuilder};

use crate::Global;

/// `--plain-http`, TLS and credential flags (HELM-FACTS §14: accepted by every command
/// that talks to a registry).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TransportArgs {
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Registry username (sent only to the registry of this command's reference).
    #[arg(long, requires = "password")]
    pub username: Option<String>,
    /// Registry password.
    #[arg(long, requires = "username")]
    pub password: Option<String>,
}

/// `--plain-http` and the TLS flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Use plain HTTP instead of HTTPS.
    #[arg(long)]
    pub plain_http: bool,
    /// Skip TLS certificate verification (dangerous).
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// Trust the CA certificates in this PEM file (added to the system roots).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// Client key (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
}

impl TlsArgs {
    /// A client builder with these transport settings.
    pub fn builder(&self) -> anyhow::Result<RegistryClientBuilder> {
        let mut b = RegistryClient::builder()
            .plain_http(self.plain_http)
            .danger_accept_invalid_certs(self.insecure_skip_tls_verify)
            .user_agent(format!("helmoci/{}", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &self.ca_file {
            b = b.add_root_certificate_file(ca);
        }
        if let (Some(cert), Some(key)) = (&self.cert_file, &self.key_file) {
            let cert =
                std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let key =
                std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?;
            b = b.client_certificate_pem(&cert, &key);
        }
        Ok(b)
    }
}

impl TransportArgs {
    /// Builds a client; `registry` is the host that explicit `--username/--password`
    /// belong to (they are never sent elsewhere).
    pub fn client(
        &self,
        global: &Global,
        registry: Option<&str>,
    ) -> anyhow::Result<RegistryClient> {
        let mut creds = ConfiguredCredentials::new(credential_store(global))
            .on_warning(Arc::new(|w: &str| eprintln!("WARNING: {w}")));
        if let (Some(u), Some(p), Some(host)) = (&self.username, &self.password, registry) {
            creds = creds.with(host, Credential::basic(u, p));
        }
        Ok(self.tls.builder()?.credentials(creds).build()?)
    }
}

/// The credential store configured by `--registry-config` (else Helm's default locations).
pub fn credential_store(global: &Global) -> CredentialStore {
    let mut locations = ConfigLocations::from_env();
    if let Some(path) = &global.registry_config {
        locations.helm = Some(path.clone());
    }
    CredentialStore::new(locations)
}

/// Runs a future on a fresh single-threaded runtime.
///
/// One command is one chain of network waits: a second worker thread only adds start-up
/// and cross-thread wake-ups. CPU-heavy steps (hashing, packaging, loading) already run on
/// tokio's blocking pool, which this runtime has too.
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(rt.block_on(f))
}
