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
    /// Update dependencies from Chart.yaml into charts/ before packaging (like
    /// `helmoci dependency update`; repositories from `$HELM_REPOSITORY_CONFIG`).
    #[arg(short = 'u', long)]
    dependency_update: bool,
}

/// Packages each chart and prints where it went.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let opts = PackageOptions {
        destination: args.destination.clone(),
        version: args.version.clone(),
        app_version: args.app_version.clone(),
        ..PackageOptions::default()
    };
    let mut results = Vec::new();
    for dir in &args.charts {
        if args.dependency_update {
            super::dependency::update_for_package(
                dir,
                &Default::default(),
                &Default::default(),
                global,
            )?;
        }
        let chart = load_dir(dir, &opts.load)?;
        for w in &chart.warnings {
            eprintln!("WARNING: {}:{}: {}", w.file, w.line, w.message);
        }
        let packaged = package_chart(chart, &opts)
            .with_context(|| format!("cannot package {}", dir.display()))?;
        let path = std::path::absolute(&packaged.path).unwrap_or(packaged.path.clone());
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
