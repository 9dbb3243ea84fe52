//! `helmoci completion bash|zsh|fish|powershell|elvish`: shell completion scripts.

use std::io::Write;

/// Flags of `helmoci completion`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to generate the completion script for.
    shell: clap_complete::Shell,
}

/// Writes the completion script for `cli` to stdout (a closed pipe is not an error).
pub fn run(args: Args, mut cli: clap::Command) -> anyhow::Result<()> {
    let name = cli.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, name, &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
