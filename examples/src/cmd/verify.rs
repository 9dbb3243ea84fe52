//! `helmoci verify CHART.tgz --keyring FILE`: like `helm verify`.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use helmoci_core::provenance::{self, Keyring};

use crate::Global;

/// Flags of `helmoci verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart archive (`.tgz`); its provenance is read from `<archive>.prov`.
    #[arg(value_name = "CHART.tgz")]
    chart: PathBuf,
    /// Keyring holding the signer's public key (binary or armored).
    /// Default: `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`.
    #[arg(long, value_name = "FILE")]
    keyring: Option<PathBuf>,
    /// Print one JSON object instead of Helm's lines: `signed_by` (identities),
    /// `fingerprint`, the archive's `chart_digest` and the `path`s of the archive and its
    /// `provenance`.
    #[arg(long)]
    json: bool,
}

/// Verifies the chart and prints Helm's `Signed by:` / `Using Key With Fingerprint:` /
/// `Chart Hash Verified:` lines.
pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let keyring = load_keyring(args.keyring.as_deref())?;
    let prov = provenance::prov_path(&args.chart);
    let v = provenance::verify(&args.chart, &prov, &keyring)?;
    if args.json {
        let json = serde_json::json!({
            "signed_by": v.signed_by,
            "fingerprint": v.fingerprint,
            "chart_digest": v.file_hash,
            "path": super::absolute(&args.chart),
            "provenance": super::absolute(&prov),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    print!("{}", v.report());
    Ok(())
}

/// Helm's default keyring: `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`.
pub(super) fn default_keyring() -> PathBuf {
    if let Some(home) = std::env::var_os("GNUPGHOME") {
        return PathBuf::from(home).join("pubring.gpg");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".gnupg").join("pubring.gpg")
}

/// Loads `--keyring` (or the default keyring).
pub(super) fn load_keyring(path: Option<&Path>) -> anyhow::Result<Keyring> {
    let path = path.map_or_else(default_keyring, Path::to_path_buf);
    Ok(Keyring::load(&path)?)
}

/// Reads the passphrase as Helm does: the first line of the file (`-` = stdin), without
/// its line end. The value is never printed.
pub(super) fn read_passphrase(file: &Path) -> anyhow::Result<String> {
    let mut line = String::new();
    if file == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the passphrase from stdin")?;
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("cannot read passphrase file {}", file.display()))?;
        std::io::BufReader::new(f)
            .read_line(&mut line)
            .with_context(|| format!("cannot read passphrase file {}", file.display()))?;
    }
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(trimmed.to_owned())
}
