//! `dependency update|build --verify --keyring FILE`: each OCI and HTTP dependency checked
//! against its provenance (`.prov`) while it sits in the temporary directory, so a
//! dependency that does not verify stops the update before `charts/` or the lock change.
//!
//! Where the provenance comes from, as in Helm (`pkg/downloader/chart_downloader.go`
//! `DownloadTo`): for OCI the provenance layer
//! (`application/vnd.cncf.helm.chart.provenance.v1.prov`) of the manifest the archive came
//! from; for HTTP `<archive URL>.prov`, with the archive's credentials and TLS settings.
//! It is fetched even when the archive came from the content cache. `file://` and
//! `repository: ""` dependencies are not verified (Helm neither).

use std::sync::Arc;

use helmoci_core::digest::Digest;
use helmoci_core::provenance::{verify_bytes, Keyring, MAX_PROVENANCE_SIZE};

use super::http::HttpRepo;
use super::{blocking, DependencyOptions, Event};
use crate::error::{Error, Result};
use crate::manifest::Descriptor;
use crate::media_type;
use crate::pull::download;
use crate::store::AnyStore;

/// Whether and how dependencies are verified against their provenance, like Helm's
/// `downloader.VerificationStrategy` (`helm dependency update|build --verify --keyring FILE`).
///
/// Only OCI and HTTP dependencies are verified; `file://` and `repository: ""` ones never
/// are, as in Helm. The `.prov` is checked, not kept: Helm's move into `charts/` skips it
/// (it is not a chart), so `charts/` holds the same archives with or without verification.
///
/// ```
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use helmoci_core::provenance::Keyring;
/// use helmoci_oci::deps::{DependencyOptions, Verify};
/// let keyring = Keyring::load("pubring.gpg".as_ref())?;
/// let mut options = DependencyOptions::default();
/// options.verify = Verify::Always(Arc::new(keyring));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Verify {
    /// Nothing is verified and no provenance is fetched (Helm's `VerifyNever`). The default.
    #[default]
    Never,
    /// Every OCI and HTTP dependency must have a provenance that verifies against the
    /// keyring (Helm's `VerifyAlways`, what `helm dependency update --verify` uses).
    /// A missing one is [`Error::DependencyNotSigned`]; one that does not verify is
    /// [`Error::DependencyNotVerified`].
    Always(Arc<Keyring>),
    /// A dependency without provenance is accepted with an [`Event::Warning`] (Helm's
    /// `WARNING: Verification not found for …`); one whose provenance does not verify is
    /// still [`Error::DependencyNotVerified`] (Helm's `VerifyIfPossible`, what
    /// `helm dependency build --verify` uses).
    IfPossible(Arc<Keyring>),
}

impl Verify {
    /// The keyring, unless [`Verify::Never`].
    pub fn keyring(&self) -> Option<&Arc<Keyring>> {
        match self {
            Verify::Never => None,
            Verify::Always(k) | Verify::IfPossible(k) => Some(k),
        }
    }
}

/// The dependency being verified.
pub(crate) struct Subject<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    /// The archive's URL or `oci://` reference, as shown in messages.
    pub(crate) url: &'a str,
    /// Its file name in `charts/` (the name the `.prov` signs).
    pub(crate) file: &'a str,
    /// The archive's digest, checked while it was downloaded or copied from the cache.
    pub(crate) digest: &'a Digest,
}

/// What was found where the provenance should be.
enum Found {
    Prov(Vec<u8>),
    /// Not signed; why, in the source's words.
    Missing(String),
}

/// Verifies an OCI dependency against the provenance layer of its manifest.
pub(crate) async fn oci(
    store: &AnyStore,
    layer: Option<&Descriptor>,
    subject: &Subject<'_>,
    dir: &std::path::Path,
    options: &DependencyOptions,
) -> Result<()> {
    if options.verify.keyring().is_none() {
        return Ok(());
    }
    let prov_url = format!("{}.prov", subject.url);
    let found = match layer {
        None => Found::Missing(format!(
            "manifest does not contain a layer with mediatype {}",
            media_type::CHART_PROVENANCE
        )),
        Some(d) if d.size > MAX_PROVENANCE_SIZE => {
            return Err(Error::TooLarge {
                what: "provenance",
                reference: prov_url,
                limit: MAX_PROVENANCE_SIZE,
            })
        }
        Some(d) => {
            let tmp = download(store, d, dir).await?;
            let path = tmp.path().to_owned();
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| Error::read(&path, e))?;
            Found::Prov(bytes)
        }
    };
    check(found, &prov_url, subject, options).await
}

/// Verifies an HTTP dependency against `<archive URL>.prov`.
pub(crate) async fn http(
    repo: &HttpRepo,
    archive_url: &str,
    subject: &Subject<'_>,
    options: &DependencyOptions,
) -> Result<()> {
    if options.verify.keyring().is_none() {
        return Ok(());
    }
    let prov_url = format!("{archive_url}.prov");
    let shown = url::Url::parse(&prov_url)
        .map(|u| super::http::redacted(&u))
        .unwrap_or_else(|_| prov_url.clone());
    let found = match repo.fetch_optional(&prov_url, MAX_PROVENANCE_SIZE).await? {
        Some(bytes) => Found::Prov(bytes),
        None => Found::Missing("404 Not Found".into()),
    };
    check(found, &shown, subject, options).await
}

async fn check(
    found: Found,
    prov_url: &str,
    subject: &Subject<'_>,
    options: &DependencyOptions,
) -> Result<()> {
    let (keyring, required) = match &options.verify {
        Verify::Never => return Ok(()),
        Verify::Always(k) => (k.clone(), true),
        Verify::IfPossible(k) => (k.clone(), false),
    };
    let prov = match found {
        Found::Prov(bytes) => bytes,
        Found::Missing(reason) if required => {
            return Err(Error::DependencyNotSigned {
                name: subject.name.to_owned(),
                version: subject.version.to_owned(),
                provenance: prov_url.to_owned(),
                reason,
            })
        }
        Found::Missing(reason) => {
            options.emit(Event::Warning {
                message: format!(
                    "Verification not found for {}: failed to fetch provenance {prov_url:?}: {reason}",
                    subject.url
                ),
            });
            return Ok(());
        }
    };
    let (p, file, digest) = (
        prov_url.to_owned(),
        subject.file.to_owned(),
        subject.digest.clone(),
    );
    let verified = blocking("provenance check", move || {
        Ok(verify_bytes(&prov, &p, &file, &digest, &keyring))
    })
    .await?;
    match verified {
        Ok(verification) => {
            options.emit(Event::Verified {
                name: subject.name.to_owned(),
                verification,
            });
            Ok(())
        }
        Err(source) => Err(Error::DependencyNotVerified {
            name: subject.name.to_owned(),
            version: subject.version.to_owned(),
            url: subject.url.to_owned(),
            source: Box::new(source),
        }),
    }
}
