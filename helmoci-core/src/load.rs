//! Loading charts from directories and archives, like Helm's `loader.Load`.
//!
//! ```no_run
//! let chart = helmoci_core::load::load("mychart")?;          // a directory…
//! let chart = helmoci_core::load::load("mychart-0.1.0.tgz")?; // …or an archive
//! println!("{} {}", chart.metadata.name, chart.metadata.version);
//! # Ok::<(), helmoci_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use crate::archive::{read_archive, Limits};
use crate::chart::{Chart, ChartFile};
use crate::ignore::IgnoreRules;
use crate::lock::Lock;
use crate::metadata::{ChartMetadata, Warning};
use crate::walk::walk_chart_dir;
use crate::Error;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Options for loading charts. The defaults are Helm's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Size limits (100 MiB per chart archive, 5 MiB per file by default).
    pub limits: Limits,
}

/// Loads a chart from a directory or a `.tgz` file with the default options.
///
/// # Errors
/// [`Error::Load`] naming the path, with the cause under it.
pub fn load(path: impl AsRef<Path>) -> Result<Chart, Error> {
    load_with(path.as_ref(), &LoadOptions::default())
}

/// Loads a chart from a directory or a `.tgz` file.
///
/// # Errors
/// [`Error::Load`] naming the path, with the cause under it.
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Chart, Error> {
    let meta = fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        load_dir(path, opts)
    } else {
        load_archive_file(path, opts)
    }
}

fn wrap(path: &Path) -> impl FnOnce(Error) -> Error + '_ {
    move |e| match e {
        e @ (Error::Load { .. } | Error::Read { .. }) => e,
        e => Error::Load {
            path: path.to_path_buf(),
            source: Box::new(e),
        },
    }
}

/// Loads a chart directory: `.helmignore` applied, symlinks followed inside the chart.
///
/// # Errors
/// [`Error::NoChartYaml`], walk errors, parse and validation errors, wrapped in
/// [`Error::Load`].
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Chart, Error> {
    let root = fs::canonicalize(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let load = || -> Result<Chart, Error> {
        if !root.join("Chart.yaml").is_file() {
            return Err(Error::NoChartYaml {
                dir: dir.to_path_buf(),
            });
        }
        let rules = match fs::read(root.join(".helmignore")) {
            Ok(bytes) => IgnoreRules::parse_bytes(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => IgnoreRules::default(),
            Err(source) => {
                return Err(Error::Read {
                    path: root.join(".helmignore"),
                    source,
                })
            }
        };
        let files = walk_chart_dir(&root, &rules, &opts.limits)?;
        from_files(files, opts)
    };
    load().map_err(wrap(dir))
}

/// Loads a chart archive file.
///
/// # Errors
/// Archive errors (see [`read_archive`]) and load errors, wrapped in [`Error::Load`].
pub fn load_archive_file(path: &Path, opts: &LoadOptions) -> Result<Chart, Error> {
    let f = File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_archive(f, &path.display().to_string(), opts).map_err(wrap(path))
}

/// Loads a chart archive from any reader; `name` names it in errors.
///
/// # Errors
/// Archive errors (see [`read_archive`]) and load errors.
pub fn load_archive(input: impl Read, name: &str, opts: &LoadOptions) -> Result<Chart, Error> {
    let mut files = Vec::new();
    read_archive(name, input, &opts.limits, |entry, data| {
        let mut buf = Vec::with_capacity(entry.size as usize);
        data.read_to_end(&mut buf)
            .map_err(|source| Error::ArchiveCorrupt {
                archive: name.to_owned(),
                source,
            })?;
        if buf.starts_with(BOM) {
            buf.drain(..BOM.len());
        }
        files.push(ChartFile::from_bytes(entry.path.clone(), entry.mtime, buf));
        Ok(())
    })?;
    from_files(files, opts)
}

/// Helm's `LoadFiles`: sorts chart-relative files into a [`Chart`], validates the
/// metadata, then loads subcharts from `charts/`.
pub(crate) fn from_files(files: Vec<ChartFile>, opts: &LoadOptions) -> Result<Chart, Error> {
    let mut chart = Chart::default();
    let mut metadata: Option<ChartMetadata> = None;
    for f in files.iter().filter(|f| f.name == "Chart.yaml") {
        let md = metadata.get_or_insert_with(ChartMetadata::default);
        let warnings = md
            .merge_yaml(&f.data()?, "Chart.yaml")
            .map_err(|e| file_invalid("Chart.yaml", e))?;
        chart.warnings.extend(warnings);
        if md.api_version.is_empty() {
            md.api_version = "v1".into();
        }
        chart.metadata_mtime = f.mtime;
    }
    let mut subchart_files: BTreeMap<String, Vec<ChartFile>> = BTreeMap::new();
    for f in files {
        let name = f.name.clone();
        match name.as_str() {
            "Chart.yaml" => {}
            "Chart.lock" => {
                chart.lock = Some(
                    Lock::from_yaml(&f.data()?, "Chart.lock")
                        .map_err(|e| file_invalid("Chart.lock", e))?,
                );
            }
            "values.yaml" => {
                crate::values::check_values(&f.data()?, "values.yaml")
                    .map_err(|e| file_invalid("values.yaml", e))?;
                chart.values = Some(f);
            }
            "values.schema.json" => chart.schema = Some(f),
            "requirements.yaml" => {
                let md = metadata.get_or_insert_with(ChartMetadata::default);
                if md.api_version != "v1" {
                    chart.warnings.push(Warning {
                        file: "requirements.yaml".into(),
                        line: 0,
                        message: "dependencies are handled in Chart.yaml since apiVersion \"v2\"; move them there (Helm merges them and drops the file)".into(),
                    });
                }
                let w = md
                    .merge_yaml(&f.data()?, "requirements.yaml")
                    .map_err(|e| file_invalid("requirements.yaml", e))?;
                chart.warnings.extend(w);
                if md.api_version == "v1" {
                    chart.files.push(f);
                }
            }
            "requirements.lock" => {
                chart.lock = Some(
                    Lock::from_yaml(&f.data()?, "requirements.lock")
                        .map_err(|e| file_invalid("requirements.lock", e))?,
                );
                let md = metadata.get_or_insert_with(ChartMetadata::default);
                if md.api_version == "v1" {
                    chart.files.push(f);
                } else {
                    chart.warnings.push(Warning {
                        file: "requirements.lock".into(),
                        line: 0,
                        message: "dependency locking is handled in Chart.lock since apiVersion \"v2\"; it is archived as Chart.lock".into(),
                    });
                }
            }
            name if name.starts_with("templates/") => chart.templates.push(f),
            name if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(f);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let group = rest.split('/').next().unwrap_or(rest).to_owned();
                let mut f = f;
                f.name = rest.to_owned();
                subchart_files.entry(group).or_default().push(f);
            }
            _ => chart.files.push(f),
        }
    }
    let Some(mut metadata) = metadata else {
        return Err(Error::ChartYamlMissing);
    };
    metadata.validate()?;
    chart.metadata = metadata;
    for (group, files) in subchart_files {
        if group.starts_with('_') || group.starts_with('.') {
            continue;
        }
        let sub = load_subchart(&chart.metadata.name, &group, files, opts).map_err(|e| {
            Error::Subchart {
                subchart: group.clone(),
                parent: chart.metadata.name.clone(),
                source: Box::new(e),
            }
        })?;
        chart.subcharts.push(sub);
    }
    chart
        .subcharts
        .sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(chart)
}

fn file_invalid(file: &str, e: Error) -> Error {
    Error::ChartFileInvalid {
        file: file.to_owned(),
        source: Box::new(e),
    }
}

fn load_subchart(
    parent: &str,
    group: &str,
    files: Vec<ChartFile>,
    opts: &LoadOptions,
) -> Result<Chart, Error> {
    if group.ends_with(".tgz") {
        let Some(first) = files.first() else {
            return Err(Error::StraySubchartFile {
                parent: parent.to_owned(),
                file: group.to_owned(),
            });
        };
        if first.name != group {
            return Err(Error::ArchiveUnsafePath {
                archive: format!("charts/{group}"),
                entry: first.name.clone(),
                reason: "a subchart archive must be a single file in charts/",
            });
        }
        return load_archive(&first.data()?[..], &format!("charts/{group}"), opts);
    }
    let mut inner = Vec::with_capacity(files.len());
    for mut f in files {
        match f.name.split_once('/') {
            Some((_, rest)) => {
                f.name = rest.to_owned();
                inner.push(f);
            }
            None => {
                return Err(Error::StraySubchartFile {
                    parent: parent.to_owned(),
                    file: f.name,
                })
            }
        }
    }
    if !inner.iter().any(|f| f.name == "Chart.yaml") {
        return Err(Error::NoChartYaml {
            dir: format!("charts/{group}").into(),
        });
    }
    from_files(inner, opts)
}
