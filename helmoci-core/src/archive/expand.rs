//! Expanding a chart archive into a directory, like `helm pull --untar` and
//! `chartutil.Expand`, but atomically: files are extracted into a temporary directory
//! beside the destination and renamed into place only when everything succeeded.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::read::{read_archive, Limits};
use crate::metadata::ChartMetadata;
use crate::Error;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Expands the chart archive read from `input` into `dest/<chart name>/` and returns that
/// path. `name` names the archive in errors.
///
/// Every entry passes the reader's safety rules ([`read_archive`]); files are written
/// 0644 and directories 0755, UTF-8 BOMs are stripped as Helm's loader does, and mtimes
/// are not restored (as in Helm). The chart name comes from `Chart.yaml`.
///
/// # Errors
/// Archive errors, [`Error::ChartYamlMissing`], a chart name that is not a single path
/// component, [`Error::DestinationExists`] when `dest/<name>` exists (nothing is changed
/// then), and I/O errors. On any error nothing is left in `dest`.
pub fn expand(
    input: impl Read,
    name: &str,
    dest: &Path,
    limits: &Limits,
) -> Result<PathBuf, Error> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    fs::create_dir_all(dest).map_err(write_err(dest))?;
    let tmp = tempfile::Builder::new()
        .prefix(".helmoci-expand-")
        .tempdir_in(dest)
        .map_err(write_err(dest))?;
    let root = tmp.path().join("chart");
    fs::create_dir(&root).map_err(write_err(&root))?;
    read_archive(name, input, limits, |entry, data| {
        let out = root.join(&entry.path);
        if let Some(parent) = out.parent() {
            create_dirs(parent).map_err(write_err(parent))?;
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&out)
            .map_err(write_err(&out))?;
        copy_without_bom(data, &mut file).map_err(write_err(&out))?;
        Ok(())
    })?;
    let chart_yaml = root.join("Chart.yaml");
    let bytes = match fs::read(&chart_yaml) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::ChartYamlMissing),
        Err(source) => {
            return Err(Error::Read {
                path: chart_yaml,
                source,
            })
        }
    };
    let (md, _) = ChartMetadata::from_yaml(&bytes, "Chart.yaml")?;
    let chart_name = md.name;
    if chart_name.is_empty()
        || chart_name == "."
        || chart_name == ".."
        || chart_name.contains(['/', '\\', '\0'])
    {
        return Err(Error::Validation {
            message: format!("chart.metadata.name {chart_name:?} is invalid"),
        });
    }
    let target = dest.join(&chart_name);
    if fs::symlink_metadata(&target).is_ok() {
        return Err(Error::DestinationExists { path: target });
    }
    fs::rename(&root, &target).map_err(write_err(&target))?;
    Ok(target)
}

fn create_dirs(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o755);
    b.create(dir)
}

fn copy_without_bom(data: &mut dyn Read, out: &mut dyn Write) -> io::Result<()> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < 3 {
        let k = data.read(&mut head[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    if head[..n] != *BOM {
        out.write_all(&head[..n])?;
    }
    io::copy(data, out)?;
    Ok(())
}
