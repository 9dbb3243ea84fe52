//! Provenance files (`<chart>.tgz.prov`): sign and verify charts as `helm package --sign`,
//! `helm verify` and `helm pull --verify` do.
//!
//! A `.prov` is an OpenPGP cleartext-signed message. Its text is the chart's `Chart.yaml`
//! (Helm's `yaml.Marshal` of the metadata loaded back from the archive), a `...` line, and a
//! `files:` map from the archive's base name to `sha256:<hex>` of the whole archive:
//!
//! ```text
//! -----BEGIN PGP SIGNED MESSAGE-----
//! Hash: SHA512
//!
//! apiVersion: v2
//! name: demo
//! version: 0.1.0
//!
//! ...
//! files:
//!   demo-0.1.0.tgz: sha256:…
//! -----BEGIN PGP SIGNATURE-----
//!
//! <base64 signature packet>
//! -----END PGP SIGNATURE-----
//! ```
//!
//! Verification follows Helm's order: the archive must be a `.tgz` file, the `.prov` must
//! hold a signature block, the signature must verify against a key of the keyring (not
//! expired, not revoked), and the `files:` entry for the archive's base name must equal the
//! archive's sha256. The metadata half is not compared (so renaming an archive breaks
//! verification, as in Helm).
//!
//! Keys come from a [`Keyring`]: binary (`gpg --export-secret-keys > secring.gpg`) or
//! armored exports. GnuPG's `.kbx` keybox is not read.
//!
//! Needs the `provenance` cargo feature (on by default); it brings in the pure-Rust OpenPGP
//! crate `pgp`, which dominates this crate's build time.

mod clearsign;
mod keyring;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{
    Packet, PacketParser, PacketTrait as _, Signature, SignatureConfig, SignatureType, Subpacket,
    SubpacketData,
};
use pgp::types::{KeyDetails as _, Password, SecretParams};

pub use keyring::Keyring;

use crate::digest::{Digest, HashingWriter};
use crate::error::{Error, Result};
use crate::load::{load_archive_file, LoadOptions};
use crate::time::Timestamp;
use crate::value::Value;

/// Largest `.prov` read (Helm's are well under 4 KiB; charts with huge metadata stay far below).
pub const MAX_PROVENANCE_SIZE: u64 = 4 << 20;

/// What a successful verification established, as `helm verify` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The identities (`Name (comment) <email>`) of the key that signed, in key order.
    pub signed_by: Vec<String>,
    /// Fingerprint of the signer's primary key, upper-case hex.
    pub fingerprint: String,
    /// The archive's base name, as named in the `.prov`.
    pub file_name: String,
    /// `sha256:<hex>` of the archive.
    pub file_hash: String,
}

impl Verification {
    /// The lines `helm verify` prints: `Signed by: …` (one per identity),
    /// `Using Key With Fingerprint: …`, `Chart Hash Verified: …`, each ending in `\n`.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for id in &self.signed_by {
            out.push_str(&format!("Signed by: {id}\n"));
        }
        out.push_str(&format!(
            "Using Key With Fingerprint: {}\nChart Hash Verified: {}\n",
            self.fingerprint, self.file_hash
        ));
        out
    }
}

/// The text a `.prov` signs: `metadata_yaml`, `\n...\n`, then the `files:` map Helm writes.
///
/// `metadata_yaml` is [`ChartMetadata::to_yaml`](crate::ChartMetadata::to_yaml) of the chart
/// loaded from the archive; `file_name` is the archive's base name.
pub fn message_block(metadata_yaml: &str, file_name: &str, archive_digest: &Digest) -> String {
    let mut files = std::collections::BTreeMap::new();
    files.insert(
        file_name.to_string(),
        Value::String(format!("sha256:{}", archive_digest.hex())),
    );
    let mut top = std::collections::BTreeMap::new();
    top.insert("files".to_string(), Value::Map(files));
    let mut out = String::with_capacity(metadata_yaml.len() + 128);
    out.push_str(metadata_yaml);
    out.push_str("\n...\n");
    out.push_str(&crate::yaml::to_yaml_string(&Value::Map(top)));
    out
}

/// Clear-signs `message` with the key of `keyring` that `key` names (an identity, or a unique
/// part of one), and returns the `.prov` text.
///
/// The hash is always SHA-512, as go-crypto's clearsign does with Helm's config: the key's
/// hash preferences are not consulted (checked with the Helm v4 SDK on a key that prefers
/// only SHA-256). `passphrase` unlocks an encrypted key.
///
/// # Errors
/// [`Error::KeyAmbiguous`], [`Error::PrivateKeyNotFound`], [`Error::NotAPrivateKey`],
/// [`Error::KeyExpired`], [`Error::KeyRevoked`], and [`Error::SigningFailed`] for a wrong
/// or missing passphrase or an unsupported key.
///
/// # Security
/// The passphrase is not kept and never appears in an error.
pub fn sign_message(
    message: &str,
    keyring: &Keyring,
    key: &str,
    passphrase: Option<&str>,
) -> Result<String> {
    let found = keyring.find(key)?;
    let fingerprint = found.fingerprint();
    let Some(secret) = &found.secret else {
        return Err(Error::NotAPrivateKey { fingerprint });
    };
    found.check_usable(Timestamp::now())?;
    let failed = |reason: String| Error::SigningFailed {
        fingerprint: fingerprint.clone(),
        reason,
    };
    let primary = &secret.primary_key;
    let encrypted = matches!(primary.secret_params(), SecretParams::Encrypted(_));
    if encrypted && passphrase.is_none() {
        return Err(failed(
            "the key is protected by a passphrase; give it with --passphrase-file".into(),
        ));
    }
    let password = passphrase.map_or_else(Password::empty, Password::from);
    let hash = HashAlgorithm::Sha512;
    let mut config = SignatureConfig::v4(SignatureType::Text, primary.algorithm(), hash);
    let subpacket = |d| Subpacket::regular(d).map_err(|e| failed(e.to_string()));
    config.hashed_subpackets = vec![
        subpacket(SubpacketData::SignatureCreationTime(
            pgp::types::Timestamp::now(),
        ))?,
        subpacket(SubpacketData::IssuerFingerprint(primary.fingerprint()))?,
    ];
    config.unhashed_subpackets = vec![subpacket(SubpacketData::IssuerKeyId(
        primary.legacy_key_id(),
    ))?];
    let signed = clearsign::signed_bytes(message);
    let signature = config.sign(primary, &password, &signed[..]).map_err(|e| {
        if encrypted {
            failed("wrong passphrase".into())
        } else {
            failed(e.to_string())
        }
    })?;
    let mut packet = Vec::new();
    signature
        .to_writer_with_header(&mut packet)
        .map_err(|e| failed(e.to_string()))?;
    Ok(clearsign::encode(message, &hash.to_string(), &packet))
}

/// Like `helm package --sign`: signs the archive at `archive` and writes `<archive>.prov`
/// beside it (mode 0644, atomically), returning its path.
///
/// The metadata is that of the chart loaded back from the archive, as Helm does.
///
/// # Errors
/// Archive load errors, the errors of [`sign_message`], and I/O errors. On error no `.prov`
/// is written.
pub fn sign(
    archive: &Path,
    keyring: &Keyring,
    key: &str,
    passphrase: Option<&str>,
) -> Result<PathBuf> {
    let chart = load_archive_file(archive, &LoadOptions::default())?;
    let digest = digest_file(archive)?;
    let name = base_name(archive);
    let message = message_block(&chart.metadata.to_yaml(), &name, &digest);
    let prov = sign_message(&message, keyring, key, passphrase)?;
    let path = prov_path(archive);
    write_atomic(&path, prov.as_bytes())?;
    Ok(path)
}

/// `<archive>.prov`, where Helm looks for an archive's provenance.
pub fn prov_path(archive: &Path) -> PathBuf {
    let mut s = archive.as_os_str().to_owned();
    s.push(".prov");
    PathBuf::from(s)
}

fn base_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn digest_file(path: &Path) -> Result<Digest> {
    let mut f = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut w = HashingWriter::new(std::io::sink());
    std::io::copy(&mut f, &mut w).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(w.finish().1)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Like `helm verify CHART.tgz --keyring FILE`: verifies `archive` against the `.prov` at
/// `prov` (usually [`prov_path`]).
///
/// # Errors
/// In Helm's order: [`Error::ProvenanceNotTgz`], [`Error::ProvenanceUnpacked`],
/// [`Error::ProvenanceLoad`], then the errors of [`verify_bytes`].
pub fn verify(archive: &Path, prov: &Path, keyring: &Keyring) -> Result<Verification> {
    if archive.extension().and_then(|e| e.to_str()) != Some("tgz") {
        return Err(Error::ProvenanceNotTgz {
            path: archive.to_path_buf(),
        });
    }
    if archive.is_dir() {
        return Err(Error::ProvenanceUnpacked {
            path: archive.to_path_buf(),
        });
    }
    let digest = digest_file(archive)?;
    let load_err = |source| Error::ProvenanceLoad {
        path: prov.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(prov).map_err(load_err)?;
    if meta.len() > MAX_PROVENANCE_SIZE {
        return Err(load_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_PROVENANCE_SIZE} bytes"),
        )));
    }
    let data = std::fs::read(prov).map_err(load_err)?;
    verify_bytes(
        &data,
        &prov.display().to_string(),
        &base_name(archive),
        &digest,
        keyring,
    )
}

/// Verifies `.prov` bytes for an archive named `file_name` whose sha256 is `archive_digest`,
/// without touching the file system (used by `pull --verify` before anything is written).
/// `prov_name` names the `.prov` in messages.
///
/// # Errors
/// [`Error::SignatureBlockNotFound`], [`Error::SignatureMalformed`],
/// [`Error::UnknownSigner`], [`Error::SignatureInvalid`], [`Error::KeyExpired`],
/// [`Error::KeyRevoked`], [`Error::SignatureExpired`], [`Error::MessageBlockParts`],
/// [`Error::MessageBlockFiles`], [`Error::ProvenanceNoFile`],
/// [`Error::ProvenanceHashMismatch`].
pub fn verify_bytes(
    prov: &[u8],
    prov_name: &str,
    file_name: &str,
    archive_digest: &Digest,
    keyring: &Keyring,
) -> Result<Verification> {
    let block = clearsign::decode(prov).map_err(|e| match e {
        clearsign::DecodeError::NotFound => Error::SignatureBlockNotFound {
            prov: prov_name.to_string(),
        },
        clearsign::DecodeError::Armor(reason) => Error::SignatureMalformed {
            prov: prov_name.to_string(),
            reason: reason.to_string(),
        },
    })?;
    let (signed_by, fingerprint) = check_signature(&block, prov_name, keyring)?;
    let signed_sum = file_sum(&block.plaintext, prov_name, file_name)?;
    let actual = format!("sha256:{}", archive_digest.hex());
    if signed_sum != actual {
        return Err(Error::ProvenanceHashMismatch {
            file: file_name.to_string(),
            signed: signed_sum,
            actual,
        });
    }
    Ok(Verification {
        signed_by,
        fingerprint,
        file_name: file_name.to_string(),
        file_hash: actual,
    })
}

/// go-crypto's `CheckDetachedSignature`: the first signature whose issuer is in the keyring
/// decides; returns the signer's identities and fingerprint.
fn check_signature(
    block: &clearsign::Block,
    prov_name: &str,
    keyring: &Keyring,
) -> Result<(Vec<String>, String)> {
    let malformed = |reason: String| Error::SignatureMalformed {
        prov: prov_name.to_string(),
        reason,
    };
    let mut first_issuer = None;
    let mut seen = 0usize;
    for packet in PacketParser::new(&block.signature[..]) {
        let sig = match packet {
            Ok(Packet::Signature(sig)) => sig,
            Ok(_) => return Err(malformed("a packet other than a signature".into())),
            Err(e) => return Err(malformed(e.to_string())),
        };
        seen += 1;
        let issuers = issuer_ids(&sig);
        if issuers.is_empty() {
            return Err(malformed("the signature does not name its issuer".into()));
        }
        first_issuer.get_or_insert_with(|| issuers[0].clone());
        for key in keyring.keys() {
            let Some(verdict) = try_key(key, &sig, &issuers, &block.signed) else {
                continue;
            };
            let fingerprint = key.fingerprint();
            if !verdict {
                return Err(Error::SignatureInvalid {
                    prov: prov_name.to_string(),
                    fingerprint,
                });
            }
            let now = Timestamp::now();
            key.check_usable(now)?;
            if let (Some(created), Some(exp)) = (sig.created(), sig.signature_expiration_time()) {
                let until = i64::from(created.as_secs()) + i64::from(exp.as_secs());
                if exp.as_secs() > 0 && now.unix_seconds() > until {
                    return Err(Error::SignatureExpired {
                        prov: prov_name.to_string(),
                        expired_at: Timestamp::from_unix(until).to_rfc3339(),
                    });
                }
            }
            return Ok((key.identities(), fingerprint));
        }
    }
    if seen == 0 {
        return Err(malformed("no signature packet".into()));
    }
    Err(Error::UnknownSigner {
        prov: prov_name.to_string(),
        key_id: first_issuer.unwrap_or_default(),
        keyring: keyring.name().to_string(),
    })
}

/// Issuer key IDs (16 hex digits) and fingerprints named by a signature, upper-case.
fn issuer_ids(sig: &Signature) -> Vec<String> {
    let mut ids: Vec<String> = sig
        .issuer_key_id()
        .into_iter()
        .map(|k| hex::encode_upper(k.as_ref()))
        .collect();
    ids.extend(
        sig.issuer_fingerprint()
            .into_iter()
            .map(|f| hex::encode_upper(f.as_bytes())),
    );
    ids
}

/// `None` when `key` (primary or a bound signing subkey) is not the issuer; otherwise
/// whether the signature verifies.
fn try_key(key: &keyring::Key, sig: &Signature, issuers: &[String], signed: &[u8]) -> Option<bool> {
    let names = |fp: &[u8], id: &[u8]| {
        let (fp, id) = (hex::encode_upper(fp), hex::encode_upper(id));
        issuers.iter().any(|i| *i == fp || *i == id)
    };
    let primary = &key.public.primary_key;
    if names(
        primary.fingerprint().as_bytes(),
        primary.legacy_key_id().as_ref(),
    ) {
        return Some(sig.verify(primary, signed).is_ok());
    }
    for sub in &key.public.public_subkeys {
        if !names(
            sub.key.fingerprint().as_bytes(),
            sub.key.legacy_key_id().as_ref(),
        ) {
            continue;
        }
        let bound = sub
            .signatures
            .iter()
            .any(|b| b.verify_subkey_binding(primary, &sub.key).is_ok() && b.key_flags().sign());
        if bound {
            return Some(sig.verify(&sub.key, signed).is_ok());
        }
    }
    None
}

/// Helm's `parseMessageBlock`: the second `\n...\n`-separated part, as YAML, `files[file_name]`.
fn file_sum(plaintext: &[u8], prov_name: &str, file_name: &str) -> Result<String> {
    let sep = b"\n...\n";
    let Some(start) = find(plaintext, sep) else {
        return Err(Error::MessageBlockParts {
            prov: prov_name.to_string(),
        });
    };
    let rest = &plaintext[start + sep.len()..];
    let part = match find(rest, sep) {
        Some(end) => &rest[..end],
        None => rest,
    };
    let bad = |reason: String| Error::MessageBlockFiles {
        prov: prov_name.to_string(),
        reason,
    };
    let value = match crate::yaml::parse(part, prov_name) {
        Ok(Some(node)) => node
            .try_resolve(prov_name)
            .map_err(|e| bad(e.to_string()))?,
        Ok(None) => Value::Null,
        Err(e) => return Err(bad(e.to_string())),
    };
    let files = match &value {
        Value::Map(m) => m.get("files"),
        Value::Null => None,
        _ => return Err(bad("not a mapping".into())),
    };
    let sum = match files {
        Some(Value::Map(files)) => files.get(file_name),
        None | Some(Value::Null) => None,
        Some(_) => return Err(bad("`files` is not a mapping".into())),
    };
    match sum {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(bad(format!(
            "the sum for {file_name:?} is not a string: {other:?}"
        ))),
        None => Err(Error::ProvenanceNoFile {
            file: file_name.to_string(),
        }),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
