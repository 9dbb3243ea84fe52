//! `helmoci copy FROM TO`: copy a chart between registries and OCI image layouts.

use helmoci_oci::copy::CopyOptions;
use helmoci_oci::reference::{ChartRef, Target};

use crate::progress::{bars, Output};
use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// Flags of `helmoci copy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart to copy: `oci://host/path/name[:tag|@digest]` or `oci-layout://DIR/name[:tag]`.
    from: String,
    /// Where to copy it: `oci://host/namespace` or `oci-layout://DIR`.
    to: String,
    /// The version to copy when FROM has no tag or digest (exact or a constraint).
    #[arg(long, allow_hyphen_values = true)]
    version: Option<String>,
    /// Print one JSON object instead of the two lines: `source` and `reference` (where the
    /// chart now is), the manifest `digest` (the same on both sides) and `blobs_copied`
    /// (blobs the destination did not have).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Copies the chart, byte for byte, and prints where it went.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let from: ChartRef = args.from.parse()?;
    let to: Target = args.to.parse()?;
    let client = args.transport.client(global, None)?;
    let mut opts = CopyOptions::default();
    opts.version = args.version.clone();
    let output = Output::from_json_flag(args.json);
    opts.progress = bars(output);
    let copied = block_on(client.copy(&from, &to, &opts))??;
    if output == Output::Json {
        let json = serde_json::json!({
            "source": copied.source.reference.short(),
            "reference": copied.reference.short(),
            "digest": copied.source.manifest.digest.to_string(),
            "blobs_copied": copied.blobs_copied,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!(
        "Copied: {} -> {}",
        copied.source.reference.short(),
        copied.reference.short()
    );
    println!("Digest: {}", copied.source.manifest.digest);
    Ok(())
}
