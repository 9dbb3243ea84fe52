//! No input makes provenance parsing panic: arbitrary bytes, and mutations of a real `.prov`.
#![cfg(feature = "provenance")]

use std::path::Path;

use helmoci_core::digest::Digest;
use helmoci_core::provenance::{self, Keyring};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/provenance")
            .join(name),
    )
    .unwrap()
}

fn ring() -> Keyring {
    Keyring::from_bytes(&fixture("helm-test-key.pub"), "helm-test-key.pub").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_as_prov_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let d = Digest::sha256_of(&data);
        let _ = provenance::verify_bytes(&data, "p", "x.tgz", &d, &ring());
    }

    #[test]
    fn mutated_prov_never_panics(pos in 0usize..689, byte in any::<u8>()) {
        let mut data = fixture("hashtest-1.2.3.tgz.prov");
        let pos = pos % data.len();
        data[pos] = byte;
        let d: Digest = "sha256:c6841b3a895f1444a6738b5d04564a57e860ce42f8519c3be807fb6d9bee7888".parse().unwrap();
        if let Ok(v) = provenance::verify_bytes(&data, "p", "hashtest-1.2.3.tgz", &d, &ring()) {
            // Only changes the cleartext framework ignores (trailing blanks, armor headers,
            // the CRC line, line ends) may still verify.
            prop_assert_eq!(v.file_name, "hashtest-1.2.3.tgz");
        }
    }

    #[test]
    fn arbitrary_prefixed_prov_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let mut data = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\na\n...\nfiles:\n  x.tgz: y\n-----BEGIN PGP SIGNATURE-----\n\n".to_vec();
        data.extend(tail);
        let d = Digest::sha256_of(b"");
        let _ = provenance::verify_bytes(&data, "p", "x.tgz", &d, &ring());
    }

    #[test]
    fn arbitrary_keyrings_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Keyring::from_bytes(&data, "k");
        let mut armored = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n".to_vec();
        armored.extend(&data);
        let _ = Keyring::from_bytes(&armored, "k");
    }
}

#[test]
fn mutated_keyring_bytes_never_panic() {
    let key = fixture("helm-test-key.pub");
    for i in 0..key.len() {
        for b in [0u8, 0xff, key[i] ^ 0x01] {
            let mut k = key.clone();
            k[i] = b;
            let _ = Keyring::from_bytes(&k, "k");
        }
    }
}
