//! Like `helm dependency list`: each dependency of `Chart.yaml` with Helm's status for
//! what is in `charts/`, and the charts in `charts/` that `Chart.yaml` does not list.

use std::path::{Path, PathBuf};

use helmoci_core::load::{load, load_archive_file, LoadOptions};
use helmoci_core::version::{ChartVersion, VersionReq};
use helmoci_core::{Chart, Dependency};

use crate::error::{Error, Result};

/// Helm's status of one dependency (`pkg/action/dependency.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DependencyStatus {
    /// `ok`: one `charts/<name>-<version>.tgz` that loads and satisfies the constraint.
    Ok,
    /// `unpacked`: a loaded subchart (directory or archive) satisfies the constraint.
    Unpacked,
    /// `missing`: no subchart of that name.
    Missing,
    /// `wrong version`: the subchart's version does not satisfy the constraint.
    WrongVersion,
    /// `invalid version`: the constraint or the subchart's version does not parse.
    InvalidVersion,
    /// `misnamed`: the archive holds a chart of another name.
    Misnamed,
    /// `corrupt`: the archive does not load.
    Corrupt,
    /// `too many matches`: several `<name>-<semver>.tgz` archives.
    TooManyMatches,
}

impl DependencyStatus {
    /// The text Helm prints.
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyStatus::Ok => "ok",
            DependencyStatus::Unpacked => "unpacked",
            DependencyStatus::Missing => "missing",
            DependencyStatus::WrongVersion => "wrong version",
            DependencyStatus::InvalidVersion => "invalid version",
            DependencyStatus::Misnamed => "misnamed",
            DependencyStatus::Corrupt => "corrupt",
            DependencyStatus::TooManyMatches => "too many matches",
        }
    }
}

impl std::fmt::Display for DependencyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `helm dependency list`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedDependency {
    /// The dependency as `Chart.yaml` declares it.
    pub dependency: Dependency,
    /// Its status.
    pub status: DependencyStatus,
}

/// A file or directory in `charts/` that Helm warns about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrayChart {
    /// `WARNING: "<path>" is not a chart.`
    NotAChart(PathBuf),
    /// `WARNING: "<path>" is not in Chart.yaml.`
    NotInChartYaml(PathBuf),
}

/// What [`list_dependencies`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// One per `Chart.yaml` dependency, in order (empty: Helm prints
    /// `WARNING: no dependencies at <chart>/charts`).
    pub dependencies: Vec<ListedDependency>,
    /// Entries of `charts/` Helm warns about, in name order.
    pub strays: Vec<StrayChart>,
}

/// Like `helm dependency list CHART` (a directory or an archive).
///
/// # Errors
/// [`Error::Dependencies`] when the chart does not load.
pub fn list_dependencies(chart: &Path) -> Result<Listing> {
    let loaded = load(chart).map_err(|source| Error::Dependencies {
        chart: chart.to_owned(),
        source: Box::new(source),
    })?;
    let charts_dir = chart.join("charts");
    let mut entries: Vec<String> = std::fs::read_dir(&charts_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let dependencies = loaded
        .metadata
        .dependencies
        .iter()
        .map(|d| ListedDependency {
            dependency: d.clone(),
            status: status(&charts_dir, &entries, d, &loaded),
        })
        .collect();
    let mut strays = Vec::new();
    for name in &entries {
        let path = charts_dir.join(name);
        let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        if !is_dir && !name.ends_with(".tgz") {
            continue;
        }
        match load(&path) {
            Err(_) => strays.push(StrayChart::NotAChart(path)),
            Ok(c) => {
                if !loaded
                    .metadata
                    .dependencies
                    .iter()
                    .any(|d| d.name == c.metadata.name)
                {
                    strays.push(StrayChart::NotInChartYaml(path));
                }
            }
        }
    }
    Ok(Listing {
        dependencies,
        strays,
    })
}

fn status(
    charts_dir: &Path,
    entries: &[String],
    dep: &Dependency,
    parent: &Chart,
) -> DependencyStatus {
    let prefix = format!("{}-", dep.name);
    let archives: Vec<&String> = entries
        .iter()
        .filter(|e| e.starts_with(&prefix) && e.ends_with(".tgz"))
        .collect();
    if archives.len() > 1 {
        let found: Vec<&&String> = archives
            .iter()
            .filter(|a| {
                let v = &a[prefix.len()..a.len() - ".tgz".len()];
                ChartVersion::parse_strict(v).is_ok()
            })
            .collect();
        if found.len() == 1 {
            if let Some(s) = stat_archive(&charts_dir.join(found[0]), dep) {
                return s;
            }
        } else if found.len() > 1 {
            return DependencyStatus::TooManyMatches;
        }
    } else if let Some(a) = archives.first() {
        if let Some(s) = stat_archive(&charts_dir.join(a), dep) {
            return s;
        }
    }
    match parent
        .subcharts
        .iter()
        .rev()
        .find(|s| s.metadata.name == dep.name)
    {
        None => DependencyStatus::Missing,
        Some(sub) => {
            check_version(&sub.metadata.version, dep).unwrap_or(DependencyStatus::Unpacked)
        }
    }
}

fn check_version(version: &str, dep: &Dependency) -> Option<DependencyStatus> {
    if version == dep.version {
        return None;
    }
    let Ok(req) = dep.version.parse::<VersionReq>() else {
        return Some(DependencyStatus::InvalidVersion);
    };
    let Ok(v) = version.parse::<ChartVersion>() else {
        return Some(DependencyStatus::InvalidVersion);
    };
    (!req.matches(&v)).then_some(DependencyStatus::WrongVersion)
}

fn stat_archive(path: &Path, dep: &Dependency) -> Option<DependencyStatus> {
    if !path.exists() {
        return None;
    }
    let Ok(c) = load_archive_file(path, &LoadOptions::default()) else {
        return Some(DependencyStatus::Corrupt);
    };
    if c.metadata.name != dep.name {
        return Some(DependencyStatus::Misnamed);
    }
    Some(check_version(&c.metadata.version, dep).unwrap_or(DependencyStatus::Ok))
}
