//! The helmoci quickstart: package a sample chart, push it, list its tags, pull it back by a
//! version constraint, and verify it — on a local OCI image layout (no server needed), or
//! on a registry with `--registry oci://HOST:PORT/NAMESPACE [--plain-http]`.
//!
//! ```text
//! cargo run --release -p helmoci-examples --example quickstart
//! cargo run --release -p helmoci-examples --example quickstart -- --registry oci://127.0.0.1:5000/charts --plain-http
//! ```

use std::path::{Path, PathBuf};

use helmoci_core::load::load;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::RegistryClient;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mut registry = None;
    let mut plain_http = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--registry" => registry = args.next(),
            "--plain-http" => plain_http = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; use --registry URL [--plain-http]"
                )
                .into())
            }
        }
    }
    let work = tempfile::tempdir()?;
    let chart_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/hello");

    // 1. Package, reproducibly: every entry is stamped with one fixed instant.
    let packaged = package(
        &chart_dir,
        &PackageOptions {
            destination: work.path().join("packages"),
            mtime: Some(Timestamp::from_unix(1_700_000_000)),
            ..PackageOptions::default()
        },
    )?;
    println!(
        "1. packaged {} ({} bytes)",
        packaged.path.display(),
        packaged.size
    );
    println!("   digest   {}", packaged.digest);

    // 2. Push to an OCI image layout (the embedded default) or a registry.
    let target_text = match &registry {
        Some(r) => r.clone(),
        None => format!("oci-layout://{}", work.path().join("layout").display()),
    };
    let target: Target = target_text.parse()?;
    let client = RegistryClient::builder().plain_http(plain_http).build()?;
    let pushed = client
        .push(&packaged, &target, &PushOptions::default())
        .await?;
    println!("2. pushed   {}", pushed.reference);
    println!("   manifest {}", pushed.manifest.digest);

    // 3. List the chart's versions.
    let chart: ChartRef = format!(
        "{}/{}",
        target_text.trim_end_matches('/'),
        packaged.metadata.name
    )
    .parse()?;
    let tags = client.tags(&chart).await?;
    println!("3. tags     {}", tags.versions.join(", "));

    // 4. Pull it back by a constraint, the version `helm pull --version '^0.1.0'` picks.
    let out: PathBuf = work.path().join("pulled");
    let pulled = client
        .pull(&chart, &PullOptions::into_dir(&out).version("^0.1.0"))
        .await?;
    println!(
        "4. pulled   ^0.1.0 = {} -> {}",
        pulled.resolved.reference,
        pulled.path.display()
    );
    println!("   manifest {}", pulled.resolved.manifest.digest);

    // 5. Verify: same bytes, same digest, and it loads as the same chart.
    let bytes = std::fs::read(&pulled.path)?;
    let digest = helmoci_core::digest::Digest::sha256_of(&bytes);
    if digest != packaged.digest {
        return Err(format!(
            "digest mismatch: pulled {digest}, pushed {}",
            packaged.digest
        )
        .into());
    }
    let loaded = load(&pulled.path)?;
    if loaded.metadata != packaged.metadata {
        return Err("the pulled chart's metadata differs from the packaged one".into());
    }
    println!(
        "5. verified {digest}: {} {} with {} templates",
        loaded.metadata.name,
        loaded.metadata.version,
        loaded.templates.len()
    );
    println!("OK");
    Ok(())
}
