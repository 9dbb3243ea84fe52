//! Step 2 of an update: what each dependency can resolve to, looked up concurrently
//! (OCI tag lists, repository indexes, versions of local charts), each repository once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::future::try_join_all;
use helmoci_core::deps::{Candidates, Plan, Source};
use helmoci_core::digest::Digest;
use helmoci_core::index::IndexFile;
use helmoci_core::load::{load_dir, LoadOptions};
use helmoci_core::repo::cache_index_file;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::http::HttpRepo;
use super::prefetch::{prefetch, prefetch_http, Prefetch, Prefetched};
use super::{blocking, DependencyOptions, Event};
use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::registry::RegistryClient;

/// At most N concurrent requests per host.
pub(crate) struct HostLimits {
    per_host: usize,
    map: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimits {
    pub(crate) fn new(per_host: usize) -> HostLimits {
        HostLimits {
            per_host: per_host.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) async fn acquire(&self, host: &str) -> Result<OwnedSemaphorePermit> {
        let sem = {
            let mut map = self.map.lock().map_err(|_| Error::Background {
                what: "concurrency limits",
            })?;
            map.entry(host.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        sem.acquire_owned().await.map_err(|_| Error::Background {
            what: "concurrency limits",
        })
    }
}

/// The host part of `oci://host/…` or `scheme://host/…`.
pub(crate) fn host_of(location: &str) -> String {
    let rest = location.split_once("://").map_or(location, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// What was found for one dependency.
pub(crate) enum Found {
    Local(String),
    File(String),
    Tags(Arc<Vec<String>>),
    Exact,
    Index(Arc<IndexFile>),
}

/// Everything looked up, plus the repositories' HTTP clients for the downloads.
pub(crate) struct Lookups {
    pub(crate) found: Vec<Found>,
    pub(crate) http: HashMap<String, Arc<HttpRepo>>,
    /// What was already fetched for the OCI pick of a dependency, by `Fetch::Oci`
    /// reference: right after the tag list (or, for an exact version, at once), while
    /// other lookups are still running.
    pub(crate) prefetched: Mutex<HashMap<String, Prefetched>>,
    /// Archives from HTTP repositories downloaded as soon as their index was read, by
    /// URL: `(file in the temporary directory, its SHA-256)`, not yet checked against the
    /// index digest.
    pub(crate) prefetched_http: Mutex<HashMap<String, (PathBuf, Digest)>>,
}

impl Lookups {
    /// What was prefetched for `reference`, if anything (taken: each is used once).
    pub(crate) fn take_prefetched(&self, reference: &str) -> Option<Prefetched> {
        self.prefetched.lock().ok()?.remove(reference)
    }

    /// The archive prefetched from `url`, if any (taken: each is used once).
    pub(crate) fn take_prefetched_http(&self, url: &str) -> Option<(PathBuf, Digest)> {
        self.prefetched_http.lock().ok()?.remove(url)
    }
}

impl Lookups {
    pub(crate) fn candidates(&self) -> Vec<Candidates<'_>> {
        self.found
            .iter()
            .map(|f| match f {
                Found::Local(v) => Candidates::Local { version: v },
                Found::File(v) => Candidates::File { version: v },
                Found::Tags(t) => Candidates::Tags(t),
                Found::Exact => Candidates::Exact,
                Found::Index(i) => Candidates::Index(i),
            })
            .collect()
    }
}

enum Job {
    Version {
        names: String,
        path: PathBuf,
    },
    Tags {
        names: String,
        repository: String,
        /// The plan indices of the dependencies in this repository.
        deps: Vec<usize>,
    },
    /// Exact OCI versions: nothing to look up, the manifest can be prefetched.
    Exact {
        deps: Vec<usize>,
    },
    Index(IndexJob),
}

pub(crate) struct IndexJob {
    names: String,
    url: String,
    name: String,
    managed: bool,
    pub(crate) repo: Arc<HttpRepo>,
    /// The plan indices of the dependencies from this repository.
    pub(crate) deps: Vec<usize>,
}

enum Outcome {
    Version(String),
    Tags(Arc<Vec<String>>),
    Index(Arc<IndexFile>, Option<Event>),
    Nothing,
}

/// Looks up every planned dependency; one request per OCI repository and per index.
pub(crate) async fn lookup(
    client: &RegistryClient,
    plan: &Plan,
    options: &DependencyOptions,
    tmp: &Path,
) -> Result<Lookups> {
    // One job per distinct thing to look up; `slot[i]` says which job serves dependency i.
    let mut jobs: Vec<Job> = Vec::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut slot: Vec<Option<usize>> = Vec::new();
    let mut http: HashMap<String, Arc<HttpRepo>> = HashMap::new();
    let mut exact: Vec<usize> = Vec::new();
    for d in &plan.dependencies {
        let name = &d.dependency.name;
        let (key, job) = match &d.source {
            Source::Local { path } | Source::File { path } => (
                format!("path:{}", path.display()),
                Job::Version {
                    names: name.clone(),
                    path: path.clone(),
                },
            ),
            Source::Oci { exact: true, .. } => {
                slot.push(None);
                exact.push(slot.len() - 1);
                continue;
            }
            Source::Oci { repository, .. } => (
                format!("oci:{repository}"),
                Job::Tags {
                    names: name.clone(),
                    repository: repository.clone(),
                    deps: Vec::new(),
                },
            ),
            Source::Http {
                url,
                repository_name,
                entry,
            } => {
                let repo = match http.get(repository_name) {
                    Some(r) => r.clone(),
                    None => {
                        let r = Arc::new(HttpRepo::new(client, url, entry.as_ref())?);
                        http.insert(repository_name.clone(), r.clone());
                        r
                    }
                };
                (
                    format!("index:{repository_name}"),
                    Job::Index(IndexJob {
                        names: name.clone(),
                        url: url.clone(),
                        name: repository_name.clone(),
                        managed: entry.is_some(),
                        repo,
                        deps: Vec::new(),
                    }),
                )
            }
        };
        let i = match keys.get(&key) {
            Some(&i) => {
                match &mut jobs[i] {
                    Job::Version { names, .. } | Job::Tags { names, .. } => {
                        names.push_str(", ");
                        names.push_str(name);
                    }
                    Job::Index(j) => {
                        j.names.push_str(", ");
                        j.names.push_str(name);
                    }
                    Job::Exact { .. } => {}
                }
                i
            }
            None => {
                keys.insert(key, jobs.len());
                jobs.push(job);
                jobs.len() - 1
            }
        };
        match &mut jobs[i] {
            Job::Tags { deps, .. } | Job::Index(IndexJob { deps, .. }) => deps.push(slot.len()),
            _ => {}
        }
        slot.push(Some(i));
    }
    if !exact.is_empty() {
        jobs.push(Job::Exact { deps: exact });
    }

    let refreshing = !options.skip_refresh;
    let limits = HostLimits::new(options.max_concurrent_per_host);
    let prefetched = Mutex::new(HashMap::new());
    let prefetched_http = Mutex::new(HashMap::new());
    let (limits, manifests, downloads) = (&limits, &prefetched, &prefetched_http);
    let outcomes = try_join_all(jobs.iter().map(|job| async move {
        let outcome = run(client, job, options, limits).await?;
        let to = Prefetch {
            limits,
            into: manifests,
            http: downloads,
            tmp,
            cache: options.content_cache.as_deref(),
            max_archive_size: options.max_archive_size,
        };
        match (job, &outcome) {
            (Job::Tags { deps, .. }, Outcome::Tags(tags)) => {
                prefetch(client, plan, deps, Candidates::Tags(tags), &to).await
            }
            (Job::Exact { deps }, _) => prefetch(client, plan, deps, Candidates::Exact, &to).await,
            (Job::Index(j), Outcome::Index(index, _)) => {
                prefetch_http(plan, j, Candidates::Index(index), &to).await
            }
            _ => {}
        }
        Ok::<_, Error>(outcome)
    }))
    .await?;

    if refreshing {
        report_refresh(&jobs, &outcomes, options);
    }
    let found = plan
        .dependencies
        .iter()
        .zip(&slot)
        .map(|(d, s)| match (s, &d.source) {
            (None, _) => Found::Exact,
            (Some(i), Source::Local { .. }) => Found::Local(version_of(&outcomes[*i])),
            (Some(i), Source::File { .. }) => Found::File(version_of(&outcomes[*i])),
            (Some(i), _) => match &outcomes[*i] {
                Outcome::Tags(t) => Found::Tags(t.clone()),
                Outcome::Index(ix, _) => Found::Index(ix.clone()),
                Outcome::Version(v) => Found::Local(v.clone()),
                Outcome::Nothing => Found::Exact,
            },
        })
        .collect();
    Ok(Lookups {
        found,
        http,
        prefetched,
        prefetched_http,
    })
}

fn version_of(o: &Outcome) -> String {
    match o {
        Outcome::Version(v) => v.clone(),
        _ => String::new(),
    }
}

/// Helm's refresh lines, in Helm's order: unmanaged repositories first, then the
/// configured ones.
fn report_refresh(jobs: &[Job], outcomes: &[Outcome], options: &DependencyOptions) {
    let index_events = |managed: bool| -> Vec<Event> {
        jobs.iter()
            .zip(outcomes)
            .filter_map(|(j, o)| match (j, o) {
                (Job::Index(j), Outcome::Index(_, Some(e))) if j.managed == managed => {
                    Some(e.clone())
                }
                _ => None,
            })
            .collect()
    };
    let unmanaged = index_events(false);
    if !unmanaged.is_empty() {
        options.emit(Event::RefreshingUnmanagedRepositories);
        unmanaged.into_iter().for_each(|e| options.emit(e));
    }
    let managed = index_events(true);
    if !managed.is_empty() {
        options.emit(Event::RefreshingRepositories);
        managed.into_iter().for_each(|e| options.emit(e));
        options.emit(Event::RefreshComplete);
    }
}

async fn run(
    client: &RegistryClient,
    job: &Job,
    options: &DependencyOptions,
    limits: &HostLimits,
) -> Result<Outcome> {
    match job {
        Job::Version { path, names } => {
            let (path, names) = (path.clone(), names.clone());
            blocking("chart load", move || {
                if !path.is_dir() {
                    return Err(Error::Dependencies {
                        chart: path.clone(),
                        source: Box::new(helmoci_core::Error::DependencyDirectoryMissing {
                            name: names,
                            path,
                        }),
                    });
                }
                load_dir(&path, &LoadOptions::default())
                    .map(|c| Outcome::Version(c.metadata.version))
                    .map_err(|source| Error::Dependencies {
                        chart: path.clone(),
                        source: Box::new(source),
                    })
            })
            .await
        }
        Job::Exact { .. } => Ok(Outcome::Nothing),
        Job::Tags {
            names, repository, ..
        } => {
            let wrap = |e: Error| Error::DependencyLookup {
                name: names.clone(),
                what: "could not retrieve list of tags for repository",
                repository: format!("oci://{repository}"),
                source: Box::new(e),
            };
            let reference: Reference = format!("oci://{repository}").parse().map_err(wrap)?;
            let _permit = limits.acquire(reference.registry()).await?;
            let tags = client.list_tags(&reference).await.map_err(wrap)?;
            Ok(Outcome::Tags(Arc::new(tags)))
        }
        Job::Index(j) => {
            let cache_file = options.repository_cache.join(cache_index_file(&j.name));
            let mut event = None;
            let mut refresh_error = None;
            if !options.skip_refresh {
                let _permit = limits.acquire(&host_of(&j.url)).await?;
                match refresh(j, &cache_file, options).await {
                    Ok(index) => {
                        let e = Event::RepositoryRefreshed {
                            name: j.managed.then(|| j.name.clone()),
                            url: j.url.clone(),
                        };
                        return Ok(Outcome::Index(index, Some(e)));
                    }
                    Err(e) => {
                        event = Some(Event::RepositoryRefreshFailed {
                            name: j.managed.then(|| j.name.clone()),
                            url: j.url.clone(),
                            error: crate::deps::one_line(&e),
                        });
                        refresh_error = Some(Box::new(e));
                    }
                }
            }
            let path = cache_file.clone();
            let source_name = j.url.clone();
            let loaded = blocking("index load", move || {
                let Ok(bytes) = std::fs::read(&path) else {
                    return Ok(None);
                };
                IndexFile::parse(&bytes, &source_name)
                    .map(Some)
                    .map_err(|source| Error::Dependencies {
                        chart: path.clone(),
                        source: Box::new(source),
                    })
            })
            .await;
            match loaded {
                Ok(Some(index)) => Ok(Outcome::Index(Arc::new(index), event)),
                Ok(None) => Err(Error::RepositoryNotCached {
                    repository: j.url.clone(),
                    path: cache_file,
                    source: refresh_error,
                }),
                Err(e) => Err(Error::DependencyLookup {
                    name: j.names.clone(),
                    what: "cannot read the cached index of",
                    repository: j.url.clone(),
                    source: Box::new(e),
                }),
            }
        }
    }
}

/// Downloads `index.yaml`, checks that it parses, writes it (and Helm's
/// `<name>-charts.txt`) into the repository cache atomically.
async fn refresh(
    j: &IndexJob,
    cache_file: &Path,
    options: &DependencyOptions,
) -> Result<Arc<IndexFile>> {
    let bytes = j.repo.fetch_index(options.max_index_size).await?;
    let (url, cache_file) = (j.url.clone(), cache_file.to_owned());
    let charts_file = options
        .repository_cache
        .join(format!("{}-charts.txt", j.name));
    blocking("index parse", move || {
        let index = IndexFile::parse(&bytes, &url).map_err(|source| Error::Dependencies {
            chart: PathBuf::from(&url),
            source: Box::new(source),
        })?;
        let names: String = index.entries.keys().map(|k| format!("{k}\n")).collect();
        write_atomic(&charts_file, names.as_bytes())?;
        write_atomic(&cache_file, &bytes)?;
        Ok(Arc::new(index))
    })
    .await
}

fn write_atomic(dest: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::write(dir, e))?;
    tmp.write_all(data).map_err(|e| Error::write(dest, e))?;
    crate::layout::set_readable(tmp.path());
    tmp.persist(dest).map_err(|e| Error::write(dest, e.error))?;
    Ok(())
}
