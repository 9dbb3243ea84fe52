//! `helmoci dependency update|build|list CHART`: like `helm dependency …`, with Helm's
//! output lines (on stdout, as Helm writes them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use helmoci_oci::deps::{
    build_dependencies, list_dependencies, update_dependencies, DependencyOptions, Event,
    StrayChart, Updated, Verify,
};

use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// `dependency` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DependencyCommand {
    /// Update charts/ based on the contents of Chart.yaml (like `helm dependency update`).
    #[command(visible_alias = "up")]
    Update(UpdateArgs),
    /// Rebuild charts/ from Chart.lock (like `helm dependency build`).
    Build(UpdateArgs),
    /// List the dependencies of a chart and their status (like `helm dependency list`).
    #[command(visible_alias = "ls")]
    List(ListArgs),
}

/// Repository flags shared by `dependency update|build` and `package -u`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RepositoryArgs {
    /// Do not refresh the local repository cache.
    #[arg(long)]
    pub skip_refresh: bool,
}

/// Flags of `dependency update` and `dependency build`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The chart directory.
    #[arg(default_value = ".", value_name = "CHART")]
    chart: PathBuf,
    #[command(flatten)]
    repositories: RepositoryArgs,
    /// Verify the packages against signatures: every OCI and HTTP dependency is checked
    /// against its provenance (`.prov`) before charts/ changes. With `update` a dependency
    /// without provenance fails; with `build` it only warns, as in Helm.
    #[arg(long)]
    verify: bool,
    /// With --verify: the keyring containing the signers' public keys (binary or armored).
    /// Default: `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`.
    #[arg(long, value_name = "FILE")]
    keyring: Option<PathBuf>,
    /// Print one JSON object instead of Helm's lines: the `lock` (digest, generated,
    /// dependencies), whether `lock_written`, the archives `saved` and `deleted`, and how
    /// many were `downloaded` or taken from the content cache (`cache_hits`). Warnings
    /// still go to stderr.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Flags of `dependency list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The chart (directory or archive).
    #[arg(default_value = ".", value_name = "CHART")]
    chart: PathBuf,
    /// Maximum column width of the output table.
    #[arg(long, default_value_t = 80)]
    max_col_width: usize,
    /// Print one JSON object instead of Helm's table: `dependencies` (name, version,
    /// repository, status) and `warnings` (Helm's lines about stray entries of charts/).
    #[arg(long)]
    json: bool,
}

/// Runs a `dependency` subcommand.
pub fn run(cmd: DependencyCommand, global: &Global) -> anyhow::Result<()> {
    match cmd {
        DependencyCommand::Update(args) => update(&args, global, false),
        DependencyCommand::Build(args) => update(&args, global, true),
        DependencyCommand::List(args) => list(&args),
    }
}

fn update(args: &UpdateArgs, global: &Global, build: bool) -> anyhow::Result<()> {
    let client = args.transport.client(global, None)?;
    let mut opts = options(&args.repositories, global);
    if args.json {
        // stdout is the JSON document: only warnings are printed, on stderr.
        opts.progress = Some(Arc::new(|e: &Event| match e {
            Event::Warning { message } => eprintln!("WARNING: {message}"),
            Event::NotVerified { path, error } => eprintln!(
                "WARNING: Could not verify {} for deletion: {error} (Skipping)",
                path.display()
            ),
            _ => {}
        }));
    }
    if args.verify {
        let keyring = Arc::new(super::verify::load_keyring(args.keyring.as_deref())?);
        // Helm's strategies: `update --verify` is VerifyAlways, `build --verify`
        // VerifyIfPossible (pkg/cmd/dependency_update.go, dependency_build.go).
        opts.verify = if build {
            Verify::IfPossible(keyring)
        } else {
            Verify::Always(keyring)
        };
    }
    let chart = args.chart.clone();
    let updated = block_on(async move {
        if build {
            build_dependencies(&client, &chart, &opts).await
        } else {
            update_dependencies(&client, &chart, &opts).await
        }
    })??;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&updated_json(&updated))?);
    }
    Ok(())
}

/// `dependency update|build --json`.
fn updated_json(u: &Updated) -> serde_json::Value {
    let absolute = |p: &PathBuf| super::absolute(p);
    let dependencies: Vec<_> = u
        .lock
        .dependencies
        .iter()
        .map(|d| {
            serde_json::json!({
                "name": d.name,
                "version": d.version,
                "repository": d.repository,
            })
        })
        .collect();
    serde_json::json!({
        "lock": {
            "digest": u.lock.digest,
            "generated": u.lock.generated,
            "dependencies": dependencies,
        },
        "lock_written": u.lock_written,
        "saved": u.saved.iter().map(absolute).collect::<Vec<_>>(),
        "deleted": u.deleted.iter().map(absolute).collect::<Vec<_>>(),
        "downloaded": u.downloaded,
        "cache_hits": u.cache_hits,
    })
}

/// Runs `dependency update` for `package -u`.
pub fn update_for_package(
    chart: &Path,
    repositories: &RepositoryArgs,
    transport: &TransportArgs,
    global: &Global,
) -> anyhow::Result<()> {
    let client = transport.client(global, None)?;
    let opts = options(repositories, global);
    let chart = chart.to_owned();
    block_on(async move { update_dependencies(&client, &chart, &opts).await })??;
    Ok(())
}

/// Options from the flags, printing Helm's lines for the events.
pub fn options(repos: &RepositoryArgs, global: &Global) -> DependencyOptions {
    let mut opts = DependencyOptions::default();
    if let Some(p) = &global.repository_config {
        opts.repository_config = p.clone();
    }
    if let Some(p) = &global.repository_cache {
        opts.repository_cache = p.clone();
    }
    opts.skip_refresh = repos.skip_refresh;
    let debug = global.debug;
    opts.progress = Some(Arc::new(move |e: &Event| print_event(e, debug)));
    opts
}

/// Helm's line for an event (`pkg/downloader/manager.go`).
fn print_event(e: &Event, debug: bool) {
    match e {
        Event::RefreshingUnmanagedRepositories => {
            println!("Getting updates for unmanaged Helm repositories...")
        }
        Event::RefreshingRepositories => {
            println!("Hang tight while we grab the latest from your chart repositories...")
        }
        Event::RepositoryRefreshed { name: Some(n), .. } => {
            println!("...Successfully got an update from the {n:?} chart repository")
        }
        Event::RepositoryRefreshed { name: None, url } => {
            println!("...Successfully got an update from the {url:?} chart repository")
        }
        Event::RepositoryRefreshFailed {
            name: Some(n),
            url,
            error,
        } => println!("...Unable to get an update from the {n:?} chart repository ({url}):\n\t{error}"),
        Event::RepositoryRefreshFailed {
            name: None,
            url,
            error,
        } => println!("...Unable to get an update from the {url:?} chart repository:\n\t{error}"),
        Event::RefreshComplete => println!("Update Complete. ⎈Happy Helming!⎈"),
        Event::Saving { count } => println!("Saving {count} charts"),
        Event::LocalDependency { name } => println!(
            "Dependency {name} did not declare a repository. Assuming it exists in the charts directory"
        ),
        Event::Downloading { name, repository } => {
            println!("Downloading {name} from repo {repository}")
        }
        Event::AlreadyDownloaded { name, repository } => {
            println!("Already downloaded {name} from repo {repository}")
        }
        Event::Archiving { name, repository } if debug => {
            println!("Archiving {name} from repo {repository}")
        }
        Event::CacheHit { name, digest } if debug => {
            println!("Using {name} from the content cache ({digest})")
        }
        Event::Verified { name, verification } if debug => {
            print!("Verified {name}\n{}", verification.report())
        }
        Event::DeletingOutdated => println!("Deleting outdated charts"),
        Event::NotVerified { path, error } => println!(
            "Could not verify {} for deletion: {error} (Skipping)",
            path.display()
        ),
        Event::Warning { message } => eprintln!("WARNING: {message}"),
        _ => {}
    }
}

fn list(args: &ListArgs) -> anyhow::Result<()> {
    let listing = list_dependencies(&args.chart)?;
    let warnings = listing.strays.iter().map(|s| match s {
        StrayChart::NotAChart(p) => format!("{:?} is not a chart.", p.display().to_string()),
        StrayChart::NotInChartYaml(p) => {
            format!("{:?} is not in Chart.yaml.", p.display().to_string())
        }
    });
    if args.json {
        let dependencies: Vec<_> = listing
            .dependencies
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.dependency.name,
                    "version": d.dependency.version,
                    "repository": d.dependency.repository,
                    "status": d.status.to_string(),
                })
            })
            .collect();
        let json = serde_json::json!({
            "dependencies": dependencies,
            "warnings": warnings.collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    if listing.dependencies.is_empty() {
        println!(
            "WARNING: no dependencies at {}",
            args.chart.join("charts").display()
        );
        return Ok(());
    }
    let mut rows = vec![[
        "NAME".to_owned(),
        "VERSION".to_owned(),
        "REPOSITORY".to_owned(),
        "STATUS".to_owned(),
    ]];
    for d in &listing.dependencies {
        rows.push([
            d.dependency.name.clone(),
            d.dependency.version.clone(),
            d.dependency.repository.clone(),
            d.status.to_string(),
        ]);
    }
    println!("{}", table(&rows, args.max_col_width));
    println!();
    for w in warnings {
        println!("WARNING: {w}");
    }
    Ok(())
}

/// gosuri/uitable as Helm uses it: every cell padded to its column's width (at most
/// `max`, longer cells cut to `max - 3` characters plus `...`), cells joined by a tab.
fn table(rows: &[[String; 4]], max: usize) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths = [0usize; 4];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(cell).min(max));
        }
    }
    rows.iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, cell)| {
                    let w = widths[i];
                    if width(cell) > w {
                        let cut: String = cell.chars().take(w.saturating_sub(3)).collect();
                        format!("{cut}...")
                    } else {
                        format!("{cell:<w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn table_like_uitable() {
        let rows = [
            [
                "NAME".into(),
                "VERSION".into(),
                "REPOSITORY".into(),
                "STATUS".into(),
            ],
            [
                "a".into(),
                "^1.0.0".into(),
                "oci://r/ns".into(),
                "ok".into(),
            ],
        ];
        assert_eq!(
            table(&rows, 80),
            "NAME\tVERSION\tREPOSITORY\tSTATUS\na   \t^1.0.0 \toci://r/ns\tok    "
        );
        let long = [["x".repeat(12), "v".into(), "r".into(), "s".into()]];
        assert_eq!(table(&long, 10), "xxxxxxx...\tv\tr\ts");
    }
}
