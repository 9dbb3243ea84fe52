//! `helmoci version`.

/// Flags of `helmoci version`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the version number.
    #[arg(long)]
    short: bool,
}

/// Prints the version.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.short {
        println!("{}", env!("CARGO_PKG_VERSION"));
    } else {
        println!("helmoci {}", env!("CARGO_PKG_VERSION"));
    }
    Ok(())
}
