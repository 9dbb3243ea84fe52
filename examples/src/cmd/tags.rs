//! `helmoci tags oci://REGISTRY/NAMESPACE/NAME`: every tag, as Helm's SDK orders them.

use helmoci_oci::reference::ChartRef;

use super::push::registry_of;
use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// Flags of `helmoci tags`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart: `oci://host[:port]/path/name` or `oci-layout://DIR/name`.
    chart: String,
    /// Print a JSON array instead of one tag per line.
    #[arg(long)]
    json: bool,
    /// Also list tags Helm cannot select (`latest`, `v1.2.3`, …) on stderr, with the reason.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Prints the chart's versions, highest first.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let chart: ChartRef = args.chart.parse()?;
    let client = args
        .transport
        .client(global, registry_of(&args.chart).as_deref())?;
    let tags = block_on(client.tags(&chart))??;
    if args.json {
        println!("{}", serde_json::to_string(&tags.versions)?);
    } else {
        for v in &tags.versions {
            println!("{v}");
        }
    }
    if args.all {
        for s in &tags.skipped {
            eprintln!("skipped: {s}");
        }
    }
    Ok(())
}
