//! `helmoci pull oci://REGISTRY/NAMESPACE/NAME`: like `helm pull`.

use std::path::PathBuf;

use anyhow::Context;
use helmoci_core::archive::{expand, Limits};
use helmoci_oci::pull::PullOptions;
use helmoci_oci::reference::ChartRef;

use super::push::registry_of;
use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// Flags of `helmoci pull`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart: `oci://host[:port]/path/name[:tag|@digest]` or `oci-layout://DIR/name[:tag]`.
    chart: String,
    /// A version or constraint (`1.2.3`, `^1.0.0`, `>=1 <2`); default: the reference's tag,
    /// else the highest release.
    #[arg(long, allow_hyphen_values = true)]
    version: Option<String>,
    /// Allow development versions (same as `--version '>0.0.0-0'` when no version is given).
    #[arg(long)]
    devel: bool,
    /// Where to write the chart (created if missing).
    #[arg(short = 'd', long, default_value = ".", value_name = "DIR")]
    destination: PathBuf,
    /// Expand the chart into `<destination>/<name>/` instead of keeping the `.tgz`.
    #[arg(long)]
    untar: bool,
    /// With --untar: the directory (relative to --destination) to expand into.
    #[arg(long, default_value = ".", value_name = "DIR")]
    untardir: PathBuf,
    /// Also fetch the provenance file (`.prov`) when the chart has one.
    #[arg(long)]
    prov: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Pulls the chart and prints Helm's `Pulled:`/`Digest:` lines.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let chart: ChartRef = args.chart.parse()?;
    let client = args
        .transport
        .client(global, registry_of(&args.chart).as_deref())?;
    let version = match (&args.version, args.devel) {
        (None, true) => Some(">0.0.0-0".to_owned()),
        (v, _) => v.clone(),
    };
    if args.untar {
        let dir: PathBuf = args
            .destination
            .join(&args.untardir)
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let fetched = block_on(client.fetch_chart_layer(&chart, version.as_deref(), &dir))??;
        let file = std::fs::File::open(fetched.file.path())
            .context("cannot reopen the downloaded chart")?;
        let expanded = expand(
            file,
            &fetched.resolved.reference.to_string(),
            &dir,
            &Limits::default(),
        )?;
        println!("Pulled: {}", fetched.resolved.reference.short());
        println!("Digest: {}", fetched.resolved.manifest.digest);
        if global.debug {
            eprintln!("debug: expanded into {}", expanded.display());
        }
        return Ok(());
    }
    let mut opts = PullOptions::into_dir(&args.destination);
    opts.version = version;
    opts.provenance = args.prov;
    let pulled = block_on(client.pull(&chart, &opts))??;
    println!("Pulled: {}", pulled.resolved.reference.short());
    println!("Digest: {}", pulled.resolved.manifest.digest);
    Ok(())
}
