//! Packaging a chart directory into `{name}-{version}.tgz`, like `helm package`.
//!
//! One streaming pass: directory walk → tar (Helm's exact layout) → gzip (Helm's header,
//! both cores) → SHA-256 → a temporary file in the destination → atomic rename. The
//! returned [`PackagedChart`] carries the digest and size, so a push never re-reads or
//! re-hashes the archive.
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! # let chart = dir.path().join("demo");
//! # std::fs::create_dir_all(chart.join("templates"))?;
//! # std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n")?;
//! use helmoci_core::package::{package, PackageOptions};
//! use helmoci_core::time::Timestamp;
//! let opts = PackageOptions {
//!     destination: dir.path().join("out"),
//!     mtime: Some(Timestamp::from_unix(1_700_000_000)),
//!     ..PackageOptions::default()
//! };
//! let packaged = package(&chart, &opts)?;
//! assert!(packaged.path.ends_with("demo-0.1.0.tgz"));
//! assert_eq!(packaged, package(&chart, &opts)?); // reproducible: same bytes, same digest
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::archive::gzip::GzipWriter;
use crate::archive::tar_writer::TarWriter;
use crate::chart::{Chart, ChartFile};
use crate::digest::{Digest, HashingWriter};
use crate::load::{load_dir, LoadOptions};
use crate::metadata::ChartMetadata;
use crate::time::Timestamp;
use crate::version::ChartVersion;
use crate::Error;

/// A chart archive written by packaging: where it is, its digest and size (computed while
/// writing, so a push never re-reads or re-hashes it), and the metadata it carries
/// (as archived: sanitized, with Helm's YAML coercions and overrides applied).
#[derive(Debug, Clone, PartialEq)]
pub struct PackagedChart {
    /// The `.tgz` file.
    pub path: PathBuf,
    /// `sha256:` digest of the whole `.tgz`.
    pub digest: Digest,
    /// Size of the `.tgz` in bytes.
    pub size: u64,
    /// The archived `Chart.yaml` metadata.
    pub metadata: ChartMetadata,
}

impl PackagedChart {
    /// An existing chart archive (e.g. one Helm made), ready to push: one streaming pass
    /// hashes the file while checking every entry with the loader's safety rules and
    /// [`Limits`](crate::archive::Limits); only `Chart.yaml` (and a v1 chart's
    /// `requirements.yaml`) are kept in memory. The metadata is loaded and validated as
    /// Helm's loader does.
    ///
    /// # Errors
    /// I/O errors, archive errors ([`read_archive`](crate::archive::read_archive)),
    /// [`Error::ChartYamlMissing`], and `Chart.yaml` parse and validation errors, all
    /// wrapped in [`Error::Load`] naming the file.
    pub fn from_archive(path: &Path, opts: &LoadOptions) -> Result<PackagedChart, Error> {
        let file = open(path)?;
        let mut reader = crate::digest::HashingReader::new(io::BufReader::new(file));
        let metadata = archived_metadata(path, &mut reader, opts, false)?;
        io::copy(&mut reader, &mut io::sink()).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let (_, digest, size) = reader.finish();
        Ok(PackagedChart {
            path: path.to_path_buf(),
            digest,
            size,
            metadata,
        })
    }
}

fn open(path: &Path) -> Result<fs::File, Error> {
    fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the metadata of the archive `input` (named by `path`) with the loader's rules:
/// `Chart.yaml`, plus `requirements.yaml` merged in unless `first_only`, where reading
/// stops after `Chart.yaml`. BOMs stripped, parsed, defaulted and validated as Helm does.
fn archived_metadata(
    path: &Path,
    input: impl io::Read,
    opts: &LoadOptions,
    first_only: bool,
) -> Result<ChartMetadata, Error> {
    use std::ops::ControlFlow;
    let name = path.display().to_string();
    let mut chart_yaml = None;
    let mut requirements = None;
    let read = crate::archive::read_archive_until(&name, input, &opts.limits, |entry, data| {
        let slot = match entry.path.as_str() {
            "Chart.yaml" => &mut chart_yaml,
            "requirements.yaml" if !first_only => &mut requirements,
            _ => return Ok(ControlFlow::Continue(())),
        };
        let mut buf = Vec::with_capacity(entry.size as usize);
        io::Read::read_to_end(data, &mut buf).map_err(|source| Error::ArchiveCorrupt {
            archive: name.clone(),
            source,
        })?;
        if buf.starts_with(b"\xef\xbb\xbf") {
            buf.drain(..3);
        }
        *slot = Some(buf);
        Ok(if first_only {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    });
    let wrap = |e: Error| Error::Load {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    read.map_err(wrap)?;
    let chart_yaml = chart_yaml.ok_or(Error::ChartYamlMissing).map_err(wrap)?;
    let (mut metadata, _) = ChartMetadata::from_yaml(&chart_yaml, "Chart.yaml").map_err(wrap)?;
    if metadata.api_version.is_empty() {
        metadata.api_version = "v1".into();
    }
    if let Some(req) = requirements {
        metadata
            .merge_yaml(&req, "requirements.yaml")
            .map_err(wrap)?;
    }
    metadata.validate().map_err(wrap)?;
    Ok(metadata)
}

/// The `Chart.yaml` of a chart archive, reading only as far as that entry (the first one
/// in archives Helm and helmoci write), with the loader's safety rules for what is read.
///
/// Cheap even for a big archive: a push uses it to name the repository and tag before the
/// whole archive is checked by [`PackagedChart::from_archive`]. The metadata is parsed and
/// validated, but a v1 chart's `requirements.yaml` is not merged in: use `from_archive`
/// for the complete metadata.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let chart = dir.path().join("demo");
/// # std::fs::create_dir_all(&chart)?;
/// # std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n")?;
/// # let opts = helmoci_core::package::PackageOptions { destination: dir.path().into(), ..Default::default() };
/// # let tgz = helmoci_core::package::package(&chart, &opts)?.path;
/// use helmoci_core::{load::LoadOptions, package::peek_metadata};
/// let md = peek_metadata(&tgz, &LoadOptions::default())?;
/// assert_eq!((md.name.as_str(), md.version.as_str()), ("demo", "0.1.0"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`PackagedChart::from_archive`], for the part of the archive that was read.
pub fn peek_metadata(path: &Path, opts: &LoadOptions) -> Result<ChartMetadata, Error> {
    archived_metadata(path, open(path)?, opts, true)
}

/// Receives packaging progress: `(bytes of the tar stream written so far, the chart's
/// [`content_size`](Chart::content_size))`, every 256 KiB or so and once at the end
/// with both equal. Cheap to clone.
///
/// ```
/// use helmoci_core::package::PackageProgress;
/// let p = PackageProgress::new(|done, total| eprintln!("{done}/{total}"));
/// # let _ = p;
/// ```
#[derive(Clone)]
pub struct PackageProgress(std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl PackageProgress {
    /// Progress reported to `f(done, total)`.
    pub fn new(f: impl Fn(u64, u64) + Send + Sync + 'static) -> PackageProgress {
        PackageProgress(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for PackageProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PackageProgress")
    }
}

/// Options for [`package`], mirroring `helm package`'s flags.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// `-d/--destination`: where the `.tgz` goes; created (0755) if missing. Default `.`.
    pub destination: PathBuf,
    /// `--version`: overrides the chart version (must be a valid lenient SemVer).
    pub version: Option<String>,
    /// `--app-version`: overrides `appVersion`.
    pub app_version: Option<String>,
    /// Stamps every entry (and the lock's `generated`) with this time, for reproducible
    /// archives. Default: `SOURCE_DATE_EPOCH` when set, else the files' own mtimes.
    pub mtime: Option<Timestamp>,
    /// Compression threads; 0 (the default) means all available cores. The archive's
    /// bytes do not depend on it.
    pub threads: usize,
    /// Loading options (size limits).
    pub load: LoadOptions,
    /// `fsync` the archive before renaming it into place, for crash durability. Default
    /// `false`, as in Helm: the rename alone already guarantees that no reader ever sees a
    /// partial archive; the sync costs about 5 ms per archive.
    pub sync: bool,
    /// Where packaging progress goes (for a progress bar on big charts). Default `None`.
    pub progress: Option<PackageProgress>,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            destination: PathBuf::from("."),
            version: None,
            app_version: None,
            mtime: None,
            threads: 0,
            load: LoadOptions::default(),
            sync: false,
            progress: None,
        }
    }
}

/// Like `helm package DIR`: loads the chart directory, applies the overrides, checks that
/// every dependency in `Chart.yaml` is present in `charts/`, and writes the archive.
///
/// # Errors
/// Load and validation errors, [`Error::InvalidVersion`] for a bad `--version`,
/// [`Error::MissingDependencies`], [`Error::InvalidSchema`], and I/O errors. On error no
/// file is left in the destination.
pub fn package(dir: &Path, opts: &PackageOptions) -> Result<PackagedChart, Error> {
    package_chart(load_dir(dir, &opts.load)?, opts)
}

/// [`package`] for a chart already loaded (e.g. to show its [`Chart::warnings`] first).
///
/// # Errors
/// As for [`package`].
pub fn package_chart(mut chart: Chart, opts: &PackageOptions) -> Result<PackagedChart, Error> {
    if let Some(v) = &opts.version {
        chart.metadata.version = v.clone();
    }
    chart
        .metadata
        .version
        .parse::<ChartVersion>()
        .map_err(|_| Error::InvalidVersion {
            version: chart.metadata.version.clone(),
            reason: "not a valid semantic version (lenient SemVer 2, e.g. 1.2.3)".into(),
        })?;
    if let Some(v) = &opts.app_version {
        chart.metadata.app_version = v.clone();
    }
    let stamp = match opts.mtime {
        Some(t) => Some(t),
        None => Timestamp::from_source_date_epoch()?,
    };
    if let Some(t) = stamp {
        chart.stamp_mtimes(t);
    }
    check_dependencies(&chart)?;
    save_with(
        &chart,
        &opts.destination,
        opts.threads,
        opts.sync,
        opts.progress.as_ref(),
    )
}

/// Helm's `CheckDependencies`: every `Chart.yaml` dependency, by name, must be loaded
/// from `charts/`.
fn check_dependencies(chart: &Chart) -> Result<(), Error> {
    let missing: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !chart.subcharts.iter().any(|s| s.metadata.name == d.name))
        .map(|d| d.name.clone())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingDependencies { names: missing })
    }
}

/// Like Helm's `chartutil.Save`: writes `chart` as `{name}-{version}.tgz` in `dest`
/// (created if missing) through a temporary file and an atomic rename (with `sync`, the
/// file is `fsync`ed first). `threads` as in [`PackageOptions::threads`].
///
/// # Errors
/// Validation errors, [`Error::InvalidSchema`], and I/O errors; nothing is left behind.
pub fn save(
    chart: &Chart,
    dest: &Path,
    threads: usize,
    sync: bool,
) -> Result<PackagedChart, Error> {
    save_with(chart, dest, threads, sync, None)
}

fn save_with(
    chart: &Chart,
    dest: &Path,
    threads: usize,
    sync: bool,
    progress: Option<&PackageProgress>,
) -> Result<PackagedChart, Error> {
    let mut metadata = chart.metadata.clone();
    metadata.validate()?;
    check_schemas(chart)?;
    match fs::metadata(dest) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::Write {
                path: dest.to_path_buf(),
                source: io::Error::other("is not a directory"),
            })
        }
        Ok(_) => {}
        Err(_) => create_dir(dest)?,
    }
    let target = dest.join(format!("{}-{}.tgz", metadata.name, metadata.version));
    let write_err = |source| Error::Write {
        path: target.clone(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".helmoci-package-")
        .suffix(".tmp")
        .tempfile_in(dest)
        .map_err(write_err)?;
    let hashing = HashingWriter::new(BufWriter::with_capacity(256 * 1024, tmp.as_file_mut()));
    let (buffered, digest, size) = write_archive_with(chart, hashing, threads, progress)?.finish();
    buffered
        .into_inner()
        .map_err(|e| write_err(e.into_error()))?;
    if sync {
        tmp.as_file().sync_all().map_err(write_err)?;
    }
    set_mode_644(tmp.as_file()).map_err(write_err)?;
    tmp.persist(&target).map_err(|e| write_err(e.error))?;
    Ok(PackagedChart {
        path: target,
        digest,
        size,
        metadata,
    })
}

#[cfg(unix)]
fn set_mode_644(f: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_mode_644(_: &fs::File) -> io::Result<()> {
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), Error> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o755);
    b.create(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}

fn check_schemas(chart: &Chart) -> Result<(), Error> {
    if let Some(schema) = &chart.schema {
        let data = schema.data()?;
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&data) {
            return Err(Error::InvalidSchema {
                chart: chart.metadata.name.clone(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            });
        }
    }
    chart.subcharts.iter().try_for_each(check_schemas)
}

/// Writes `chart` as a gzipped tar stream (Helm's layout and gzip header) to `out` and
/// returns `out`. The bytes do not depend on `threads` (0 = all cores).
///
/// # Errors
/// I/O errors, and errors reading files left on disk.
pub fn write_archive<W: Write>(chart: &Chart, out: W, threads: usize) -> Result<W, Error> {
    write_archive_with(chart, out, threads, None)
}

fn write_archive_with<W: Write>(
    chart: &Chart,
    out: W,
    threads: usize,
    progress: Option<&PackageProgress>,
) -> Result<W, Error> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let io_err = |source| Error::Write {
        path: PathBuf::from(format!("{}.tgz", chart.metadata.name)),
        source,
    };
    let gz = GzipWriter::new(out, threads).map_err(io_err)?;
    let gz = match progress {
        None => write_tar(chart, gz)?,
        Some(p) => {
            let total = chart.content_size();
            let metered = Metered {
                inner: gz,
                progress: p,
                done: 0,
                reported: 0,
                total,
            };
            let metered = write_tar(chart, metered)?;
            (metered.progress.0)(total, total);
            metered.inner
        }
    };
    gz.finish().map_err(io_err)
}

/// Counts the tar stream on its way to the compressor for [`PackageProgress`].
struct Metered<'a, W> {
    inner: W,
    progress: &'a PackageProgress,
    done: u64,
    reported: u64,
    total: u64,
}

impl<W: Write> Write for Metered<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.done += n as u64;
        if self.done - self.reported >= 256 * 1024 {
            self.reported = self.done;
            (self.progress.0)(self.done.min(self.total), self.total);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the uncompressed tar stream Helm would write for `chart` (entry order, headers,
/// rewritten `Chart.yaml` and `Chart.lock`) to `out` and returns `out`.
///
/// # Errors
/// I/O errors, and errors reading files left on disk.
pub fn write_tar<W: Write>(chart: &Chart, out: W) -> Result<W, Error> {
    let mut tar = TarWriter::new(out);
    write_chart(&mut tar, chart, "")?;
    tar.finish().map_err(|source| Error::Write {
        path: PathBuf::from(format!("{}.tgz", chart.metadata.name)),
        source,
    })
}

fn write_chart<W: Write>(tar: &mut TarWriter<W>, chart: &Chart, prefix: &str) -> Result<(), Error> {
    let base = format!("{prefix}{}", chart.metadata.name);
    let io_err = |source| Error::Write {
        path: PathBuf::from(&base),
        source,
    };
    let mtime = |t: Timestamp| t.round_to_second().unix_seconds();
    tar.append(
        &format!("{base}/Chart.yaml"),
        chart.metadata.to_archived_yaml().as_bytes(),
        mtime(chart.metadata_mtime),
    )
    .map_err(io_err)?;
    if chart.metadata.api_version == "v2" {
        if let Some(lock) = &chart.lock {
            let generated = lock.generated_time().unwrap_or_else(Timestamp::now);
            tar.append(
                &format!("{base}/Chart.lock"),
                lock.to_yaml().as_bytes(),
                mtime(generated),
            )
            .map_err(io_err)?;
        }
    }
    let files = chart
        .values
        .iter()
        .chain(chart.schema.iter())
        .chain(chart.templates.iter())
        .chain(chart.files.iter());
    for f in files {
        write_file(tar, &base, f)?;
    }
    for sub in &chart.subcharts {
        write_chart(tar, sub, &format!("{base}/charts/"))?;
    }
    Ok(())
}

fn write_file<W: Write>(tar: &mut TarWriter<W>, base: &str, f: &ChartFile) -> Result<(), Error> {
    let name = format!("{base}/{}", f.name);
    let io_err = |source| Error::Write {
        path: PathBuf::from(&name),
        source,
    };
    let size = f.size();
    tar.write_header(&name, size, f.mtime.round_to_second().unix_seconds())
        .map_err(io_err)?;
    f.copy_to(tar.data_writer())?;
    tar.pad(size).map_err(io_err)
}
