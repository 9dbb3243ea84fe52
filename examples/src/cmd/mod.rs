//! One module per subcommand; each has `Args` and `run`.

mod completion;
mod copy;
mod dependency;
mod lint;
mod package;
mod pull;
mod push;
mod registry;
mod repo;
mod show;
mod tags;
mod verify;
mod version;

use std::path::{Path, PathBuf};

use crate::Global;

/// `path` made absolute (against the working directory) for `--json` output; as given if
/// that fails.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// The subcommands, mirroring Helm's.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Package a chart directory into a versioned archive (like `helm package`).
    Package(package::Args),
    /// Examine a chart for possible issues, without rendering templates (like `helm lint`).
    Lint(lint::Args),
    /// Show a chart's metadata, values, README or CRDs (like `helm show`).
    #[command(subcommand)]
    Show(show::Which),
    /// Push a packaged chart to an OCI registry or layout (like `helm push`).
    Push(push::Args),
    /// Download a chart from an OCI registry or layout (like `helm pull`).
    Pull(pull::Args),
    /// List a chart's versions, highest first (Helm has no such command).
    Tags(tags::Args),
    /// Copy a chart between registries and OCI image layouts, byte for byte.
    Copy(copy::Args),
    /// Log in to or out of a registry (like `helm registry`).
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Manage a chart's dependencies (like `helm dependency`).
    #[command(subcommand, visible_alias = "dep")]
    Dependency(dependency::DependencyCommand),
    /// Work with chart repositories (like `helm repo`).
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Verify a chart archive against its provenance file (like `helm verify`).
    Verify(verify::Args),
    /// Print helmoci's version.
    Version(version::Args),
    /// Generate a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion(completion::Args),
}

/// Runs one subcommand.
pub fn run(
    command: Command,
    global: &Global,
    cli: impl FnOnce() -> clap::Command,
) -> anyhow::Result<()> {
    match command {
        Command::Package(args) => package::run(args, global),
        Command::Lint(args) => lint::run(args, global),
        Command::Show(which) => show::run(which, global),
        Command::Push(args) => push::run(args, global),
        Command::Pull(args) => pull::run(args, global),
        Command::Tags(args) => tags::run(args, global),
        Command::Copy(args) => copy::run(args, global),
        Command::Registry(cmd) => registry::run(cmd, global),
        Command::Dependency(cmd) => dependency::run(cmd, global),
        Command::Repo(cmd) => repo::run(cmd, global),
        Command::Verify(args) => verify::run(args, global),
        Command::Version(args) => version::run(args),
        Command::Completion(args) => completion::run(args, cli()),
    }
}
