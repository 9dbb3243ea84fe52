//! `helmoci repo index DIR [--url U] [--merge F] [--json]`: like `helm repo index`.

use std::path::PathBuf;

use anyhow::Context;
use helmoci_core::index::IndexFile;
use helmoci_core::lock::generated_now;

use crate::Global;

/// `repo` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RepoCommand {
    /// Generate an index file for a directory of chart archives (like `helm repo index`).
    Index(IndexArgs),
}

/// Flags of `helmoci repo index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The directory: `DIR/*.tgz` and `DIR/*/*.tgz` are indexed into `DIR/index.yaml`.
    dir: PathBuf,
    /// URL of the chart repository (entries get `URL/<file>`; relative URLs without it).
    #[arg(long, value_name = "URL", default_value = "")]
    url: String,
    /// Merge the generated index into this index (its entries are kept unless re-indexed).
    #[arg(long, value_name = "FILE")]
    merge: Option<PathBuf>,
    /// Write the index as JSON (still named index.yaml, as Helm does).
    #[arg(long)]
    json: bool,
}

/// Runs a `repo` subcommand.
pub fn run(cmd: RepoCommand, _global: &Global) -> anyhow::Result<()> {
    match cmd {
        RepoCommand::Index(args) => index(args),
    }
}

fn index(args: IndexArgs) -> anyhow::Result<()> {
    let dir = std::path::absolute(&args.dir)
        .with_context(|| format!("cannot resolve {}", args.dir.display()))?;
    let now = generated_now()?;
    let mut index = IndexFile::from_directory(&dir, &args.url, now)?;
    if let Some(merge) = &args.merge {
        // Helm writes an empty index to a missing --merge file; we only read it.
        if merge.exists() {
            let old = IndexFile::load(merge).context("merge failed")?;
            index.merge(&old);
        }
    }
    index.sort_entries();
    index.write_file(&dir.join("index.yaml"), args.json)?;
    Ok(())
}
