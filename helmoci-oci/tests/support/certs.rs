//! Certificates made with the `openssl` CLI: a CA, a server certificate for 127.0.0.1, a
//! client certificate, and an ECDSA P-256 token-signing key with its self-signed cert.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Certs {
    pub dir: PathBuf,
    pub ca_pem: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `None` (skip) when openssl is missing.
pub fn make(dir: &Path) -> Option<Certs> {
    super::tool("HELMOCI_OPENSSL", "openssl", "openssl CLI")?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("client.ext"),
        "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=helmoci test CA",
        ],
    );
    for who in ["server", "client"] {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{who}.key"),
                "-out",
                &format!("{who}.csr"),
                "-subj",
                &format!("/CN={who}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{who}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &format!("{who}.pem"),
                "-extfile",
                &format!("{who}.ext"),
            ],
        );
    }
    Some(Certs {
        dir: dir.to_owned(),
        ca_pem: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    })
}

/// A token-signing key: PKCS#8 DER, and its self-signed cert as PEM (the registry's
/// `rootcertbundle`) and DER (the JWT `x5c`).
pub struct SigningKey {
    pub pkcs8_der: Vec<u8>,
    pub cert_pem: PathBuf,
    pub cert_der: Vec<u8>,
}

pub fn signing_key(dir: &Path) -> Option<SigningKey> {
    super::tool("HELMOCI_OPENSSL", "openssl", "openssl CLI")?;
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tok.key",
            "-out",
            "tok.pem",
            "-days",
            "2",
            "-subj",
            "/CN=helmoci token signer",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "tok.key", "-outform", "DER", "-out", "tok.p8",
        ],
    );
    openssl(
        dir,
        &[
            "x509", "-in", "tok.pem", "-outform", "DER", "-out", "tok.der",
        ],
    );
    Some(SigningKey {
        pkcs8_der: std::fs::read(dir.join("tok.p8")).unwrap(),
        cert_pem: dir.join("tok.pem"),
        cert_der: std::fs::read(dir.join("tok.der")).unwrap(),
    })
}
