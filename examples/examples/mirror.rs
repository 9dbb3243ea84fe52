//! Mirror every version of a chart from one place to another — registry to registry, or
//! registry to an OCI image layout on disk (for air-gapped installs) — byte for byte.
//!
//! ```text
//! cargo run -p helmoci-examples --example mirror -- oci://127.0.0.1:5000/charts/hello oci-layout:///tmp/mirror --plain-http
//! ```

use helmoci_oci::copy::CopyOptions;
use helmoci_oci::credential::ConfiguredCredentials;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::RegistryClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [from, to, rest @ ..] = args.as_slice() else {
        return Err("usage: mirror FROM_CHART TO_TARGET [--plain-http]".into());
    };
    let from: ChartRef = from.parse()?;
    let to: Target = to.parse()?;
    let client = RegistryClient::builder()
        .plain_http(rest.iter().any(|a| a == "--plain-http"))
        .credentials(ConfiguredCredentials::from_env())
        .build()?;
    let tags = client.tags(&from).await?;
    for version in &tags.versions {
        let mut opts = CopyOptions::default();
        opts.version = Some(version.clone());
        let copied = client.copy(&from, &to, &opts).await?;
        println!(
            "{} -> {} ({} blobs copied)",
            copied.source.reference.short(),
            copied.reference.short(),
            copied.blobs_copied
        );
    }
    for skipped in &tags.skipped {
        eprintln!("not mirrored: {skipped}");
    }
    Ok(())
}
