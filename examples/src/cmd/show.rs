//! `helmoci show chart|values|readme|crds|all CHART`: like `helm show`.

use anyhow::Context;
use helmoci_core::load::{load, load_archive_file, LoadOptions};
use helmoci_core::show::{show, ShowFormat};
use helmoci_oci::reference::ChartRef;

use super::push::registry_of;
use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// Which part to show.
#[derive(Debug, clap::Subcommand)]
pub enum Which {
    /// Show the chart's Chart.yaml.
    Chart(Target),
    /// Show the chart's values.yaml.
    Values(Target),
    /// Show the chart's README.
    Readme(Target),
    /// Show the chart's CRDs.
    Crds(Target),
    /// Show all of the above.
    All(Target),
}

/// The chart to show.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// A chart directory, a `.tgz`, or `oci://host/path/name[:tag|@digest]` /
    /// `oci-layout://DIR/name[:tag]`.
    chart: String,
    /// For a remote chart: a version or constraint.
    #[arg(long, allow_hyphen_values = true)]
    version: Option<String>,
    /// For a remote chart: allow development versions.
    #[arg(long)]
    devel: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Prints the requested part exactly as Helm does (stdout carries only that).
pub fn run(which: Which, global: &Global) -> anyhow::Result<()> {
    let (format, target) = match which {
        Which::Chart(t) => (ShowFormat::Chart, t),
        Which::Values(t) => (ShowFormat::Values, t),
        Which::Readme(t) => (ShowFormat::Readme, t),
        Which::Crds(t) => (ShowFormat::Crds, t),
        Which::All(t) => (ShowFormat::All, t),
    };
    let remote = target.chart.starts_with("oci://") || target.chart.starts_with("oci-layout://");
    let chart = if remote {
        let reference: ChartRef = target.chart.parse()?;
        let client = target
            .transport
            .client(global, registry_of(&target.chart).as_deref())?;
        let version = match (&target.version, target.devel) {
            (None, true) => Some(helmoci_core::version::DEVEL_CONSTRAINT.to_owned()),
            (v, _) => v.clone(),
        };
        let tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
        let fetched =
            block_on(client.fetch_chart_layer(&reference, version.as_deref(), tmp.path()))??;
        if global.debug {
            eprintln!("Pulled: {}", fetched.resolved.reference.short());
            eprintln!("Digest: {}", fetched.resolved.manifest.digest);
        }
        load_archive_file(fetched.file.path(), &LoadOptions::default())
            .with_context(|| format!("cannot show {}", target.chart))?
    } else {
        load(&target.chart).with_context(|| format!("cannot show {}", target.chart))?
    };
    print!("{}", show(&chart, format)?);
    Ok(())
}
