//! Like `helm dependency update|build|list`: resolve a chart's dependencies (OCI
//! registries, classic HTTP chart repositories, `file://` directories, charts already in
//! `charts/`), download them **in parallel**, and replace `charts/` and `Chart.lock` only
//! once everything has succeeded.
//!
//! The pure half (which repository, which version, what to fetch, the lock digest) is
//! [`helmoci_core::deps`]; this module does the I/O:
//!
//! 1. load the chart directory and plan ([`helmoci_core::deps::plan`]);
//! 2. look up candidates concurrently, at most
//!    [`DependencyOptions::max_concurrent_per_host`] requests per registry or repository
//!    host: OCI tag lists through the [`RegistryClient`], `index.yaml` of HTTP
//!    repositories (refreshed into Helm's repository cache unless
//!    [`skip_refresh`](DependencyOptions::skip_refresh)), versions of local charts;
//! 3. resolve ([`helmoci_core::deps::resolve`]);
//! 4. download every archive concurrently into `<chart>/tmpcharts-*` (OCI chart layers and
//!    HTTP archives verified against their digests, `file://` charts packaged), each
//!    identical URL once, reusing Helm's content cache (`$HELM_CACHE_HOME/content`, keyed
//!    by SHA-256) so an unchanged dependency is not downloaded twice; with
//!    [`DependencyOptions::verify`] each OCI and HTTP archive is also checked against its
//!    provenance (`helm dependency update --verify --keyring FILE`);
//! 5. only then move the archives into `charts/`, delete outdated chart archives (Helm's
//!    "Deleting outdated charts") and write the lock (untouched when its digest is
//!    unchanged).
//!
//! On any failure `charts/` and the lock are left byte-for-byte as they were and the
//! temporary directory is removed.
//!
//! ```no_run
//! # async fn f() -> Result<(), helmoci_oci::Error> {
//! use helmoci_oci::deps::{update_dependencies, DependencyOptions};
//! use helmoci_oci::RegistryClient;
//! let client = RegistryClient::builder().build()?;
//! let updated = update_dependencies(&client, "mychart".as_ref(), &DependencyOptions::default()).await?;
//! println!("{} charts saved, lock written: {}", updated.saved.len(), updated.lock_written);
//! # Ok(()) }
//! ```

mod apply;
mod cache;
mod fetch;
mod http;
mod list;
mod lookup;
mod prefetch;
#[cfg(feature = "provenance")]
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use helmoci_core::deps::{plan, resolve, Fetch, Plan, Resolution};
use helmoci_core::load::{load_dir, LoadOptions};
use helmoci_core::lock::{generated_now, Lock, LockFileKind};
use helmoci_core::repo::{default_repository_cache, default_repository_config, RepositoryFile};
use helmoci_core::time::Timestamp;
use helmoci_core::Chart;

use crate::error::{Error, Result};
use crate::registry::RegistryClient;

pub use cache::{default_content_cache, ContentCache};
pub use list::{list_dependencies, DependencyStatus, ListedDependency, Listing, StrayChart};
#[cfg(feature = "provenance")]
pub use verify::Verify;

/// Default number of concurrent requests per registry or repository host.
pub const DEFAULT_MAX_CONCURRENT_PER_HOST: usize = 8;
/// Default cap on a repository's `index.yaml` (256 MiB).
pub const DEFAULT_MAX_INDEX_SIZE: u64 = 256 * 1024 * 1024;
/// Default cap on a downloaded chart archive from an HTTP repository (100 MiB, Helm's
/// decompressed-chart limit: a valid archive is smaller).
pub const DEFAULT_MAX_ARCHIVE_SIZE: u64 = 100 * 1024 * 1024;

/// Receives [`Event`]s while dependencies are updated (the CLI prints Helm's lines).
pub type Progress = Arc<dyn Fn(&Event) + Send + Sync>;

/// What happens during an update or build, in Helm's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Configured repositories are being refreshed (Helm: `Hang tight while we grab the
    /// latest from your chart repositories...`).
    RefreshingRepositories,
    /// Unconfigured repositories are being refreshed (Helm: `Getting updates for
    /// unmanaged Helm repositories...`).
    RefreshingUnmanagedRepositories,
    /// A repository's index was refreshed.
    RepositoryRefreshed {
        /// Its `repositories.yaml` name, or `None` for an unconfigured URL.
        name: Option<String>,
        /// Its URL.
        url: String,
    },
    /// A repository's index could not be refreshed; the cached one is used if present.
    RepositoryRefreshFailed {
        /// Its `repositories.yaml` name, or `None` for an unconfigured URL.
        name: Option<String>,
        /// Its URL.
        url: String,
        /// Why (one line).
        error: String,
    },
    /// All configured repositories were refreshed (Helm: `Update Complete. ⎈Happy Helming!⎈`).
    RefreshComplete,
    /// Downloads start (Helm: `Saving N charts`).
    Saving {
        /// Number of dependencies.
        count: usize,
    },
    /// A `repository: ""` dependency is expected in `charts/` (Helm: `Dependency x did not
    /// declare a repository. Assuming it exists in the charts directory`).
    LocalDependency {
        /// The dependency.
        name: String,
    },
    /// A dependency is fetched (Helm: `Downloading x from repo y`).
    Downloading {
        /// The dependency.
        name: String,
        /// Its repository as locked.
        repository: String,
    },
    /// A dependency shares its URL with an earlier one (Helm: `Already downloaded x from repo y`).
    AlreadyDownloaded {
        /// The dependency.
        name: String,
        /// Its repository as locked.
        repository: String,
    },
    /// A `file://` dependency is packaged (Helm prints `Archiving x from repo y` with `--debug`).
    Archiving {
        /// The dependency.
        name: String,
        /// Its repository.
        repository: String,
    },
    /// An archive came from the content cache instead of the network.
    CacheHit {
        /// The dependency.
        name: String,
        /// The archive's `sha256:` digest.
        digest: String,
    },
    /// A dependency verified against its provenance ([`DependencyOptions::verify`]). Helm
    /// prints nothing for it.
    #[cfg(feature = "provenance")]
    Verified {
        /// The dependency (the first one, when several share the archive).
        name: String,
        /// Who signed, and the archive's hash (`helm verify`'s lines:
        /// [`Verification::report`](helmoci_core::provenance::Verification::report)).
        verification: helmoci_core::provenance::Verification,
    },
    /// Outdated archives in `charts/` are removed (Helm: `Deleting outdated charts`).
    DeletingOutdated,
    /// A file in `charts/` that is not a chart was left alone.
    NotVerified {
        /// The file.
        path: PathBuf,
        /// Why it did not load.
        error: String,
    },
    /// Something worth a `WARNING:` that does not stop the update (e.g. the content cache
    /// could not be written).
    Warning {
        /// The message.
        message: String,
    },
}

/// Options of [`update_dependencies`] and [`build_dependencies`].
#[derive(Clone)]
#[non_exhaustive]
pub struct DependencyOptions {
    /// `--repository-config`: Helm's `repositories.yaml`. Default
    /// [`default_repository_config`] (`$HELM_REPOSITORY_CONFIG`, …).
    pub repository_config: PathBuf,
    /// `--repository-cache`: where repository indexes are cached as
    /// `<name>-index.yaml`. Default [`default_repository_cache`].
    pub repository_cache: PathBuf,
    /// Helm's content cache of chart archives by SHA-256 (`<dir>/<xx>/<hex>.chart`), or
    /// `None` to neither read nor fill it. Default [`default_content_cache`].
    pub content_cache: Option<PathBuf>,
    /// `--skip-refresh`: use the cached repository indexes. Default off.
    pub skip_refresh: bool,
    /// Concurrent requests per registry or repository host (tag lists, indexes,
    /// downloads). Default [`DEFAULT_MAX_CONCURRENT_PER_HOST`]; at least 1.
    pub max_concurrent_per_host: usize,
    /// Largest `index.yaml` accepted. Default [`DEFAULT_MAX_INDEX_SIZE`].
    pub max_index_size: u64,
    /// Largest chart archive accepted from an HTTP repository. Default
    /// [`DEFAULT_MAX_ARCHIVE_SIZE`].
    pub max_archive_size: u64,
    /// The lock's `generated`. Default `None`: `SOURCE_DATE_EPOCH` when set, else now.
    pub generated: Option<Timestamp>,
    /// Where [`Event`]s go. Default `None`.
    pub progress: Option<Progress>,
    /// `--verify --keyring FILE`: check every OCI and HTTP dependency against its
    /// provenance before anything in `charts/` changes. Default [`Verify::Never`]. Needs the
    /// `provenance` feature (on by default).
    #[cfg(feature = "provenance")]
    pub verify: Verify,
}

impl Default for DependencyOptions {
    fn default() -> Self {
        DependencyOptions {
            repository_config: default_repository_config(),
            repository_cache: default_repository_cache(),
            content_cache: Some(default_content_cache()),
            skip_refresh: false,
            max_concurrent_per_host: DEFAULT_MAX_CONCURRENT_PER_HOST,
            max_index_size: DEFAULT_MAX_INDEX_SIZE,
            max_archive_size: DEFAULT_MAX_ARCHIVE_SIZE,
            generated: None,
            progress: None,
            #[cfg(feature = "provenance")]
            verify: Verify::Never,
        }
    }
}

impl std::fmt::Debug for DependencyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("DependencyOptions");
        s.field("repository_config", &self.repository_config)
            .field("repository_cache", &self.repository_cache)
            .field("content_cache", &self.content_cache)
            .field("skip_refresh", &self.skip_refresh)
            .field("max_concurrent_per_host", &self.max_concurrent_per_host)
            .field("max_index_size", &self.max_index_size)
            .field("max_archive_size", &self.max_archive_size)
            .field("generated", &self.generated)
            .field("progress", &self.progress.is_some());
        #[cfg(feature = "provenance")]
        s.field("verify", &self.verify);
        s.finish()
    }
}

impl DependencyOptions {
    pub(crate) fn emit(&self, event: Event) {
        if let Some(p) = &self.progress {
            p(&event);
        }
    }
}

/// What [`update_dependencies`] or [`build_dependencies`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Updated {
    /// The lock as resolved (for `build`: the chart's lock, unchanged).
    pub lock: Lock,
    /// Whether the lock file was (re)written; `false` when its digest was unchanged and
    /// always for `build`.
    pub lock_written: bool,
    /// The archives now in `charts/` that this run saved.
    pub saved: Vec<PathBuf>,
    /// Outdated archives deleted from `charts/`.
    pub deleted: Vec<PathBuf>,
    /// Archives fetched over the network (OCI blobs and HTTP downloads).
    pub downloaded: usize,
    /// Archives taken from the content cache.
    pub cache_hits: usize,
}

/// Like `helm dependency update CHART`: resolves every dependency of the chart directory
/// to the version Helm would pick, downloads them in parallel, then replaces the chart
/// archives in `charts/` and writes `Chart.lock` (`requirements.lock` for `apiVersion: v1`)
/// unless its digest is unchanged.
///
/// A chart without dependencies succeeds without touching anything.
///
/// # Errors
/// [`Error::NotAChartDirectory`]; [`Error::Dependencies`] for load, plan, resolution
/// (`can't get a valid version for …`) and lock errors; [`Error::DependencyLookup`] for
/// tag lists and indexes; [`Error::RepositoryNotCached`]; [`Error::DependencyDownload`]
/// naming the dependency and URL; with [`DependencyOptions::verify`],
/// [`Error::DependencyNotSigned`] and [`Error::DependencyNotVerified`]. In every case
/// `charts/` and the lock are unchanged.
///
/// # Deviation from Helm
/// Only the repositories the chart references are refreshed (Helm refreshes every
/// configured repository); lookups and downloads run concurrently; nothing in `charts/`
/// changes unless every download succeeded; an archive that does not load as a chart is
/// an error instead of a skipped move.
///
/// # Cancellation
/// Dropping the future stops every request. The temporary directory inside the chart is
/// removed; `charts/` and the lock are untouched unless the final moves had begun (they
/// are renames within one directory, done after everything was downloaded). Refreshed
/// index files and content-cache entries are written atomically and may remain.
pub async fn update_dependencies(
    client: &RegistryClient,
    chart_dir: &Path,
    options: &DependencyOptions,
) -> Result<Updated> {
    let chart = load_chart(chart_dir).await?;
    update_loaded(client, chart_dir, chart, options).await
}

/// Like `helm dependency build CHART`: downloads exactly the versions in the chart's lock.
/// Without a lock it is [`update_dependencies`].
///
/// # Errors
/// As [`update_dependencies`]; a lock out of sync with `Chart.yaml` gives
/// [`Error::Dependencies`] with Helm's `the lock file (Chart.lock) is out of sync …`.
///
/// # Cancellation
/// As [`update_dependencies`]. The lock is never written.
pub async fn build_dependencies(
    client: &RegistryClient,
    chart_dir: &Path,
    options: &DependencyOptions,
) -> Result<Updated> {
    let chart = load_chart(chart_dir).await?;
    let Some(lock) = chart.lock.clone() else {
        return update_loaded(client, chart_dir, chart, options).await;
    };
    let wrap = |source| Error::Dependencies {
        chart: chart_dir.to_owned(),
        source: Box::new(source),
    };
    let repos = load_repositories(options)?;
    let deps = &chart.metadata.dependencies;
    let requested = plan(chart_dir, deps, &repos).map_err(wrap)?.requested();
    lock.check_sync(&requested, deps, &chart.metadata.api_version)
        .map_err(wrap)?;
    let locked_plan = plan(chart_dir, &lock.dependencies, &repos).map_err(wrap)?;
    let looked = lookup_and_resolve(client, chart_dir, &locked_plan, options).await?;
    let outcome = fetch_and_apply(client, chart_dir, &locked_plan, looked, options).await?;
    fill_cache(&outcome, options).await;
    Ok(Updated {
        lock,
        lock_written: false,
        saved: outcome.saved,
        deleted: outcome.deleted,
        downloaded: outcome.downloaded,
        cache_hits: outcome.cache_hits,
    })
}

async fn update_loaded(
    client: &RegistryClient,
    chart_dir: &Path,
    chart: Chart,
    options: &DependencyOptions,
) -> Result<Updated> {
    let wrap = |source| Error::Dependencies {
        chart: chart_dir.to_owned(),
        source: Box::new(source),
    };
    let kind = LockFileKind::for_api_version(&chart.metadata.api_version);
    let deps = &chart.metadata.dependencies;
    if deps.is_empty() {
        return Ok(Updated {
            lock: chart.lock.clone().unwrap_or_default(),
            lock_written: false,
            saved: Vec::new(),
            deleted: Vec::new(),
            downloaded: 0,
            cache_hits: 0,
        });
    }
    // Refuse a symlinked lock before anything is downloaded or moved (Helm checks it last).
    let lock_path = chart_dir.join(kind.file_name());
    if let Ok(m) = std::fs::symlink_metadata(&lock_path) {
        if m.file_type().is_symlink() {
            return Err(wrap(helmoci_core::Error::LockSymlink {
                file: kind.file_name(),
                target: std::fs::read_link(&lock_path).unwrap_or_default(),
            }));
        }
    }
    let repos = load_repositories(options)?;
    let planned = plan(chart_dir, deps, &repos).map_err(wrap)?;
    let looked = lookup_and_resolve(client, chart_dir, &planned, options).await?;
    let generated = match options.generated {
        Some(t) => t,
        None => generated_now().map_err(wrap)?,
    };
    let lock = looked.resolution.lock(generated);
    let outcome = fetch_and_apply(client, chart_dir, &planned, looked, options).await?;
    let (dir, l) = (chart_dir.to_owned(), lock.clone());
    let write_lock = blocking("lock write", move || {
        l.write_to_chart(&dir, kind)
            .map_err(|source| Error::Dependencies {
                chart: dir.clone(),
                source: Box::new(source),
            })
    });
    let (lock_written, ()) = tokio::join!(write_lock, fill_cache(&outcome, options));
    let lock_written = lock_written?;
    Ok(Updated {
        lock,
        lock_written,
        saved: outcome.saved,
        deleted: outcome.deleted,
        downloaded: outcome.downloaded,
        cache_hits: outcome.cache_hits,
    })
}

/// What the lookups resolved, what they found, and the temporary directory (inside the
/// chart) where archives are fetched before they move into `charts/`.
struct Looked {
    resolution: Resolution,
    found: lookup::Lookups,
    tmp: tempfile::TempDir,
}

/// Puts the update's downloads into the content cache, if there is one.
async fn fill_cache(outcome: &apply::Outcome, options: &DependencyOptions) {
    if let Some(root) = &options.content_cache {
        let cache = cache::ContentCache::new(root);
        fetch::fill_cache(cache, outcome.to_cache.clone(), options).await;
    }
}

async fn lookup_and_resolve(
    client: &RegistryClient,
    chart_dir: &Path,
    planned: &Plan,
    options: &DependencyOptions,
) -> Result<Looked> {
    // Made before the lookups: OCI archives are fetched as soon as their tags are known.
    let tmp = tempfile::Builder::new()
        .prefix("tmpcharts-")
        .tempdir_in(chart_dir)
        .map_err(|e| Error::write(chart_dir, e))?;
    let found = lookup::lookup(client, planned, options, tmp.path()).await?;
    let candidates = found.candidates();
    let resolution = resolve(planned, &candidates).map_err(|source| Error::Dependencies {
        chart: chart_dir.to_owned(),
        source: Box::new(source),
    })?;
    drop(candidates);
    Ok(Looked {
        resolution,
        found,
        tmp,
    })
}

async fn fetch_and_apply(
    client: &RegistryClient,
    chart_dir: &Path,
    planned: &Plan,
    looked: Looked,
    options: &DependencyOptions,
) -> Result<apply::Outcome> {
    let Looked {
        resolution,
        found,
        tmp,
    } = looked;
    let resolution = &resolution;
    let charts = chart_dir.join("charts");
    match std::fs::metadata(&charts) {
        Ok(m) if !m.is_dir() => return Err(Error::ChartsNotADirectory { path: charts }),
        // Created only when everything was fetched (a failed update leaves no trace).
        _ => {}
    }
    options.emit(Event::Saving {
        count: resolution.resolved.len(),
    });
    let fetched =
        fetch::fetch_all(client, planned, resolution, &found, tmp.path(), options).await?;
    let local: Vec<String> = resolution
        .resolved
        .iter()
        .filter(|r| matches!(r.fetch, Fetch::Local))
        .map(|r| r.locked.name.clone())
        .collect();
    let opts = options.clone();
    let outcome = blocking("charts/ update", move || {
        let result = apply::apply(&fetched.files, &charts, &local, &opts);
        drop(tmp);
        let to_cache = fetched
            .to_cache
            .into_iter()
            .map(|(file, digest)| (charts.join(file), digest))
            .collect();
        result.map(|(saved, deleted)| apply::Outcome {
            saved,
            deleted,
            downloaded: fetched.downloaded,
            cache_hits: fetched.cache_hits,
            to_cache,
        })
    })
    .await?;
    Ok(outcome)
}

async fn load_chart(chart_dir: &Path) -> Result<Chart> {
    match std::fs::metadata(chart_dir) {
        Ok(m) if m.is_dir() => {}
        _ => {
            return Err(Error::NotAChartDirectory {
                path: chart_dir.to_owned(),
            })
        }
    }
    let dir = chart_dir.to_owned();
    blocking("chart load", move || {
        load_dir(&dir, &LoadOptions::default()).map_err(|source| Error::Dependencies {
            chart: dir.clone(),
            source: Box::new(source),
        })
    })
    .await
}

fn load_repositories(options: &DependencyOptions) -> Result<RepositoryFile> {
    RepositoryFile::load_or_empty(&options.repository_config).map_err(|source| {
        Error::Dependencies {
            chart: options.repository_config.clone(),
            source: Box::new(source),
        }
    })
}

/// The error and its causes on one line, joined by `: `.
pub(crate) fn one_line(e: &Error) -> String {
    let mut out = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out.replace('\n', " ")
}

/// [`blocking`], or in place when the work is `small` (see
/// [`INLINE_READ_MAX`](crate::blob_file::INLINE_READ_MAX)).
pub(crate) async fn blocking_unless_small<T: Send + 'static>(
    small: bool,
    what: &'static str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if small {
        f()
    } else {
        blocking(what, f).await
    }
}

/// Runs blocking file work (loading, packaging, hashing, renames) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::Background { what })?
}
