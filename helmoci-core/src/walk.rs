//! The directory walk behind loading and packaging a chart directory.
//!
//! Like Helm's `sympath.Walk`: depth-first, entries sorted bytewise, `.helmignore` applied
//! (an ignored directory is skipped whole), symbolic links followed. Unlike Helm, a link
//! that leaves the chart directory or loops back into the walk is an error instead of
//! being followed (or recursing until the stack runs out).

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::archive::Limits;
use crate::chart::ChartFile;
use crate::ignore::IgnoreRules;
use crate::time::Timestamp;
use crate::Error;

/// Files up to this size are read during the walk; larger ones are streamed when needed.
const IN_MEMORY_MAX: u64 = 256 * 1024;
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Walks the chart directory `root` (already canonical) and returns its files in Helm's
/// order, with BOMs stripped and `.helmignore` applied.
pub(crate) fn walk_chart_dir(
    root: &Path,
    rules: &IgnoreRules,
    limits: &Limits,
) -> Result<Vec<ChartFile>, Error> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    walk(root, root, "", rules, limits, &mut stack, &mut files)?;
    Ok(files)
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    rel: &str,
    rules: &IgnoreRules,
    limits: &Limits,
    stack: &mut Vec<PathBuf>,
    files: &mut Vec<ChartFile>,
) -> Result<(), Error> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .map_err(read_err(dir))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .map_err(read_err(dir))?;
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    for name in names {
        let path = dir.join(&name);
        let Some(name) = name.to_str() else {
            return Err(Error::ChartPath {
                path,
                reason: "the name is not valid UTF-8",
            });
        };
        let rel_name = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        let lmeta = fs::symlink_metadata(&path).map_err(read_err(&path))?;
        let (target, meta) = if lmeta.file_type().is_symlink() {
            let target = fs::canonicalize(&path).map_err(|source| Error::Symlink {
                path: path.clone(),
                reason: format!("cannot evaluate it: {source}"),
            })?;
            if !target.starts_with(root) {
                return Err(Error::Symlink {
                    path: path.clone(),
                    reason: format!(
                        "it points to {} outside the chart directory; copy the file into the chart instead",
                        target.display()
                    ),
                });
            }
            let meta = fs::metadata(&target).map_err(read_err(&target))?;
            (target, meta)
        } else {
            (path.clone(), lmeta)
        };
        if meta.is_dir() {
            if rules.ignores(&rel_name, true) {
                continue;
            }
            if stack.contains(&target) {
                return Err(Error::Symlink {
                    path,
                    reason: "it loops back into a directory that contains it".into(),
                });
            }
            stack.push(target.clone());
            walk(root, &target, &rel_name, rules, limits, stack, files)?;
            stack.pop();
            continue;
        }
        if rules.ignores(&rel_name, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(Error::ChartPath {
                path,
                reason: "cannot load irregular file as it has file mode type bits set (a device, socket or FIFO)",
            });
        }
        if meta.len() > limits.max_file_size {
            return Err(Error::ChartFileTooLarge {
                path,
                size: meta.len(),
                limit: limits.max_file_size,
            });
        }
        let mtime = meta
            .modified()
            .map(Timestamp::from_system_time)
            .unwrap_or_default();
        files.push(read_file(rel_name, &target, meta.len(), mtime)?);
    }
    Ok(())
}

fn read_file(name: String, path: &Path, len: u64, mtime: Timestamp) -> Result<ChartFile, Error> {
    if len <= IN_MEMORY_MAX {
        let mut data = fs::read(path).map_err(read_err(path))?;
        if data.starts_with(BOM) {
            data.drain(..BOM.len());
        }
        return Ok(ChartFile::from_bytes(name, mtime, data));
    }
    let mut head = [0u8; 3];
    let mut f = File::open(path).map_err(read_err(path))?;
    f.read_exact(&mut head).map_err(read_err(path))?;
    let skip = if head == BOM { 3 } else { 0 };
    Ok(ChartFile::on_disk(
        name,
        mtime,
        path.to_path_buf(),
        skip,
        len - skip,
    ))
}
