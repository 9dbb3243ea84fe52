//! skopeo, with an accept-anything policy of its own.

use std::path::PathBuf;
use std::process::Command;

pub struct Skopeo {
    bin: PathBuf,
    policy: tempfile::NamedTempFile,
}

impl Skopeo {
    pub fn new() -> Option<Skopeo> {
        let bin = super::tool("HELMOCI_SKOPEO_BIN", "/usr/bin/skopeo", "skopeo")?;
        let policy = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            policy.path(),
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        Some(Skopeo { bin, policy })
    }

    /// Runs skopeo with `args`; stdout, or stderr as the error.
    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(&self.bin)
            .arg("--policy")
            .arg(self.policy.path())
            .args(args)
            .env("HOME", std::env::temp_dir())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}
