//! Test harness: the real registry (`docker-registry`), Helm (`helm_python`), skopeo,
//! certificates (openssl CLI), a token server and a fault-injecting HTTP server.
//!
//! Missing tools skip the test with a note, or fail it when `CI=true`.
#![allow(dead_code)]

pub mod certs;
pub mod helm;
pub mod http;
pub mod registry;
pub mod skopeo;
pub mod token;

use std::path::{Path, PathBuf};

use helmoci_core::metadata::ChartMetadata;
use helmoci_core::package::PackagedChart;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A tool from `env` (or `default`), or `None` (skip) unless `CI=true` (panic).
pub fn tool(env: &str, default: &str, what: &str) -> Option<PathBuf> {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    let found = if path.is_absolute() {
        path.is_file()
    } else {
        which(&path).is_some()
    };
    if found {
        return Some(if path.is_absolute() {
            path
        } else {
            which(&path).unwrap()
        });
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what} not found at {} (set {env}); CI=true requires it",
            path.display()
        );
    }
    eprintln!(
        "note: skipping: {what} not found at {} (set {env})",
        path.display()
    );
    None
}

fn which(name: &Path) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Skips the test (returns early) when the tool is missing.
#[macro_export]
macro_rules! require {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Ok(()),
        }
    };
}

/// The chart fixture's metadata (what Helm puts in its config blob for it).
pub fn demo_metadata(name: &str, version: &str) -> ChartMetadata {
    ChartMetadata {
        name: name.into(),
        version: version.into(),
        description: "A Helm chart for Kubernetes".into(),
        api_version: "v2".into(),
        app_version: "1.16.0".into(),
        chart_type: "application".into(),
        ..Default::default()
    }
}

/// Writes a chart directory whose Chart.yaml matches [`demo_metadata`].
pub fn write_chart_dir(root: &Path, name: &str, version: &str, extra_bytes: usize) -> PathBuf {
    let dir = root.join(format!("src-{name}-{version}")).join(name);
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: {name}\ndescription: A Helm chart for Kubernetes\ntype: application\nversion: {version}\nappVersion: \"1.16.0\"\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "replicaCount: 1\n").unwrap();
    let mut cm = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n",
    );
    // Pseudo-random payload so big charts do not compress to nothing.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut line = String::new();
    for i in 0..extra_bytes / 64 {
        line.clear();
        for _ in 0..6 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line.push_str(&format!("{x:x}"));
        }
        cm.push_str(&format!("  k{i}: \"{line}\"\n"));
    }
    std::fs::write(dir.join("templates/cm.yaml"), cm).unwrap();
    dir
}

/// A [`PackagedChart`] for an existing `.tgz` (hashing it).
pub fn packaged(path: &Path, metadata: ChartMetadata) -> PackagedChart {
    let mut w = helmoci_core::digest::HashingWriter::new(std::io::sink());
    std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut w).unwrap();
    let (_, digest, size) = w.finish();
    PackagedChart {
        path: path.to_owned(),
        digest,
        size,
        metadata,
    }
}

/// Writes a small fake `.tgz` (not a real chart; enough for registry plumbing tests).
pub fn fake_chart(dir: &Path, name: &str, version: &str, size: usize) -> PackagedChart {
    let path = dir.join(format!("{name}-{version}.tgz"));
    let mut bytes = Vec::with_capacity(size);
    let mut x: u32 = 12345 ^ size as u32;
    for _ in 0..size {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    std::fs::write(&path, &bytes).unwrap();
    packaged(&path, demo_metadata(name, version))
}

/// Files directly in `dir` (no temp leftovers allowed).
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
