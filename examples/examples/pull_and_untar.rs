//! Pull a chart by a version constraint and expand it, like
//! `helm pull oci://…/NAME --version '^0.1.0' --untar`, with credentials from the Helm,
//! Docker or Podman configuration already on the machine.
//!
//! ```text
//! cargo run -p helmoci-examples --example pull_and_untar -- oci://127.0.0.1:5000/charts/hello '^0.1.0' /tmp/out --plain-http
//! ```

use std::path::PathBuf;

use helmoci_core::archive::{expand, Limits};
use helmoci_oci::credential::ConfiguredCredentials;
use helmoci_oci::reference::ChartRef;
use helmoci_oci::RegistryClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [chart, version, dest, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: pull_and_untar oci://HOST/NS/NAME VERSION_OR_CONSTRAINT DEST [--plain-http]"
                .into(),
        );
    };
    let chart: ChartRef = chart.parse()?;
    let client = RegistryClient::builder()
        .plain_http(rest.iter().any(|a| a == "--plain-http"))
        .credentials(ConfiguredCredentials::from_env())
        .build()?;
    let dest = PathBuf::from(dest);
    std::fs::create_dir_all(&dest)?;
    // The layer lands in a verified temp file beside the destination…
    let fetched = client
        .fetch_chart_layer(&chart, Some(version), &dest)
        .await?;
    // …and is expanded with the loader's safety rules into DEST/<chart name>/, atomically.
    let dir = expand(
        std::fs::File::open(fetched.file.path())?,
        &fetched.resolved.reference.to_string(),
        &dest,
        &Limits::default(),
    )?;
    println!("Pulled: {}", fetched.resolved.reference.short());
    println!("Digest: {}", fetched.resolved.manifest.digest);
    println!("Expanded into {}", dir.display());
    Ok(())
}
