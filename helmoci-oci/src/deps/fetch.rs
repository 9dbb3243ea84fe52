//! Step 4 of an update: every archive the resolution asks for, fetched concurrently into
//! the temporary directory (each identical URL once), verified (digest, and provenance when
//! asked for), and checked to load as a chart. Nothing outside the temporary directory and
//! the content cache is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::try_join_all;
use helmoci_core::deps::{Fetch, Plan, Resolution, Source};
use helmoci_core::digest::Digest;
use helmoci_core::load::{load_archive_file, load_dir, LoadOptions};
use helmoci_core::package::save;
use helmoci_core::time::Timestamp;

use super::cache::ContentCache;
use super::http::HttpRepo;
use super::lookup::{host_of, HostLimits, Lookups};
use super::{blocking, blocking_unless_small, DependencyOptions, Event};
use crate::blob_file::{is_small_file, INLINE_READ_MAX};
use crate::error::{Error, Result};
use crate::pull::{download, resolve_in};
use crate::reference::ChartRef;
use crate::registry::RegistryClient;
use crate::store::AnyStore;

/// What [`fetch_all`] produced.
pub(crate) struct Fetched {
    /// `(archive in the temporary directory, file name in charts/)`.
    pub(crate) files: Vec<(PathBuf, String)>,
    /// Verified downloads for the content cache: `(file name in charts/, digest)`.
    pub(crate) to_cache: Vec<(String, Digest)>,
    /// Network downloads.
    pub(crate) downloaded: usize,
    /// Content-cache hits.
    pub(crate) cache_hits: usize,
}

struct Job<'a> {
    name: &'a str,
    /// The locked version (for verification messages).
    #[cfg(feature = "provenance")]
    version: &'a str,
    fetch: &'a Fetch,
    /// Where the job writes: the shared temporary directory, or (for `file://`, whose
    /// packaging names its own file) a directory of its own.
    dir: PathBuf,
    /// Prepended to a download's file name in `dir`, so that namesakes do not collide
    /// (no directory per download: creating one costs more than the small download).
    prefix: String,
    /// The chart repository of an HTTP download.
    repo: Option<Arc<HttpRepo>>,
}

enum Got {
    /// Downloaded and verified: `(path, file name in charts/, digest)`.
    Downloaded(PathBuf, String, Digest),
    Cached(PathBuf, String),
    Packaged(PathBuf, String),
}

/// Fetches every non-local [`Fetch`] of `resolution` into `tmp`.
pub(crate) async fn fetch_all(
    client: &RegistryClient,
    plan: &Plan,
    resolution: &Resolution,
    lookups: &Lookups,
    tmp: &Path,
    options: &DependencyOptions,
) -> Result<Fetched> {
    let mut jobs = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for (i, r) in resolution.resolved.iter().enumerate() {
        let name = r.locked.name.as_str();
        let repository = r.locked.repository.clone();
        let key = match &r.fetch {
            Fetch::Local => {
                options.emit(Event::LocalDependency { name: name.into() });
                continue;
            }
            Fetch::File { path } => {
                options.emit(Event::Archiving {
                    name: name.into(),
                    repository: repository.clone(),
                });
                format!("file:{}", path.display())
            }
            Fetch::Oci { reference } => format!("oci://{reference}"),
            Fetch::Http { url, .. } => url.clone(),
        };
        if seen.insert(key, ()).is_some() {
            options.emit(Event::AlreadyDownloaded {
                name: name.into(),
                repository,
            });
            continue;
        }
        if !matches!(r.fetch, Fetch::File { .. }) {
            options.emit(Event::Downloading {
                name: name.into(),
                repository: repository.clone(),
            });
        }
        let (dir, prefix) = match r.fetch {
            Fetch::File { .. } => {
                let dir = tmp.join(i.to_string());
                std::fs::create_dir(&dir).map_err(|e| Error::write(&dir, e))?;
                (dir, String::new())
            }
            _ => (tmp.to_owned(), format!("{i}-")),
        };
        let repo = match plan.dependencies.get(i).map(|d| &d.source) {
            Some(Source::Http {
                repository_name, ..
            }) => lookups.http.get(repository_name).cloned(),
            _ => None,
        };
        jobs.push(Job {
            name,
            #[cfg(feature = "provenance")]
            version: r.locked.version.as_str(),
            fetch: &r.fetch,
            dir,
            prefix,
            repo,
        });
    }
    let limits = HostLimits::new(options.max_concurrent_per_host);
    let cache = options.content_cache.as_ref().map(ContentCache::new);
    let got = try_join_all(
        jobs.iter()
            .map(|j| run(client, j, lookups, &limits, cache.as_ref(), options)),
    )
    .await?;
    let mut out = Fetched {
        files: Vec::with_capacity(got.len()),
        to_cache: Vec::new(),
        downloaded: 0,
        cache_hits: 0,
    };
    for g in got {
        let (path, file) = match g {
            Got::Downloaded(p, f, d) => {
                out.downloaded += 1;
                out.to_cache.push((f.clone(), d));
                (p, f)
            }
            Got::Cached(p, f) => {
                out.cache_hits += 1;
                (p, f)
            }
            Got::Packaged(p, f) => (p, f),
        };
        out.files.push((path, file));
    }
    Ok(out)
}

async fn run(
    client: &RegistryClient,
    job: &Job<'_>,
    lookups: &Lookups,
    limits: &HostLimits,
    cache: Option<&ContentCache>,
    options: &DependencyOptions,
) -> Result<Got> {
    let (url, result) = match job.fetch {
        Fetch::Local => {
            return Err(Error::Background {
                what: "fetching a local dependency",
            })
        }
        Fetch::File { path } => (
            format!("file://{}", path.display()),
            package(path.clone(), job.dir.clone()).await,
        ),
        Fetch::Oci { reference } => (
            format!("oci://{reference}"),
            oci(client, reference, job, lookups, limits, cache, options).await,
        ),
        Fetch::Http {
            url,
            digest,
            file_name,
        } => (
            url.clone(),
            http(
                url,
                digest.as_deref(),
                file_name,
                job,
                lookups,
                limits,
                cache,
                options,
            )
            .await,
        ),
    };
    let got = result.map_err(|e| match e {
        // Already name the dependency and say that nothing changed.
        Error::DependencyNotSigned { .. } | Error::DependencyNotVerified { .. } => e,
        e => Error::DependencyDownload {
            name: job.name.to_owned(),
            url: url.clone(),
            source: Box::new(e),
        },
    })?;
    if let Got::Downloaded(path, _, _) | Got::Cached(path, _) = &got {
        let p = path.clone();
        blocking_unless_small(is_small_file(path), "chart check", move || {
            load_archive_file(&p, &LoadOptions::default())
                .map(drop)
                .map_err(|source| Error::Dependencies {
                    chart: p.clone(),
                    source: Box::new(source),
                })
        })
        .await
        .map_err(|e| Error::DependencyDownload {
            name: job.name.to_owned(),
            url,
            source: Box::new(e),
        })?;
    }
    Ok(got)
}

/// Helm's `tarFromLocalDir`: load the directory and Save it (stamped with
/// `SOURCE_DATE_EPOCH` when set).
async fn package(path: PathBuf, dir: PathBuf) -> Result<Got> {
    blocking("file:// packaging", move || {
        let wrap = |source| Error::Dependencies {
            chart: path.clone(),
            source: Box::new(source),
        };
        let mut chart = load_dir(&path, &LoadOptions::default()).map_err(wrap)?;
        if let Some(t) = Timestamp::from_source_date_epoch().map_err(wrap)? {
            chart.stamp_mtimes(t);
        }
        let packaged = save(&chart, &dir, 1, false).map_err(wrap)?;
        let file = packaged
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Got::Packaged(packaged.path, file))
    })
    .await
}

async fn oci(
    client: &RegistryClient,
    reference: &str,
    job: &Job<'_>,
    lookups: &Lookups,
    limits: &HostLimits,
    cache: Option<&ContentCache>,
    options: &DependencyOptions,
) -> Result<Got> {
    let chart: ChartRef = format!("oci://{reference}").parse()?;
    let version = chart.tag().map(|t| t.to_version()).unwrap_or_default();
    let file = format!("{}-{version}.tgz", chart.name());
    let _permit = limits.acquire(&host_of(reference)).await?;
    let store = AnyStore::for_chart(client, &chart, false);
    let (resolved, prefetched) = match lookups.take_prefetched(reference) {
        Some(p) => (p.resolved, p.archive),
        None => (resolve_in(&store, &chart, None).await?, None),
    };
    let layer = resolved.chart.chart.clone();
    let dest = job.dir.join(format!("{}{file}", job.prefix));
    let cached = match prefetched {
        Some(_) => None,
        None => from_cache(cache, &layer.digest, &dest, &file, job, options).await?,
    };
    let got = match cached {
        Some(hit) => hit,
        None => {
            let tmp = match prefetched {
                Some(t) => t,
                None => download(&store, &layer, &job.dir).await?,
            };
            // 0644 like Helm's downloads (a temporary file starts 0600).
            crate::layout::set_readable(tmp.path());
            tmp.persist(&dest)
                .map_err(|e| Error::write(&dest, e.error))?;
            Got::Downloaded(dest, file.clone(), layer.digest.clone())
        }
    };
    // The provenance layer of the same manifest, even for a cached archive.
    #[cfg(feature = "provenance")]
    super::verify::oci(
        &store,
        resolved.chart.provenance.as_ref(),
        &super::verify::Subject {
            name: job.name,
            version: job.version,
            url: &format!("oci://{reference}"),
            file: &file,
            digest: &layer.digest,
        },
        &job.dir,
        options,
    )
    .await?;
    Ok(got)
}

#[allow(clippy::too_many_arguments)]
async fn http(
    url: &str,
    digest: Option<&str>,
    file: &str,
    job: &Job<'_>,
    lookups: &Lookups,
    limits: &HostLimits,
    cache: Option<&ContentCache>,
    options: &DependencyOptions,
) -> Result<Got> {
    let repo: Arc<HttpRepo> = job.repo.clone().ok_or(Error::Background {
        what: "finding the chart repository of a download",
    })?;
    let expected: Option<Digest> = match digest {
        Some(hex) => match format!("sha256:{}", hex.to_ascii_lowercase()).parse() {
            Ok(d) => Some(d),
            Err(_) => {
                options.emit(Event::Warning {
                    message: format!(
                        "the index digest {hex:?} of {url} is not a SHA-256; the download is not verified"
                    ),
                });
                None
            }
        },
        None => None,
    };
    let dest = job.dir.join(format!("{}{file}", job.prefix));
    let cached = match &expected {
        Some(d) => from_cache(cache, d, &dest, file, job, options)
            .await?
            .map(|hit| (hit, d.clone())),
        None => None,
    };
    let (got, archive_digest) = match cached {
        Some(hit) => hit,
        None => {
            let (dest, actual) = match lookups.take_prefetched_http(url) {
                Some(done) => done,
                None => {
                    let _permit = limits.acquire(&host_of(url)).await?;
                    let actual = repo.download(url, &dest, options.max_archive_size).await?;
                    (dest, actual)
                }
            };
            if let Some(want) = expected {
                if want != actual {
                    let _ = std::fs::remove_file(&dest);
                    return Err(Error::DigestMismatch {
                        reference: url.to_owned(),
                        expected: want,
                        actual,
                    });
                }
            }
            (
                Got::Downloaded(dest, file.to_owned(), actual.clone()),
                actual,
            )
        }
    };
    #[cfg(not(feature = "provenance"))]
    let _ = archive_digest;
    // `<archive URL>.prov`, even for a cached archive.
    #[cfg(feature = "provenance")]
    if options.verify.keyring().is_some() {
        let _permit = limits.acquire(&host_of(url)).await?;
        super::verify::http(
            &repo,
            url,
            &super::verify::Subject {
                name: job.name,
                version: job.version,
                url,
                file,
                digest: &archive_digest,
            },
            options,
        )
        .await?;
    }
    Ok(got)
}

async fn from_cache(
    cache: Option<&ContentCache>,
    digest: &Digest,
    dest: &Path,
    file: &str,
    job: &Job<'_>,
    options: &DependencyOptions,
) -> Result<Option<Got>> {
    let Some(cache) = cache else {
        return Ok(None);
    };
    // A miss (the common case on a cold cache) is one metadata call, made in place.
    let small = match cache.cached_size(digest) {
        None => return Ok(None),
        Some(size) => size <= INLINE_READ_MAX,
    };
    let (c, d, p) = (cache.clone(), digest.clone(), dest.to_owned());
    if !blocking_unless_small(small, "content cache read", move || c.copy_out(&d, &p)).await? {
        return Ok(None);
    }
    options.emit(Event::CacheHit {
        name: job.name.to_owned(),
        digest: digest.to_string(),
    });
    Ok(Some(Got::Cached(dest.to_owned(), file.to_owned())))
}

/// Fills the content cache with the verified downloads (now in `charts/`, so that a link
/// never races the move there), one after the other on one
/// blocking thread: new cache directories made concurrently contend for their parent's
/// lock. A failure is only a warning.
pub(crate) async fn fill_cache(
    cache: ContentCache,
    entries: Vec<(PathBuf, Digest)>,
    options: &DependencyOptions,
) {
    if entries.is_empty() {
        return;
    }
    let failed = blocking("content cache write", move || {
        Ok(entries
            .iter()
            .filter_map(|(p, d)| cache.put(p, d).err())
            .map(|e| super::one_line(&e))
            .collect::<Vec<_>>())
    })
    .await;
    let failed = failed.unwrap_or_else(|e| vec![super::one_line(&e)]);
    for e in failed {
        options.emit(Event::Warning {
            message: format!("cannot fill the content cache: {e}"),
        });
    }
}
