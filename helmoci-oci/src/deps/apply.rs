//! Step 5 of an update, once every archive is in the temporary directory: Helm's
//! `safeMoveDeps` (move into `charts/`, replacing namesakes; delete the other chart
//! archives except those of local dependencies).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use helmoci_core::load::{load_archive_file, LoadOptions};

use super::{DependencyOptions, Event};
use crate::error::{Error, Result};

/// What the update did to `charts/`.
pub(crate) struct Outcome {
    pub(crate) saved: Vec<PathBuf>,
    pub(crate) deleted: Vec<PathBuf>,
    pub(crate) downloaded: usize,
    pub(crate) cache_hits: usize,
    /// Downloads to put in the content cache: `(path in charts/, digest)`.
    pub(crate) to_cache: Vec<(PathBuf, helmoci_core::digest::Digest)>,
}

/// Moves `files` (`(temporary path, file name)`) into `charts`, then deletes the files
/// of `charts` that were there before, are not replaced, load as charts and are not a
/// local dependency (by chart name). Returns `(saved, deleted)`.
pub(crate) fn apply(
    files: &[(PathBuf, String)],
    charts: &Path,
    local: &[String],
    options: &DependencyOptions,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    std::fs::create_dir_all(charts).map_err(|e| Error::write(charts, e))?;
    let incoming: HashSet<&str> = files.iter().map(|(_, f)| f.as_str()).collect();
    let mut outdated = Vec::new();
    let entries = std::fs::read_dir(charts).map_err(|e| Error::read(charts, e))?;
    let mut existing: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::read(charts, e))?;
        let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_dir && !incoming.contains(name.as_str()) {
            existing.push(entry.path());
        }
    }
    existing.sort();
    for path in existing {
        match load_archive_file(&path, &LoadOptions::default()) {
            Ok(chart) if local.contains(&chart.metadata.name) => {}
            Ok(_) => outdated.push(path),
            Err(e) => options.emit(Event::NotVerified {
                error: e.to_string(),
                path,
            }),
        }
    }
    let mut saved = Vec::with_capacity(files.len());
    for (src, file) in files {
        let dest = charts.join(file);
        std::fs::rename(src, &dest).map_err(|e| Error::write(&dest, e))?;
        saved.push(dest);
    }
    options.emit(Event::DeletingOutdated);
    let mut deleted = Vec::new();
    for path in outdated {
        match std::fs::remove_file(&path) {
            Ok(()) => deleted.push(path),
            Err(e) => options.emit(Event::Warning {
                message: format!("could not delete {}: {e}", path.display()),
            }),
        }
    }
    Ok((saved, deleted))
}
