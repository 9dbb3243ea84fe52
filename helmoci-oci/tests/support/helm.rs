//! Real Helm v4 through the `helm_python` SDK, run as a subprocess with its own
//! configuration and cache directories.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Helm {
    python: PathBuf,
    home: tempfile::TempDir,
    /// Set before `helm_python` is imported (its Go TLS reads it once).
    pub ssl_cert_file: Option<PathBuf>,
}

impl Helm {
    pub fn new() -> Option<Helm> {
        let python = super::tool(
            "HELMOCI_PYTHON",
            "/tmp/hvenv/bin/python",
            "Helm SDK python (helm_python)",
        )?;
        Some(Helm {
            python,
            home: tempfile::tempdir().unwrap(),
            ssl_cert_file: None,
        })
    }

    /// Empties Helm's cache home (repository indexes and the content cache), for cold-cache
    /// timings.
    #[allow(dead_code)]
    pub fn clear_caches(&self) {
        let _ = std::fs::remove_dir_all(self.home.path().join("cache"));
    }

    /// Runs a Python snippet with `h` = helm_python and `args` = the JSON-decoded arguments;
    /// the snippet assigns `out`, printed as JSON. Panics with Helm's error on failure.
    pub fn run(&self, snippet: &str, args: serde_json::Value) -> serde_json::Value {
        self.try_run(snippet, args)
            .unwrap_or_else(|e| panic!("helm failed: {e}"))
    }

    pub fn try_run(
        &self,
        snippet: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let script = format!(
            "import json, sys\nimport helm_python as h\nargs = json.loads(sys.argv[1])\nout = None\n{snippet}\nprint('@@OUT@@' + json.dumps(out))\n"
        );
        let home = self.home.path();
        let mut cmd = Command::new(&self.python);
        cmd.arg("-c")
            .arg(script)
            .arg(args.to_string())
            .env("HOME", home)
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_DATA_HOME", home.join("data"))
            .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
            .env("DOCKER_CONFIG", home.join("docker"))
            .env("NO_PROXY", "127.0.0.1,localhost");
        if let Some(c) = &self.ssl_cert_file {
            cmd.env("SSL_CERT_FILE", c);
        }
        let out = run_bounded(cmd, std::time::Duration::from_secs(180))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "{}\n{stdout}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("@@OUT@@"))
            .ok_or_else(|| format!("no output: {stdout}"))?;
        serde_json::from_str(line).map_err(|e| e.to_string())
    }

    /// `helm package DIR -d OUT`; the archive's path.
    pub fn package(&self, chart_dir: &Path, out: &Path) -> PathBuf {
        let v = self.run(
            "out = str(h.package(args['dir'], destination=args['out']))",
            serde_json::json!({"dir": chart_dir, "out": out}),
        );
        PathBuf::from(v.as_str().unwrap())
    }

    /// `helm push TGZ REMOTE --plain-http`.
    pub fn push(&self, tgz: &Path, remote: &str) -> serde_json::Value {
        self.run(
            "out = h.push(args['tgz'], args['remote'], plain_http=True)",
            serde_json::json!({"tgz": tgz, "remote": remote}),
        )
    }

    /// `helm pull REF --version V -d DEST --plain-http`.
    pub fn pull(&self, reference: &str, version: Option<&str>, dest: &Path) -> serde_json::Value {
        self.run(
            "out = h.pull(args['ref'], version=args['version'], destination=args['dest'], plain_http=True)",
            serde_json::json!({"ref": reference, "version": version, "dest": dest}),
        )
    }

    pub fn try_pull(
        &self,
        reference: &str,
        version: Option<&str>,
        dest: &Path,
    ) -> Result<serde_json::Value, String> {
        self.try_run(
            "out = h.pull(args['ref'], version=args['version'], destination=args['dest'], plain_http=True)",
            serde_json::json!({"ref": reference, "version": version, "dest": dest}),
        )
    }

    /// Tags as Helm's registry client lists them.
    pub fn tags(&self, reference: &str) -> Vec<String> {
        let v = self.run(
            "out = h.RegistryClient(plain_http=True).tags(args['ref'])",
            serde_json::json!({"ref": reference}),
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    }
}

/// Runs `cmd`, killing it after `limit` so a stuck Helm never hangs the test suite.
fn run_bounded(
    mut cmd: Command,
    limit: std::time::Duration,
) -> Result<std::process::Output, String> {
    use std::process::Stdio;
    let out_file = tempfile::tempfile().map_err(|e| e.to_string())?;
    let err_file = tempfile::tempfile().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(err_file.try_clone().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("helm timed out after {limit:?}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut v = Vec::new();
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let _ = f.read_to_end(&mut v);
        v
    };
    Ok(std::process::Output {
        status,
        stdout: read(out_file),
        stderr: read(err_file),
    })
}
