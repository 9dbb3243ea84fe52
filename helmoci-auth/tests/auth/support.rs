//! A throwaway environment: Helm, Docker and Podman file paths and a helper directory, all
//! inside a temp dir, so no test ever sees the real HOME or PATH.

use std::fs;
use std::path::{Path, PathBuf};

use helmoci_auth::{ConfigLocations, CredentialStore, DefaultHelper};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub helm: PathBuf,
    pub docker: PathBuf,
    pub podman: PathBuf,
    pub bin: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let bin = root.join("bin");
        fs::create_dir_all(&bin).expect("bin dir");
        Env {
            helm: root.join("helm/registry/config.json"),
            docker: root.join("docker/config.json"),
            podman: root.join("containers/auth.json"),
            bin,
            dir,
        }
    }

    pub fn locations(&self) -> ConfigLocations {
        ConfigLocations {
            helm: Some(self.helm.clone()),
            docker: Some(self.docker.clone()),
            podman: vec![self.podman.clone()],
            helper_path: Some(self.bin.clone().into_os_string()),
        }
    }

    /// A store with the default helper detection off, unless a test turns it on.
    pub fn store(&self) -> CredentialStore {
        CredentialStore::new(self.locations()).default_helper(DefaultHelper::Never)
    }

    pub fn write(&self, path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    pub fn copy_fixture(&self, name: &str, to: &Path) {
        fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        fs::copy(fixture(name), to).expect("copy fixture");
    }

    /// Installs an executable `name` (e.g. `docker-credential-x`) with `script` in the helper
    /// directory.
    pub fn install(&self, name: &str, script: &str) -> PathBuf {
        let path = self.bin.join(name);
        fs::write(&path, script).expect("write script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }

    /// Installs the working test helper `docker-credential-<name>`, keeping one JSON file per
    /// server under `<tmp>/helper-store/` and logging each action to `<tmp>/helper.log`.
    pub fn install_test_helper(&self, name: &str) -> PathBuf {
        let store = self.dir.path().join("helper-store");
        let log = self.dir.path().join("helper.log");
        let script = TEST_HELPER
            .replace("@STORE@", &store.display().to_string())
            .replace("@LOG@", &log.display().to_string());
        self.install(&format!("docker-credential-{name}"), &script)
    }

    pub fn helper_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("helper.log")).unwrap_or_default()
    }

    pub fn helper_entries(&self) -> usize {
        fs::read_dir(self.dir.path().join("helper-store"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// A real credential helper in POSIX sh: get|store|erase|list over one JSON file per server
/// (named by the hex of the server key), answering exactly like docker-credential-helpers.
const TEST_HELPER: &str = r#"#!/bin/sh
store='@STORE@'
echo "$1" >> '@LOG@'
mkdir -p "$store"
keyfile() { printf '%s/%s' "$store" "$(printf %s "$1" | od -An -tx1 | tr -d ' \n')"; }
case "$1" in
get)
  f=$(keyfile "$(cat)")
  if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
store)
  input=$(cat)
  key=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
  if [ -z "$key" ]; then echo "store: no ServerURL"; exit 1; fi
  printf %s "$input" > "$(keyfile "$key")" ;;
erase)
  f=$(keyfile "$(cat)")
  if [ -f "$f" ]; then rm "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
list)
  printf '{'; sep=''
  for f in "$store"/*; do
    [ -f "$f" ] || continue
    url=$(sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p' "$f")
    user=$(sed -n 's/.*"Username":"\([^"]*\)".*/\1/p' "$f")
    printf '%s"%s":"%s"' "$sep" "$url" "$user"; sep=','
  done
  printf '}' ;;
*) echo "unknown action: $1"; exit 1 ;;
esac
"#;
