//! Push a packaged chart with the credentials a user already has: `--username/--password`
//! for this one registry if given, else `helm registry login`, `docker login` or
//! `podman login` (Helm's, Docker's and Podman's files and credential helpers).
//!
//! ```text
//! cargo run -p helmoci-examples --example push_with_docker_credentials -- dist/hello-0.1.0.tgz oci://127.0.0.1:5000/charts
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use helmoci_core::load::LoadOptions;
use helmoci_core::PackagedChart;
use helmoci_oci::credential::ConfiguredCredentials;
use helmoci_oci::push::{IfTagExists, PushOptions};
use helmoci_oci::reference::Target;
use helmoci_oci::RegistryClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [archive, remote, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: push_with_docker_credentials CHART.tgz oci://HOST/NS [--plain-http]".into(),
        );
    };
    // Hash and validate the archive in one streaming pass (nothing held in memory).
    let chart = PackagedChart::from_archive(&PathBuf::from(archive), &LoadOptions::default())?;
    let target: Target = remote.parse()?;
    let credentials =
        ConfiguredCredentials::from_env().on_warning(Arc::new(|w: &str| eprintln!("warning: {w}")));
    let client = RegistryClient::builder()
        .plain_http(rest.iter().any(|a| a == "--plain-http"))
        .credentials(credentials)
        .build()?;
    // Immutable-tag friendly: re-pushing identical content is a no-op, other content fails.
    let opts = PushOptions::default().if_tag_exists(IfTagExists::Fail);
    let pushed = client.push(&chart, &target, &opts).await?;
    println!("Pushed: {}", pushed.reference.short());
    println!("Digest: {}", pushed.manifest.digest);
    Ok(())
}
