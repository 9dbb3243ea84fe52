//! `helmoci push CHART.tgz oci://REGISTRY/NAMESPACE`: like `helm push`.

use std::path::PathBuf;

use anyhow::bail;
use helmoci_oci::push::{IfTagExists, PushOptions};
use helmoci_oci::reference::Target;

use crate::progress::{bars, Output};
use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// Flags of `helmoci push`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The packaged chart (`.tgz`).
    chart: PathBuf,
    /// Where to push: `oci://host[:port]/namespace` or `oci-layout://DIR`.
    remote: String,
    /// What to do when the tag exists: overwrite (Helm's behaviour), fail, or skip-identical.
    #[arg(long, default_value = "overwrite", value_parser = ["overwrite", "fail", "skip-identical"])]
    if_exists: String,
    /// Print one JSON object instead of Helm's lines: `reference` and `digest` (the
    /// manifest's, as in `Digest:`), and the archive's `name`, `version`, `chart_digest`,
    /// `size` and `path`.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Pushes the archive and prints Helm's `Pushed:`/`Digest:` lines.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    if args.chart.is_dir() {
        bail!("cannot push directory, must provide chart archive (.tgz)");
    }
    if !args.chart.exists() {
        bail!("{}: no such file", args.chart.display());
    }
    let target: Target = args.remote.parse()?;
    let mut opts = PushOptions::default().if_tag_exists(match args.if_exists.as_str() {
        "fail" => IfTagExists::Fail,
        "skip-identical" => IfTagExists::SkipIfIdentical,
        _ => IfTagExists::Overwrite,
    });
    let output = Output::from_json_flag(args.json);
    opts.progress = bars(output);
    let registry = registry_of(&args.remote);
    let client = args.transport.client(global, registry.as_deref())?;
    let pushed = block_on(client.push_archive(&args.chart, &target, &opts))??;
    let shown = pushed.reference.short();
    if output == Output::Json {
        // What was pushed, as checked by the push: the tag is the version (`+` as `_`).
        let path = super::absolute(&args.chart);
        let json = serde_json::json!({
            "reference": shown,
            "digest": pushed.manifest.digest.to_string(),
            "name": pushed.reference.name(),
            "version": pushed.reference.tag().map(|t| t.to_version()),
            "chart_digest": pushed.chart.digest.to_string(),
            "size": pushed.chart.size,
            "path": path,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!("Pushed: {shown}");
    println!("Digest: {}", pushed.manifest.digest);
    if pushed
        .reference
        .tag()
        .is_some_and(|t| t.as_str().contains('_'))
    {
        println!("{shown} contains an underscore.\n\nOCI artifact references (e.g. tags) do not support the plus sign (+). To support\nstoring semantic versions, Helm adopts the convention of changing plus (+) to\nan underscore (_) in chart version tags when pushing to a registry and back to\na plus (+) when pulling from a registry.");
    }
    Ok(())
}

/// The `host[:port]` of an `oci://` reference, for scoping explicit credentials.
pub fn registry_of(reference: &str) -> Option<String> {
    let rest = reference.strip_prefix("oci://")?;
    Some(rest.split('/').next().unwrap_or(rest).to_owned())
}
