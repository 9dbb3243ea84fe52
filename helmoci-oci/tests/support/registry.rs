//! The real registry (CNCF distribution, Debian `docker-registry`) on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::certs::Certs;

/// `htpasswd -Bbn helmoci s3cret-pass`.
pub const USER: &str = "helmoci";
pub const PASSWORD: &str = "s3cret-pass";
const HTPASSWD: &str = "helmoci:$2y$05$XHSD/7OuZnc8hOvTFtoFh.92JjiKITyix/ARX12C3rF8/Hu1tmVam\n";

pub const TOKEN_SERVICE: &str = "helmoci-test-registry";
pub const TOKEN_ISSUER: &str = "helmoci-test-issuer";

pub enum Auth<'a> {
    None,
    /// htpasswd Basic auth (distribution requires TLS for it).
    Basic,
    /// Token auth: realm URL and the signer's cert bundle.
    Token {
        realm: String,
        bundle: &'a Path,
    },
}

pub struct Registry {
    child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// `127.0.0.1:<port>`
    pub host: String,
    pub tls: bool,
}

impl Registry {
    pub fn binary() -> Option<PathBuf> {
        super::tool(
            "HELMOCI_REGISTRY_BIN",
            "/usr/bin/docker-registry",
            "docker-registry (Debian package docker-registry)",
        )
    }

    /// A plain-HTTP registry without auth.
    pub fn start() -> Option<Registry> {
        Self::start_with(Auth::None, None)
    }

    pub fn start_with(auth: Auth<'_>, tls: Option<&Certs>) -> Option<Registry> {
        Self::start_full(auth, tls, false)
    }

    /// With `client_certs`, TLS clients must present a certificate signed by the test CA.
    pub fn start_full(auth: Auth<'_>, tls: Option<&Certs>, client_certs: bool) -> Option<Registry> {
        let bin = Self::binary()?;
        let dir = tempfile::tempdir().unwrap();
        let port = super::free_port();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: helmoci-test-secret\n",
            dir.path().join("data").display()
        );
        if let Some(c) = tls {
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                c.server_cert.display(),
                c.server_key.display()
            ));
            if client_certs {
                cfg.push_str(&format!("    clientcas:\n      - {}\n", c.ca_pem.display()));
            }
        }
        match auth {
            Auth::None => {}
            Auth::Basic => {
                let p = dir.path().join("htpasswd");
                std::fs::write(&p, HTPASSWD).unwrap();
                cfg.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                    p.display()
                ));
            }
            Auth::Token { realm, bundle } => {
                cfg.push_str(&format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                    bundle.display()
                ));
            }
        }
        let cfg_path = dir.path().join("config.yml");
        std::fs::write(&cfg_path, cfg).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&cfg_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let reg = Registry {
            child,
            dir,
            port,
            host: format!("127.0.0.1:{port}"),
            tls: tls.is_some(),
        };
        reg.wait_ready();
        Some(reg)
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                if self.tls {
                    return;
                }
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = write!(
                    s,
                    "GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.host
                );
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("registry did not start: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `oci://127.0.0.1:<port>/<ns>`
    pub fn oci(&self, ns: &str) -> String {
        format!("oci://{}/{ns}", self.host)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
