//! Dependency resolution as Helm's `dependency update`/`build` does it, without the
//! network: which repository each dependency comes from, which version Helm would lock,
//! and what has to be downloaded. The caller fetches tags and indexes and downloads.
//!
//! Two pure steps (Helm's `resolveRepoNames` + `ensureMissingRepos`, then
//! `Resolver.Resolve` + `findChartURL`):
//!
//! 1. [`plan`]: classify every `Chart.yaml` dependency ([`Source`]), rewriting
//!    `@name`/`alias:name` to the configured URL — the rewritten list is what the lock
//!    digest is computed over. Unknown repositories fail here, all at once.
//! 2. [`resolve`]: given what the caller fetched for each dependency ([`Candidates`]:
//!    the version of a local chart, an OCI tag list, a repository index), pick the
//!    version Helm would lock and say what to download ([`Fetch`]).
//!
//! For `dependency build`, plan and resolve the **lock's** dependencies (exact versions)
//! after [`Lock::check_sync`](crate::lock::Lock::check_sync).
//!
//! ```
//! use std::path::Path;
//! use helmoci_core::deps::{plan, resolve, Candidates, Fetch, Source};
//! use helmoci_core::repo::RepositoryFile;
//! use helmoci_core::Dependency;
//!
//! let deps = vec![Dependency {
//!     name: "redis".into(),
//!     version: "^1.0.0".into(),
//!     repository: "oci://registry.example.com/charts".into(),
//!     ..Default::default()
//! }];
//! let plan = plan(Path::new("mychart"), &deps, &RepositoryFile::default())?;
//! assert!(matches!(&plan.dependencies[0].source, Source::Oci { exact: false, .. }));
//! // The caller lists the tags of registry.example.com/charts/redis:
//! let tags = vec!["1.0.0".to_owned(), "1.2.0".to_owned(), "2.0.0".to_owned()];
//! let resolution = resolve(&plan, &[Candidates::Tags(&tags)])?;
//! assert_eq!(resolution.resolved[0].locked.version, "1.2.0");
//! assert!(matches!(&resolution.resolved[0].fetch,
//!     Fetch::Oci { reference, .. } if reference == "registry.example.com/charts/redis:1.2.0"));
//! # Ok::<(), helmoci_core::Error>(())
//! ```

use std::path::{Path, PathBuf};

use crate::index::IndexFile;
use crate::lock::Lock;
use crate::metadata::Dependency;
use crate::repo::{alias_name, managed_repository_name, RepositoryEntry, RepositoryFile};
use crate::time::Timestamp;
use crate::version::{is_exact_version, select_tag, ChartVersion, VersionReq};
use crate::Error;

/// The kinds of `repository` value Helm recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositoryKind {
    /// `""`: the chart is already in `charts/<name>`.
    Local,
    /// `file://<path>`: a chart directory, relative to the chart or absolute.
    File,
    /// `oci://<registry>/<namespace>`.
    Oci,
    /// `@name` or `alias:name`: a repository from `repositories.yaml`.
    Alias,
    /// Any other URL (`https://…`, `http://…`): a classic chart repository.
    Url,
    /// Not a URL or alias (`stable`): Helm refuses it.
    Invalid,
}

impl RepositoryKind {
    /// Classifies a dependency's `repository` value.
    ///
    /// ```
    /// use helmoci_core::deps::RepositoryKind as K;
    /// assert_eq!(K::classify(""), K::Local);
    /// assert_eq!(K::classify("file://../x"), K::File);
    /// assert_eq!(K::classify("oci://r.example/ns"), K::Oci);
    /// assert_eq!(K::classify("@stable"), K::Alias);
    /// assert_eq!(K::classify("https://charts.example.com"), K::Url);
    /// assert_eq!(K::classify("stable"), K::Invalid);
    /// ```
    pub fn classify(repository: &str) -> RepositoryKind {
        if repository.is_empty() {
            RepositoryKind::Local
        } else if repository.starts_with("file://") {
            RepositoryKind::File
        } else if repository.starts_with("oci://") {
            RepositoryKind::Oci
        } else if alias_name(repository).is_some() {
            RepositoryKind::Alias
        } else if is_request_uri(repository) {
            RepositoryKind::Url
        } else {
            RepositoryKind::Invalid
        }
    }
}

/// Go's `url.ParseRequestURI` acceptance: an absolute URI (`scheme:…`) or an absolute path.
fn is_request_uri(s: &str) -> bool {
    if s.starts_with('/') {
        return true;
    }
    match s.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// Where one dependency comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `repository: ""`: `charts/<name>` must exist and satisfy the constraint.
    Local {
        /// `<chart>/charts/<name>`.
        path: PathBuf,
    },
    /// `file://`: the chart directory, packaged as `<name>-<version>.tgz`.
    File {
        /// The directory (relative paths joined onto the chart directory).
        path: PathBuf,
    },
    /// An OCI registry.
    Oci {
        /// `<registry>/<namespace>/<name>` (no `oci://`): list its tags, pull from it.
        repository: String,
        /// Whether the version is exact (a lenient version): Helm then uses it as the
        /// tag without listing tags.
        exact: bool,
    },
    /// A classic chart repository with an `index.yaml`.
    Http {
        /// The repository URL (after alias rewriting).
        url: String,
        /// The `repositories.yaml` name, or Helm's synthetic `helm-manager-<sha256>`
        /// for a URL that was never added (its index is cached as `<name>-index.yaml`).
        repository_name: String,
        /// The configured entry (credentials, TLS files), when the URL is configured.
        entry: Option<RepositoryEntry>,
    },
}

/// A dependency with its repository resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedDependency {
    /// The dependency as `Chart.yaml` declares it, `repository` rewritten to a URL.
    pub dependency: Dependency,
    /// Where it comes from.
    pub source: Source,
}

/// The outcome of [`plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// One per `Chart.yaml` dependency, in order.
    pub dependencies: Vec<PlannedDependency>,
}

impl Plan {
    /// The dependencies with repositories rewritten: the `req` of the lock digest.
    pub fn requested(&self) -> Vec<Dependency> {
        self.dependencies
            .iter()
            .map(|d| d.dependency.clone())
            .collect()
    }
}

/// Classifies every dependency and rewrites `@name`/`alias:name` to URLs, as Helm's
/// `resolveRepoNames` and `ensureMissingRepos` do. Pure: nothing is read from disk.
///
/// # Errors
/// [`Error::RepositoryNotFound`] listing every repository that is neither a URL nor a
/// configured alias, with Helm's hint when one of them looks like a bare name.
///
/// # Deviation from Helm
/// An unconfigured `alias:name` fails here; Helm takes it for a URL (scheme `alias`) and
/// fails later with `no cached repository for helm-manager-…`.
pub fn plan(chart_dir: &Path, deps: &[Dependency], repos: &RepositoryFile) -> Result<Plan, Error> {
    let mut out = Vec::with_capacity(deps.len());
    let mut missing = Vec::new();
    for d in deps {
        let mut dep = d.clone();
        let source = match RepositoryKind::classify(&d.repository) {
            RepositoryKind::Local => Source::Local {
                path: chart_dir.join("charts").join(&d.name),
            },
            RepositoryKind::File => Source::File {
                path: local_path(&d.repository, chart_dir),
            },
            RepositoryKind::Oci => Source::Oci {
                // As Helm: no trimming, so `oci://r/ns/` gives `r/ns//name`, which the
                // reference parser refuses (Helm: `invalid reference`).
                repository: format!("{}/{}", &d.repository["oci://".len()..], d.name),
                exact: is_exact_version(&d.version),
            },
            RepositoryKind::Alias => match repos.find_alias(&d.repository) {
                Some(entry) => {
                    dep.repository = entry.url.clone();
                    Source::Http {
                        url: entry.url.clone(),
                        repository_name: entry.name.clone(),
                        entry: Some(entry.clone()),
                    }
                }
                None => {
                    missing.push(d.repository.clone());
                    continue;
                }
            },
            RepositoryKind::Url => match repos.find_by_url(&d.repository) {
                Some(entry) => Source::Http {
                    url: d.repository.clone(),
                    repository_name: entry.name.clone(),
                    entry: Some(entry.clone()),
                },
                None => Source::Http {
                    url: d.repository.clone(),
                    repository_name: managed_repository_name(&d.repository),
                    entry: None,
                },
            },
            RepositoryKind::Invalid => {
                missing.push(d.repository.clone());
                continue;
            }
        };
        out.push(PlannedDependency {
            dependency: dep,
            source,
        });
    }
    if !missing.is_empty() {
        return Err(Error::RepositoryNotFound {
            repositories: missing,
        });
    }
    Ok(Plan { dependencies: out })
}

/// Helm's `GetLocalPath` without the existence check: `file://<p>` as a path, joined onto
/// `chart_dir` unless absolute.
pub fn local_path(repository: &str, chart_dir: &Path) -> PathBuf {
    let p = repository.strip_prefix("file://").unwrap_or(repository);
    if p.starts_with('/') {
        PathBuf::from(p)
    } else {
        chart_dir.join(p)
    }
}

/// What the caller found for one planned dependency (same order as the plan).
#[derive(Debug, Clone, Copy)]
pub enum Candidates<'a> {
    /// For [`Source::Local`]: the `version` of the chart in `charts/<name>`.
    Local {
        /// Its `Chart.yaml` version.
        version: &'a str,
    },
    /// For [`Source::File`]: the `version` of the chart directory.
    File {
        /// Its `Chart.yaml` version.
        version: &'a str,
    },
    /// For [`Source::Oci`] with `exact: false`: the tags the registry lists.
    Tags(&'a [String]),
    /// For [`Source::Oci`] with `exact: true`: nothing to look up.
    Exact,
    /// For [`Source::Http`]: the repository's index.
    Index(&'a IndexFile),
}

/// What to download for a resolved dependency.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch {
    /// Nothing: the chart is already in `charts/`.
    Local,
    /// Package the chart directory as `<name>-<version>.tgz`.
    File {
        /// The chart directory.
        path: PathBuf,
    },
    /// Pull `<registry>/<namespace>/<name>:<tag>` (the tag has `_` for `+`); save it as
    /// `<name>-<version>.tgz`.
    Oci {
        /// The reference, without `oci://`.
        reference: String,
    },
    /// Download an archive from a chart repository.
    Http {
        /// `urls[0]` resolved against the repository URL (Helm's `ResolveReferenceURL`).
        url: String,
        /// The index's `digest` (hex SHA-256, no prefix) to verify, if the index has one.
        digest: Option<String>,
        /// The file name to save as: the URL path's last segment.
        file_name: String,
    },
}

/// One resolved dependency.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// What goes into the lock: name, version, repository (rewritten).
    pub locked: Dependency,
    /// What to download.
    pub fetch: Fetch,
}

/// The outcome of [`resolve`].
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The requested dependencies with repositories rewritten (the digest's `req`).
    pub requested: Vec<Dependency>,
    /// One per dependency, in order.
    pub resolved: Vec<Resolved>,
}

impl Resolution {
    /// The locked dependencies (name, version, repository).
    pub fn locked(&self) -> Vec<Dependency> {
        self.resolved.iter().map(|r| r.locked.clone()).collect()
    }

    /// The lock Helm would write for this resolution.
    pub fn lock(&self, generated: Timestamp) -> Lock {
        Lock::new(&self.requested, &self.locked(), generated)
    }
}

/// Picks each dependency's version as Helm's resolver does, given what the caller
/// fetched (`candidates[i]` for `plan.dependencies[i]`).
///
/// - every constraint must parse (the first bad one fails: `dependency "x" has an
///   invalid version/constraint format: improper constraint: ""`);
/// - local (`""`): the constraint is locked as written; the chart in `charts/` must
///   satisfy it;
/// - `file://`: the chart's version, if it satisfies the constraint;
/// - OCI: an exact version as written (no listing), else the highest strict tag that
///   satisfies the constraint, in `+` form;
/// - HTTP: the first index entry (highest first) that parses, has a URL and satisfies the
///   constraint, its version string as written.
///
/// # Errors
/// [`Error::DependencyConstraint`], [`Error::ChartNotInRepository`],
/// [`Error::NoMatchingVersions`] (all unresolvable dependencies at once),
/// [`Error::LocalDependencyMismatch`], [`Error::InvalidUrl`] for an entry URL that does
/// not parse, and [`Error::DependencyCandidates`] when `candidates` do not fit the plan.
///
/// # Deviation from Helm
/// An OCI constraint that no tag satisfies is reported with the others in
/// [`Error::NoMatchingVersions`]; Helm locks the constraint itself and fails when pulling.
pub fn resolve(plan: &Plan, candidates: &[Candidates<'_>]) -> Result<Resolution, Error> {
    if candidates.len() != plan.dependencies.len() {
        return Err(Error::DependencyCandidates {
            name: String::new(),
            repository: String::new(),
            reason: format!(
                "{} candidate lists for {} dependencies",
                candidates.len(),
                plan.dependencies.len()
            ),
        });
    }
    let mut resolved = Vec::with_capacity(candidates.len());
    let mut missing = Vec::new();
    let mut local_mismatch = None;
    for (planned, cands) in plan.dependencies.iter().zip(candidates) {
        let d = &planned.dependency;
        let constraint: VersionReq =
            d.version.parse().map_err(|e| Error::DependencyConstraint {
                name: d.name.clone(),
                source: Box::new(e),
            })?;
        let lock = |version: &str| Dependency {
            name: d.name.clone(),
            version: version.to_owned(),
            repository: d.repository.clone(),
            ..Dependency::default()
        };
        let mismatch = |reason: &str| Error::DependencyCandidates {
            name: d.name.clone(),
            repository: d.repository.clone(),
            reason: reason.to_owned(),
        };
        let matches = |v: &str| {
            v.parse::<ChartVersion>()
                .is_ok_and(|v| constraint.matches(&v))
        };
        let pick: Option<Resolved> = match (&planned.source, cands) {
            (Source::Local { .. }, Candidates::Local { version }) => {
                if !matches(version) && local_mismatch.is_none() {
                    local_mismatch = Some(Error::LocalDependencyMismatch {
                        name: d.name.clone(),
                        version: (*version).to_owned(),
                        constraint: d.version.clone(),
                    });
                }
                Some(Resolved {
                    locked: lock(&d.version),
                    fetch: Fetch::Local,
                })
            }
            (Source::File { path }, Candidates::File { version }) => {
                matches(version).then(|| Resolved {
                    locked: lock(version),
                    fetch: Fetch::File { path: path.clone() },
                })
            }
            (
                Source::Oci {
                    repository,
                    exact: true,
                },
                _,
            ) => Some(Resolved {
                locked: lock(&d.version),
                fetch: Fetch::Oci {
                    reference: format!("{repository}:{}", d.version.replace('+', "_")),
                },
            }),
            (
                Source::Oci {
                    repository,
                    exact: false,
                },
                Candidates::Tags(tags),
            ) => {
                let selection = select_tag(tags.iter().map(String::as_str), &d.version, false)?;
                selection.chosen.map(|c| Resolved {
                    locked: lock(&c.version.to_string()),
                    fetch: Fetch::Oci {
                        reference: format!("{repository}:{}", c.tag),
                    },
                })
            }
            (Source::Http { url, .. }, Candidates::Index(index)) => {
                let entries =
                    index
                        .entries
                        .get(&d.name)
                        .ok_or_else(|| Error::ChartNotInRepository {
                            name: d.name.clone(),
                            repository: d.repository.clone(),
                        })?;
                match entries
                    .iter()
                    .find(|e| !e.urls.is_empty() && matches(&e.metadata.version))
                {
                    Some(entry) => {
                        let download = entry.download_url(url)?;
                        let file_name = file_name_of(&download);
                        Some(Resolved {
                            locked: lock(&entry.metadata.version),
                            fetch: Fetch::Http {
                                url: download,
                                digest: Some(entry.digest.clone()).filter(|d| !d.is_empty()),
                                file_name,
                            },
                        })
                    }
                    None => None,
                }
            }
            (Source::Local { .. }, _) => return Err(mismatch("expected Candidates::Local")),
            (Source::File { .. }, _) => return Err(mismatch("expected Candidates::File")),
            (Source::Oci { .. }, _) => return Err(mismatch("expected Candidates::Tags")),
            (Source::Http { .. }, _) => return Err(mismatch("expected Candidates::Index")),
        };
        match pick {
            Some(r) => resolved.push(r),
            None => missing.push(d.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::NoMatchingVersions { missing });
    }
    if let Some(e) = local_mismatch {
        return Err(e);
    }
    Ok(Resolution {
        requested: plan.requested(),
        resolved,
    })
}

/// The last path segment of a URL (Helm saves downloads under `filepath.Base(u.Path)`).
fn file_name_of(url: &str) -> String {
    let no_fragment = url.split('#').next().unwrap_or(url);
    let path = no_fragment.split('?').next().unwrap_or(no_fragment);
    let after_authority = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("", |j| &path[i + 3 + j..]),
        None => path,
    };
    let trimmed = after_authority.trim_end_matches('/');
    match trimmed.rsplit('/').next() {
        Some(base) if !base.is_empty() => base.to_owned(),
        _ => if trimmed.is_empty() && !after_authority.is_empty() {
            "/"
        } else {
            "."
        }
        .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_like_go() {
        assert_eq!(file_name_of("https://h/a/b-1.0.0.tgz?x=1"), "b-1.0.0.tgz");
        assert_eq!(file_name_of("https://h/a/"), "a");
        assert_eq!(file_name_of("https://h"), ".");
    }

    #[test]
    fn request_uris() {
        assert!(is_request_uri("https://x"));
        assert!(is_request_uri("/abs"));
        assert!(!is_request_uri("stable"));
        assert!(!is_request_uri("1x:y"));
    }
}
