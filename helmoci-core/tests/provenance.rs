//! Provenance (`.prov`) format and verification against Helm's own test vectors
//! (`pkg/provenance/testdata` of helm/helm: `hashtest-1.2.3.tgz`, its `.prov`, and Helm's
//! published test key `helm-test-key.{pub,secret}` — a test key, never to be trusted).
#![cfg(feature = "provenance")]

use std::path::{Path, PathBuf};

use helmoci_core::digest::Digest;
use helmoci_core::provenance::{self, Keyring};
use helmoci_core::Error;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/provenance")
        .join(name)
}

fn helm_pub() -> Keyring {
    Keyring::load(&fixture("helm-test-key.pub")).expect("Helm's public test key loads")
}

const HELM_FP: &str = "5E615389B53CA37F0EE60BD3843BBF981FC18762";

#[test]
fn helm_vector_verifies() {
    let tgz = fixture("hashtest-1.2.3.tgz");
    let v = provenance::verify(&tgz, &provenance::prov_path(&tgz), &helm_pub()).unwrap();
    assert_eq!(v.fingerprint, HELM_FP);
    assert_eq!(
        v.file_hash,
        "sha256:c6841b3a895f1444a6738b5d04564a57e860ce42f8519c3be807fb6d9bee7888"
    );
    assert_eq!(v.file_name, "hashtest-1.2.3.tgz");
    assert_eq!(
        v.signed_by,
        vec!["Helm Testing (This key should only be used for testing. DO NOT TRUST.) <helm-testing@helm.sh>"]
    );
    println!("{}", v.report());
}

#[test]
fn helm_msgblock_verifies_and_tampered_fails() {
    let ring = helm_pub();
    let digest: Digest = "sha256:c6841b3a895f1444a6738b5d04564a57e860ce42f8519c3be807fb6d9bee7888"
        .parse()
        .unwrap();
    let good = std::fs::read(fixture("msgblock.yaml.asc")).unwrap();
    provenance::verify_bytes(
        &good,
        "msgblock.yaml.asc",
        "hashtest-1.2.3.tgz",
        &digest,
        &ring,
    )
    .expect("Helm's msgblock.yaml.asc verifies");
    let bad = std::fs::read(fixture("msgblock.yaml.tampered")).unwrap();
    let err = provenance::verify_bytes(&bad, "tampered", "hashtest-1.2.3.tgz", &digest, &ring)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
}

#[test]
fn secret_keyring_loads_both_forms() {
    let ring = Keyring::load(&fixture("helm-test-key.secret")).unwrap();
    assert_eq!(ring.fingerprints(), vec![HELM_FP.to_string()]);
    let dbg = format!("{ring:?}");
    assert!(dbg.contains(HELM_FP) && dbg.contains("(secret)"), "{dbg}");
}

fn copy_hashtest(dir: &Path) -> PathBuf {
    let tgz = dir.join("hashtest-1.2.3.tgz");
    std::fs::copy(fixture("hashtest-1.2.3.tgz"), &tgz).unwrap();
    tgz
}

/// The text part (everything up to the signature armor) of a `.prov`.
fn signed_part(prov: &str) -> &str {
    &prov[..prov.find("-----BEGIN PGP SIGNATURE-----").unwrap()]
}

#[test]
fn sign_writes_helms_text_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = copy_hashtest(dir.path());
    let secret = Keyring::load(&fixture("helm-test-key.secret")).unwrap();
    let prov = provenance::sign(&tgz, &secret, "helm-testing@helm.sh", None).unwrap();
    assert_eq!(prov, dir.path().join("hashtest-1.2.3.tgz.prov"));
    let ours = std::fs::read_to_string(&prov).unwrap();
    let helms = std::fs::read_to_string(fixture("hashtest-1.2.3.tgz.prov")).unwrap();
    // Helm v4 (go-crypto v1.4) signs the text's final newline: an empty line precedes the
    // armor, which the v3-era fixture does not have.
    assert_eq!(signed_part(&ours), format!("{}\n", signed_part(&helms)));
    assert!(ours.ends_with("\n-----END PGP SIGNATURE-----"), "{ours}");
    assert!(!ours.contains("\n="), "v4 writes no CRC24 line: {ours}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&prov).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    let v = provenance::verify(&tgz, &prov, &helm_pub()).unwrap();
    assert_eq!(v.fingerprint, HELM_FP);
    // Our own secret keyring verifies too.
    provenance::verify(&tgz, &prov, &secret).unwrap();
}

#[test]
fn key_selection_follows_helm() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = copy_hashtest(dir.path());
    let secret = Keyring::load(&fixture("helm-test-key.secret")).unwrap();
    let err = provenance::sign(&tgz, &secret, "nobody@example.com", None).unwrap_err();
    assert!(matches!(err, Error::PrivateKeyNotFound { .. }), "{err}");
    assert!(
        err.to_string().starts_with("private key not found"),
        "{err}"
    );
    let err = provenance::sign(&tgz, &helm_pub(), "helm-testing", None).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "provided key is not a private key. Try providing a keyring with secret keys"
        ),
        "{err}"
    );
    // Two keys that both contain "helm": ambiguous.
    let mut both = std::fs::read(fixture("helm-test-key.secret")).unwrap();
    both.extend(std::fs::read(fixture("helm-password-key.secret")).unwrap());
    let ring = Keyring::from_bytes(&both, "both.gpg").unwrap();
    assert_eq!(ring.len(), 2);
    let err = provenance::sign(&tgz, &ring, "helm", None).unwrap_err();
    assert_eq!(err.to_string(), "more than one key contain the id \"helm\"");
    assert!(!prov_exists(&tgz));
}

fn prov_exists(tgz: &Path) -> bool {
    provenance::prov_path(tgz).exists()
}

#[test]
fn passphrase_protected_key() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = copy_hashtest(dir.path());
    let ring = Keyring::load(&fixture("helm-password-key.secret")).unwrap();
    let id = "password";
    let err = provenance::sign(&tgz, &ring, id, None).unwrap_err();
    assert!(err.to_string().contains("--passphrase-file"), "{err}");
    let err = provenance::sign(&tgz, &ring, id, Some("secrets_and_lies")).unwrap_err();
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert!(!err.to_string().contains("secrets_and_lies"));
    assert!(!prov_exists(&tgz));
    let prov = provenance::sign(&tgz, &ring, id, Some("secret")).unwrap();
    let v = provenance::verify(&tgz, &prov, &ring).unwrap();
    assert_eq!(v.fingerprint, ring.fingerprints()[0]);
    // Signed by another key than the keyring's: unknown signer.
    let err = provenance::verify(&tgz, &prov, &helm_pub()).unwrap_err();
    assert!(matches!(err, Error::UnknownSigner { .. }), "{err}");
    assert!(err.to_string().contains("unknown entity"), "{err}");
}

#[test]
fn verify_checks_in_helms_order() {
    let dir = tempfile::tempdir().unwrap();
    let ring = helm_pub();
    let tgz = copy_hashtest(dir.path());
    let prov = fixture("hashtest-1.2.3.tgz.prov");
    // Not .tgz.
    let err = provenance::verify(&dir.path().join("x.tar.gz"), &prov, &ring).unwrap_err();
    assert!(
        err.to_string().ends_with("chart must be a tgz file"),
        "{err}"
    );
    // A directory.
    let d = dir.path().join("dir.tgz");
    std::fs::create_dir(&d).unwrap();
    let err = provenance::verify(&d, &prov, &ring).unwrap_err();
    assert!(
        err.to_string()
            .contains("unpacked charts cannot be verified"),
        "{err}"
    );
    // No .prov.
    let err = provenance::verify(&tgz, &provenance::prov_path(&tgz), &ring).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not load provenance file"),
        "{err}"
    );
    // No signature block.
    let p = dir.path().join("empty.prov");
    std::fs::write(&p, "apiVersion: v1\n").unwrap();
    let err = provenance::verify(&tgz, &p, &ring).unwrap_err();
    assert!(
        err.to_string().ends_with("signature block not found"),
        "{err}"
    );
    // Tampered archive: the signature is fine, the sum is not.
    let mut bytes = std::fs::read(&tgz).unwrap();
    bytes.push(0);
    std::fs::write(&tgz, &bytes).unwrap();
    let err = provenance::verify(&tgz, &prov, &ring).unwrap_err();
    assert!(matches!(err, Error::ProvenanceHashMismatch { .. }), "{err}");
    assert!(err.to_string().starts_with(
        "sha256 sum does not match for hashtest-1.2.3.tgz: \"sha256:c6841b3a895f1444a6738b5d04564a57e860ce42f8519c3be807fb6d9bee7888\" != \"sha256:"
    ), "{err}");
    // Renamed archive: no sum for that name.
    let renamed = dir.path().join("renamed-1.2.3.tgz");
    std::fs::copy(fixture("hashtest-1.2.3.tgz"), &renamed).unwrap();
    let err = provenance::verify(&renamed, &prov, &ring).unwrap_err();
    assert_eq!(
        err.to_string(),
        "provenance does not contain a SHA for a file named \"renamed-1.2.3.tgz\""
    );
}

#[test]
fn tampered_prov_is_rejected() {
    let ring = helm_pub();
    let tgz = fixture("hashtest-1.2.3.tgz");
    let digest: Digest = "sha256:c6841b3a895f1444a6738b5d04564a57e860ce42f8519c3be807fb6d9bee7888"
        .parse()
        .unwrap();
    let good = std::fs::read_to_string(provenance::prov_path(&tgz)).unwrap();
    // Text changed.
    let bad = good.replace("Test chart versioning", "Test chart versioninG");
    let err = provenance::verify_bytes(bad.as_bytes(), "p", "hashtest-1.2.3.tgz", &digest, &ring)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
    assert!(err.to_string().contains(HELM_FP), "{err}");
    // Armor changed (CRC no longer matches).
    let bad = good.replace("wsBcBAEBCgAQ", "wsBcBAEBCgAR");
    let err = provenance::verify_bytes(bad.as_bytes(), "p", "hashtest-1.2.3.tgz", &digest, &ring)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SignatureMalformed { .. } | Error::SignatureInvalid { .. }
        ),
        "{err}"
    );
    // Trailing blanks are not signed: adding some keeps the signature valid.
    let spaced = good.replace("name: hashtest\n", "name: hashtest  \t\n");
    provenance::verify_bytes(spaced.as_bytes(), "p", "hashtest-1.2.3.tgz", &digest, &ring).unwrap();
}

#[test]
fn message_without_separator_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Keyring::load(&fixture("helm-test-key.secret")).unwrap();
    let text = "name: x\nfiles:\n  x.tgz: sha256:00\n";
    let prov = provenance::sign_message(text, &secret, "helm-testing", None).unwrap();
    let digest = Digest::sha256_of(b"");
    let err =
        provenance::verify_bytes(prov.as_bytes(), "p", "x.tgz", &digest, &secret).unwrap_err();
    assert_eq!(
        err.to_string(),
        "p: message block must have at least two parts"
    );
    // Dash-escaping of signed lines that start with '-'.
    let text = "- a\n---\n...\nfiles:\n  x.tgz: sha256:00\n";
    let prov = provenance::sign_message(text, &secret, "helm-testing", None).unwrap();
    assert!(prov.contains("\n- - a\n- ---\n"), "{prov}");
    let err =
        provenance::verify_bytes(prov.as_bytes(), "p", "x.tgz", &digest, &secret).unwrap_err();
    assert!(matches!(err, Error::ProvenanceHashMismatch { .. }), "{err}");
    let _ = dir;
}
