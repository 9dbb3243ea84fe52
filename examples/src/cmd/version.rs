//! `helmoci version`.

/// Flags of `helmoci version`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the version number.
    #[arg(long)]
    short: bool,
    /// Print `{"version": "…"}`.
    #[arg(long, conflicts_with = "short")]
    json: bool,
}

/// Prints the version.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "version": env!("CARGO_PKG_VERSION") })
        );
    } else if args.short {
        println!("{}", env!("CARGO_PKG_VERSION"));
    } else {
        println!("helmoci {}", env!("CARGO_PKG_VERSION"));
    }
    Ok(())
}
