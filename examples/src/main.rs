//! `helmoci`: Helm's chart-distribution commands (package, push, pull, show, registry
//! login/logout, dependencies) on top of the helmoci libraries.
//!
//! Flags and output follow Helm's; see `helmoci --help`. Errors print as one line,
//! `Error: <message>: <cause>…`, with exit code 1; usage errors exit with 2.

mod cmd;
mod progress;
mod transport;

use std::process::ExitCode;

use clap::Parser;

/// Command-line flags shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Print more about what happens (never secrets).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Path to the registry config file (default: Helm's).
    #[arg(long, global = true, value_name = "FILE")]
    pub registry_config: Option<std::path::PathBuf>,
    /// Path to the file containing repository names and URLs (default: Helm's).
    #[arg(long, global = true, value_name = "FILE")]
    pub repository_config: Option<std::path::PathBuf>,
    /// Path to the directory containing cached repository indexes (default: Helm's).
    #[arg(long, global = true, value_name = "DIR")]
    pub repository_cache: Option<std::path::PathBuf>,
}

#[derive(Debug, Parser)]
#[command(
    name = "helmoci",
    about = "Package, push, pull and inspect Helm charts on OCI registries",
    disable_version_flag = true
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    /// Print helmoci's version.
    #[arg(short = 'V', long = "helmoci-version", global = false)]
    version: bool,
    #[command(subcommand)]
    command: Option<cmd::Command>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.version {
        println!("helmoci {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return ExitCode::from(2);
    };
    let command_line = || {
        use clap::CommandFactory;
        Cli::command()
    };
    match cmd::run(command, &cli.global, command_line) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {}", one_line(&err));
            if cli.global.debug {
                eprintln!("{err:?}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, joined by `: `, skipping a cause whose text the
/// previous message already ends with.
fn one_line(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
