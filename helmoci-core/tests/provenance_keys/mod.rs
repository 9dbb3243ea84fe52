//! Test OpenPGP keys made on the fly with GnuPG (Debian package `gnupg`), in a throw-away
//! `GNUPGHOME`. No key is committed. With `CI=true` a missing `gpg` fails the test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A private GnuPG home with keys generated for one test.
pub struct Gpg {
    home: tempfile::TempDir,
    bin: PathBuf,
}

/// A generated key.
pub struct TestKey {
    /// Its user ID, e.g. `Alice Test <alice@example.com>`.
    pub uid: String,
    /// Primary key fingerprint, upper-case hex.
    pub fingerprint: String,
}

impl Gpg {
    /// A fresh GnuPG home, or `None` (skip) when `gpg` is missing and `CI` is not `true`.
    pub fn new() -> Option<Gpg> {
        let bin = std::env::var_os("HELMOCI_GPG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("gpg"));
        let ok = Command::new(&bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but gpg is missing (apt-get install gnupg; run scripts/test.sh)");
            }
            eprintln!("note: skipping, gpg not found (apt-get install gnupg)");
            return None;
        }
        // Short path: gpg-agent's socket path must fit in sun_path.
        let home = tempfile::Builder::new()
            .prefix("hg")
            .tempdir_in("/tmp")
            .expect("GNUPGHOME");
        Some(Gpg { home, bin })
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("GNUPGHOME", self.home.path()).args([
            "--batch",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
        ]);
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        use std::io::Write as _;
        let mut c = self.cmd();
        c.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn gpg");
        let input = stdin.unwrap_or_default().to_vec();
        let mut pipe = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().expect("gpg runs");
        writer.join().expect("stdin writer");
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Generates a signing key. `expire` is gpg's (`1y`, `1d`, `never`); `faked_time` makes gpg
    /// believe it is that moment (`20200101T000000`), to create already-expired keys.
    pub fn gen_key(
        &self,
        uid: &str,
        algo: &str,
        expire: &str,
        passphrase: Option<&str>,
        faked_time: Option<&str>,
    ) -> TestKey {
        let mut args = vec!["--passphrase", passphrase.unwrap_or("")];
        if let Some(t) = faked_time {
            args.extend(["--faked-system-time", t]);
        }
        args.extend(["--quick-gen-key", uid, algo, "sign", expire]);
        self.run(&args, None);
        let listing = String::from_utf8(self.run(&["--with-colons", "--list-keys", uid], None))
            .expect("utf-8 listing");
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| f.len() == 40))
            .expect("fingerprint")
            .to_string();
        TestKey {
            uid: uid.to_string(),
            fingerprint,
        }
    }

    /// Sets the key's preference list (`setpref`), e.g. `SHA256 AES256 ZLIB Uncompressed`.
    pub fn set_prefs(&self, uid: &str, prefs: &str) {
        let script = format!("setpref {prefs}\ny\nsave\n");
        self.run(
            &["--command-fd", "0", "--edit-key", uid],
            Some(script.as_bytes()),
        );
    }

    /// `gpg --export-secret-keys > path` (binary, as Helm's `--keyring` needs for signing).
    /// `passphrase` is the one protecting the keys (loopback mode needs it to export).
    pub fn export_secret(&self, path: &Path, passphrase: &str, uids: &[&str]) {
        let mut args = vec!["--passphrase", passphrase, "--export-secret-keys"];
        args.extend(uids);
        std::fs::write(path, self.run(&args, None)).expect("write secret keyring");
    }

    /// `gpg --export [--armor] > path` for the given user IDs (all keys when empty).
    pub fn export_public(&self, path: &Path, armor: bool, uids: &[&str]) {
        let mut args = vec!["--export"];
        if armor {
            args.push("--armor");
        }
        args.extend(uids);
        std::fs::write(path, self.run(&args, None)).expect("write public keyring");
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        // Stop the agent this home started; it is ours alone.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
