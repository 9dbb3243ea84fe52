//! A loaded chart: metadata, lock, values, schema, templates, other files and subcharts.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::lock::Lock;
use crate::metadata::{ChartMetadata, Warning};
use crate::time::Timestamp;
use crate::Error;

/// A chart as Helm's loader sees it (`pkg/chart/v2.Chart`).
///
/// Files keep their load order (the directory walk's bytewise order, or archive order);
/// subcharts are sorted by name (Helm's order is random).
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// `Chart.yaml`, validated and sanitized (plus `requirements.yaml` for v1 charts).
    pub metadata: ChartMetadata,
    /// The modification time of `Chart.yaml` (the archived `Chart.yaml`'s mtime).
    pub metadata_mtime: Timestamp,
    /// `Chart.lock` (or a v1 chart's `requirements.lock`).
    pub lock: Option<Lock>,
    /// `values.yaml`, raw bytes (a UTF-8 BOM stripped).
    pub values: Option<ChartFile>,
    /// `values.schema.json`.
    pub schema: Option<ChartFile>,
    /// Everything under `templates/`.
    pub templates: Vec<ChartFile>,
    /// All other files (`crds/`, `README.md`, `.helmignore`, `charts/*.prov`, …).
    pub files: Vec<ChartFile>,
    /// Subcharts from `charts/`, as directories or archives, sorted by name.
    pub subcharts: Vec<Chart>,
    /// Things Helm accepts silently but a user should know (unquoted numeric versions, …).
    pub warnings: Vec<Warning>,
}

impl Chart {
    /// Bytes of file content in the chart and its subcharts (values, schema, templates,
    /// other files): about what its archive holds before compression.
    pub fn content_size(&self) -> u64 {
        let own: u64 = self
            .values
            .iter()
            .chain(&self.schema)
            .chain(&self.templates)
            .chain(&self.files)
            .map(ChartFile::size)
            .sum();
        own + self.subcharts.iter().map(Chart::content_size).sum::<u64>()
    }

    /// The chart's name (`metadata.name`).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Files under `crds/` ending in `.yaml`, `.yml` or `.json` (case-insensitive), then
    /// those of the subcharts, as Helm's `CRDObjects` lists them.
    pub fn crds(&self) -> Vec<&ChartFile> {
        let mut out: Vec<&ChartFile> = self
            .files
            .iter()
            .filter(|f| {
                let lower = f.name.to_ascii_lowercase();
                f.name.starts_with("crds/")
                    && (lower.ends_with(".yaml")
                        || lower.ends_with(".yml")
                        || lower.ends_with(".json"))
            })
            .collect();
        for sub in &self.subcharts {
            out.extend(sub.crds());
        }
        out
    }

    /// The README `helm show readme` prints: the first root file named `readme.md`,
    /// `readme.txt` or `readme` (case-insensitive).
    pub fn readme(&self) -> Option<&ChartFile> {
        self.files.iter().find(|f| {
            matches!(
                f.name.to_ascii_lowercase().as_str(),
                "readme.md" | "readme.txt" | "readme"
            )
        })
    }

    /// Sets every modification time — `Chart.yaml`, files, the lock's `generated`, and
    /// those of all subcharts — to `t`, as Helm does for `SOURCE_DATE_EPOCH`.
    pub fn stamp_mtimes(&mut self, t: Timestamp) {
        self.metadata_mtime = t;
        if let Some(lock) = &mut self.lock {
            lock.generated = t.to_rfc3339();
        }
        for f in self
            .values
            .iter_mut()
            .chain(self.schema.iter_mut())
            .chain(self.templates.iter_mut())
            .chain(self.files.iter_mut())
        {
            f.mtime = t;
        }
        for sub in &mut self.subcharts {
            sub.stamp_mtimes(t);
        }
    }
}

/// One file of a chart: its chart-relative name, mtime and content.
///
/// Small files are held in memory; large files of a chart directory stay on disk and are
/// streamed when packaged, so packaging an 80 MiB chart does not need 80 MiB of memory.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// Path relative to the chart root, `/`-separated (`templates/deployment.yaml`).
    pub name: String,
    /// Modification time.
    pub mtime: Timestamp,
    content: Content,
}

#[derive(Debug, Clone)]
enum Content {
    Memory(Vec<u8>),
    Disk { path: PathBuf, skip: u64, size: u64 },
}

impl ChartFile {
    /// A file held in memory.
    pub fn from_bytes(name: impl Into<String>, mtime: Timestamp, data: Vec<u8>) -> ChartFile {
        ChartFile {
            name: name.into(),
            mtime,
            content: Content::Memory(data),
        }
    }

    /// A file read lazily from `path`, skipping the first `skip` bytes (a BOM), `size`
    /// bytes long after that.
    pub(crate) fn on_disk(
        name: String,
        mtime: Timestamp,
        path: PathBuf,
        skip: u64,
        size: u64,
    ) -> ChartFile {
        ChartFile {
            name,
            mtime,
            content: Content::Disk { path, skip, size },
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match &self.content {
            Content::Memory(d) => d.len() as u64,
            Content::Disk { size, .. } => *size,
        }
    }

    /// The whole content (read from disk when it was left there).
    ///
    /// # Errors
    /// [`Error::Read`] when a file left on disk cannot be read or changed size.
    pub fn data(&self) -> Result<Cow<'_, [u8]>, Error> {
        match &self.content {
            Content::Memory(d) => Ok(Cow::Borrowed(d)),
            Content::Disk { .. } => {
                let mut buf = Vec::with_capacity(self.size() as usize);
                self.copy_to(&mut buf)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// Writes the content to `out`, streaming from disk when it was left there.
    ///
    /// # Errors
    /// [`Error::Read`] when the file cannot be read or no longer has the size it had when
    /// the chart was loaded, and [`Error::Write`]-style I/O errors from `out` as
    /// [`Error::Read`] of the source.
    pub fn copy_to(&self, out: &mut dyn Write) -> Result<(), Error> {
        match &self.content {
            Content::Memory(d) => out.write_all(d).map_err(|e| Error::Write {
                path: PathBuf::from(&self.name),
                source: e,
            }),
            Content::Disk { path, skip, size } => {
                let read_err = |source| Error::Read {
                    path: path.clone(),
                    source,
                };
                let mut f = File::open(path).map_err(read_err)?;
                f.seek(SeekFrom::Start(*skip)).map_err(read_err)?;
                let copied =
                    io::copy(&mut Read::by_ref(&mut f).take(*size), out).map_err(read_err)?;
                let mut probe = [0u8; 1];
                let grew = f.read(&mut probe).map_err(read_err)? != 0;
                if copied != *size || grew {
                    return Err(read_err(io::Error::other(format!(
                        "the file changed while it was being packaged (expected {size} bytes)"
                    ))));
                }
                Ok(())
            }
        }
    }
}
