//! TLS configuration for the registry client: rustls on the `ring` provider, the platform's
//! roots plus any extra CA (added, never replacing), client certificates, and the
//! explicitly dangerous "accept invalid certificates" mode.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::error::{Error, Result};

/// What the builder collected.
#[derive(Default, Clone)]
pub(crate) struct TlsOptions {
    pub(crate) extra_roots_pem: Vec<Vec<u8>>,
    pub(crate) client_identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    pub(crate) danger_accept_invalid_certs: bool,
}

pub(crate) fn client_config(opts: &TlsOptions) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls {
            what: "protocol versions".into(),
            reason: e.to_string(),
        })?;
    let verifier: Arc<dyn ServerCertVerifier> = if opts.danger_accept_invalid_certs {
        Arc::new(ServerVerifier {
            provider: provider.clone(),
            roots: Roots::AcceptAnything,
        })
    } else {
        let mut extra = Vec::new();
        for (i, pem) in opts.extra_roots_pem.iter().enumerate() {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::Tls {
                    what: format!("CA certificate #{}", i + 1),
                    reason: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(Error::Tls {
                    what: format!("CA certificate #{}", i + 1),
                    reason: "no PEM certificate found".into(),
                });
            }
            extra.extend(certs);
        }
        Arc::new(ServerVerifier {
            provider: provider.clone(),
            roots: Roots::Platform {
                extra,
                verifier: OnceLock::new(),
            },
        })
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &opts.client_identity_pem {
        None => builder.with_no_client_auth(),
        Some((cert_pem, key_pem)) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::Tls {
                    what: "client certificate".into(),
                    reason: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(Error::Tls {
                    what: "client certificate".into(),
                    reason: "no PEM certificate found".into(),
                });
            }
            let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| Error::Tls {
                what: "client key".into(),
                reason: e.to_string(),
            })?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| Error::Tls {
                    what: "client certificate and key".into(),
                    reason: e.to_string(),
                })?
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// How server certificates are checked; handshake signatures are always checked.
#[derive(Debug)]
enum Roots {
    /// The platform's verifier (system roots plus the extra CAs), created on the first TLS
    /// handshake: loading the system roots costs milliseconds that a plain-HTTP or
    /// OCI-layout run never needs.
    Platform {
        extra: Vec<CertificateDer<'static>>,
        verifier: OnceLock<std::result::Result<rustls_platform_verifier::Verifier, String>>,
    },
    /// `danger_accept_invalid_certs`: any certificate is accepted.
    AcceptAnything,
}

/// The client's certificate verifier.
#[derive(Debug)]
struct ServerVerifier {
    provider: Arc<CryptoProvider>,
    roots: Roots,
}

impl ServerVerifier {
    fn platform<'a>(
        &self,
        extra: &[CertificateDer<'static>],
        cell: &'a OnceLock<std::result::Result<rustls_platform_verifier::Verifier, String>>,
    ) -> std::result::Result<&'a rustls_platform_verifier::Verifier, rustls::Error> {
        cell.get_or_init(|| {
            let v = if extra.is_empty() {
                rustls_platform_verifier::Verifier::new(self.provider.clone())
            } else {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    extra.to_vec(),
                    self.provider.clone(),
                )
            };
            v.map_err(|e| format!("cannot load the system's trusted certificates: {e}"))
        })
        .as_ref()
        .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match &self.roots {
            Roots::AcceptAnything => Ok(ServerCertVerified::assertion()),
            Roots::Platform { extra, verifier } => self
                .platform(extra, verifier)?
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
