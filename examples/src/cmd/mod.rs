//! One module per subcommand; each has `Args` and `run`.

mod package;
mod show;
mod version;

use crate::Global;

/// The subcommands, mirroring Helm's.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Package a chart directory into a versioned archive (like `helm package`).
    Package(package::Args),
    /// Show a chart's metadata, values, README or CRDs (like `helm show`).
    #[command(subcommand)]
    Show(show::Which),
    /// Print helmoci's version.
    Version(version::Args),
}

/// Runs one subcommand.
pub fn run(command: Command, global: &Global) -> anyhow::Result<()> {
    match command {
        Command::Package(args) => package::run(args, global),
        Command::Show(which) => show::run(which, global),
        Command::Version(args) => version::run(args),
    }
}
