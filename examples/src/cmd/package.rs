//! `helmoci package`: like `helm package`.

use std::path::PathBuf;

use anyhow::Context;
use helmoci_core::load::load_dir;
use helmoci_core::package::{package_chart, PackageOptions};

use crate::Global;

/// Flags of `helmoci package`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chart directories to package.
    #[arg(required = true, value_name = "CHART_DIR")]
    charts: Vec<PathBuf>,
    /// Where to write the archives (created if missing).
    #[arg(short = 'd', long, default_value = ".", value_name = "DIR")]
    destination: PathBuf,
    /// Set the chart version.
    #[arg(long, allow_hyphen_values = true)]
    version: Option<String>,
    /// Set the appVersion.
    #[arg(long, allow_hyphen_values = true)]
    app_version: Option<String>,
    /// Print the result as JSON (path, digest, size, name, version).
    #[arg(long)]
    json: bool,
    /// Sign the archive with a PGP key, writing `<archive>.prov` beside it.
    #[arg(long)]
    sign: bool,
    /// With --sign: the key's identity, or a unique part of it.
    #[arg(long, value_name = "NAME")]
    key: Option<String>,
    /// With --sign: the keyring holding the secret key (binary or armored).
    /// Default: `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`.
    #[arg(long, value_name = "FILE")]
    keyring: Option<PathBuf>,
    /// With --sign: a file whose first line is the key's passphrase (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Update dependencies from Chart.yaml into charts/ before packaging (like
    /// `helmoci dependency update`; repositories from `$HELM_REPOSITORY_CONFIG`).
    #[arg(short = 'u', long)]
    dependency_update: bool,
    /// With -u: skip refreshing repository indexes.
    #[arg(long, requires = "dependency_update")]
    skip_refresh: bool,
    #[command(flatten)]
    transport: crate::transport::TransportArgs,
}

/// The key, keyring and passphrase of `--sign`, read before anything is packaged.
struct Signer {
    keyring: helmoci_core::provenance::Keyring,
    key: String,
    passphrase: Option<String>,
}

impl Signer {
    fn from_args(args: &Args) -> anyhow::Result<Option<Signer>> {
        if !args.sign {
            return Ok(None);
        }
        let Some(key) = args.key.clone().filter(|k| !k.is_empty()) else {
            anyhow::bail!("--key is required for signing a package");
        };
        let keyring = super::verify::load_keyring(args.keyring.as_deref())?;
        let passphrase = match &args.passphrase_file {
            Some(f) => Some(super::verify::read_passphrase(f)?),
            None => None,
        };
        Ok(Some(Signer {
            keyring,
            key,
            passphrase,
        }))
    }

    /// Signs `tgz`; on failure removes it, so a failed `--sign` leaves no unsigned archive.
    fn sign(&self, tgz: &std::path::Path) -> anyhow::Result<()> {
        let signed = helmoci_core::provenance::sign(
            tgz,
            &self.keyring,
            &self.key,
            self.passphrase.as_deref(),
        );
        if let Err(e) = signed {
            let _ = std::fs::remove_file(tgz);
            return Err(e).with_context(|| format!("cannot sign {}", tgz.display()));
        }
        Ok(())
    }
}

/// Packages each chart and prints where it went.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let signer = Signer::from_args(&args)?;
    let opts = PackageOptions {
        destination: args.destination.clone(),
        version: args.version.clone(),
        app_version: args.app_version.clone(),
        ..PackageOptions::default()
    };
    let mut results = Vec::new();
    for dir in &args.charts {
        if args.dependency_update {
            let repositories = super::dependency::RepositoryArgs {
                skip_refresh: args.skip_refresh,
            };
            super::dependency::update_for_package(dir, &repositories, &args.transport, global)?;
        }
        let chart = load_dir(dir, &opts.load)?;
        for w in &chart.warnings {
            eprintln!("WARNING: {}:{}: {}", w.file, w.line, w.message);
        }
        let opts = PackageOptions {
            progress: crate::progress::package_bar(
                crate::progress::Output::from_json_flag(args.json),
                chart.name(),
            ),
            ..opts.clone()
        };
        let packaged = package_chart(chart, &opts)
            .with_context(|| format!("cannot package {}", dir.display()))?;
        if let Some(signer) = &signer {
            signer.sign(&packaged.path)?;
        }
        let path = super::absolute(&packaged.path);
        if args.json {
            results.push(serde_json::json!({
                "path": path,
                "digest": packaged.digest.to_string(),
                "size": packaged.size,
                "name": packaged.metadata.name,
                "version": packaged.metadata.version,
            }));
        } else {
            println!(
                "Successfully packaged chart and saved it to: {}",
                path.display()
            );
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(())
}
