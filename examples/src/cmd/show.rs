//! `helmoci show chart|values|readme|crds|all CHART`: like `helm show`.

use std::path::PathBuf;

use anyhow::Context;
use helmoci_core::show::{show, ShowFormat};

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
    /// A chart directory or `.tgz`.
    chart: PathBuf,
}

/// Prints the requested part exactly as Helm does.
pub fn run(which: Which, _global: &Global) -> anyhow::Result<()> {
    let (format, target) = match which {
        Which::Chart(t) => (ShowFormat::Chart, t),
        Which::Values(t) => (ShowFormat::Values, t),
        Which::Readme(t) => (ShowFormat::Readme, t),
        Which::Crds(t) => (ShowFormat::Crds, t),
        Which::All(t) => (ShowFormat::All, t),
    };
    let chart = helmoci_core::load::load(&target.chart)
        .with_context(|| format!("cannot show {}", target.chart.display()))?;
    print!("{}", show(&chart, format)?);
    Ok(())
}
