//! The `oci-layout://DIR` target: chart NAME lives in the OCI image layout `DIR/NAME`
//! (`oci-layout`, `index.json`, `blobs/sha256/…`), each version tagged by the index
//! annotation `org.opencontainers.image.ref.name`, so `skopeo inspect oci:DIR/NAME:VERSION`
//! and `oras` read it.
//!
//! Writes are atomic: blobs go through a temp file in `blobs/sha256/` and a rename after
//! their digest is checked; `index.json` is rewritten through a temp file and a rename while
//! holding `index.json.lock`, so concurrent writers never lose each other's tags.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use helmoci_core::digest::{Digest, HashingWriter};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::manifest::{Descriptor, ANNOTATION_REF_NAME, MAX_MANIFEST_SIZE};

/// The content of the `oci-layout` file.
const OCI_LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
/// How long a writer waits for `index.json.lock` before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// One OCI image layout directory (`DIR/NAME`), holding one chart's versions.
///
/// All methods block on file I/O; the async operations call them through `spawn_blocking`.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

/// An entry of the layout's `index.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutEntry {
    /// The manifest descriptor.
    pub descriptor: Descriptor,
    /// Its `org.opencontainers.image.ref.name`, if any.
    pub ref_name: Option<String>,
}

impl Layout {
    /// The layout at `root` (nothing is read or created yet).
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// Where the blob `digest` is stored.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest.hex())
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    /// Creates the directory, `blobs/sha256/` and `oci-layout` if missing.
    ///
    /// # Errors
    /// [`Error::Write`] when the directory cannot be created.
    pub fn init(&self) -> Result<()> {
        let blobs = self.blobs_dir();
        fs::create_dir_all(&blobs).map_err(|e| Error::write(&blobs, e))?;
        let marker = self.root.join("oci-layout");
        if !marker.exists() {
            write_atomic(&marker, OCI_LAYOUT_FILE.as_bytes())?;
        }
        if !self.index_path().exists() {
            self.with_index_lock(|entries| {
                let _ = entries;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// True when the blob is present with the expected size.
    pub fn has_blob(&self, descriptor: &Descriptor) -> bool {
        fs::metadata(self.blob_path(&descriptor.digest))
            .map(|m| m.is_file() && m.len() == descriptor.size)
            .unwrap_or(false)
    }

    /// Stores a blob from `reader`, verifying digest and size before the rename.
    /// A blob already present is left alone.
    ///
    /// # Errors
    /// [`Error::DigestMismatch`]/[`Error::SizeMismatch`] (nothing is written), or I/O errors.
    pub fn put_blob(&self, descriptor: &Descriptor, reader: &mut dyn Read) -> Result<()> {
        if self.has_blob(descriptor) {
            return Ok(());
        }
        let dir = self.blobs_dir();
        fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&dir)
            .map_err(|e| Error::write(&dir, e))?;
        let mut w = HashingWriter::new(tmp);
        let limit = descriptor.size.saturating_add(1);
        io::copy(&mut reader.take(limit), &mut w).map_err(|e| Error::write(&dir, e))?;
        let (tmp, digest, size) = w.finish();
        let what = self.root.display().to_string();
        check_blob(&what, descriptor, &digest, size)?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::write(tmp.path(), e))?;
        let dest = self.blob_path(&descriptor.digest);
        tmp.persist(&dest)
            .map_err(|e| Error::write(&dest, e.error))?;
        Ok(())
    }

    /// Opens a blob for reading (the caller verifies while reading).
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent.
    pub fn open_blob(&self, digest: &Digest) -> Result<fs::File> {
        let path = self.blob_path(digest);
        fs::File::open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::NotFound {
                    reference: format!("{}@{digest}", self.root.display()),
                }
            } else {
                Error::read(&path, e)
            }
        })
    }

    /// Reads a small blob (a manifest) whole, capped at 4 MiB, verifying its digest.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::TooLarge`], [`Error::DigestMismatch`].
    pub fn read_small_blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        let f = self.open_blob(digest)?;
        let mut buf = Vec::new();
        f.take(MAX_MANIFEST_SIZE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::read(self.blob_path(digest), e))?;
        if buf.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(Error::TooLarge {
                what: "manifest",
                reference: self.root.display().to_string(),
                limit: MAX_MANIFEST_SIZE,
            });
        }
        let actual = Digest::sha256_of(&buf);
        if &actual != digest {
            return Err(Error::DigestMismatch {
                reference: self.root.display().to_string(),
                expected: digest.clone(),
                actual,
            });
        }
        Ok(buf)
    }

    /// The entries of `index.json` (empty when the layout does not exist yet).
    ///
    /// # Errors
    /// [`Error::InvalidLayout`] when `index.json` is malformed.
    pub fn entries(&self) -> Result<Vec<LayoutEntry>> {
        let path = self.index_path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::read(&path, e)),
        };
        let index = parse_index(&path, &bytes)?;
        index_entries(&path, &index)
    }

    /// The manifest tagged `ref_name`, if any (the last entry wins).
    ///
    /// # Errors
    /// As [`entries`](Self::entries).
    pub fn resolve(&self, ref_name: &str) -> Result<Option<Descriptor>> {
        Ok(self
            .entries()?
            .into_iter()
            .rev()
            .find(|e| e.ref_name.as_deref() == Some(ref_name))
            .map(|e| e.descriptor))
    }

    /// The ref names (tags), in index order, without duplicates.
    ///
    /// # Errors
    /// As [`entries`](Self::entries).
    pub fn tags(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for e in self.entries()? {
            if let Some(r) = e.ref_name {
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Stores a manifest blob and points `ref_name` at it in `index.json` (replacing an
    /// older entry with that name). Without a ref name the manifest is added untagged
    /// unless already listed.
    ///
    /// # Errors
    /// I/O errors, [`Error::LayoutLocked`], [`Error::InvalidLayout`].
    pub fn put_manifest(
        &self,
        descriptor: &Descriptor,
        bytes: &[u8],
        ref_name: Option<&str>,
    ) -> Result<()> {
        self.init()?;
        self.put_blob(descriptor, &mut &bytes[..])?;
        self.with_index_lock(|manifests| {
            let same_name = |v: &Value| {
                v.pointer("/annotations")
                    .and_then(|a| a.get(ANNOTATION_REF_NAME))
                    .and_then(Value::as_str)
                    == ref_name
            };
            match ref_name {
                Some(_) => manifests.retain(|v| !same_name(v)),
                None => {
                    if manifests.iter().any(|v| {
                        v.get("digest").and_then(Value::as_str) == Some(descriptor.digest.as_str())
                    }) {
                        return Ok(());
                    }
                }
            }
            let mut entry = json!({
                "mediaType": descriptor.media_type,
                "digest": descriptor.digest.as_str(),
                "size": descriptor.size,
            });
            if let Some(r) = ref_name {
                entry["annotations"] = json!({ ANNOTATION_REF_NAME: r });
            }
            manifests.push(entry);
            Ok(())
        })
    }

    /// Runs `edit` on the index's `manifests` array under the lock, then writes it back
    /// atomically.
    fn with_index_lock(&self, edit: impl FnOnce(&mut Vec<Value>) -> Result<()>) -> Result<()> {
        fs::create_dir_all(&self.root).map_err(|e| Error::write(&self.root, e))?;
        let _lock = LockFile::acquire(self.root.join("index.json.lock"))?;
        let path = self.index_path();
        let mut index = match fs::read(&path) {
            Ok(b) => parse_index(&path, &b)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                json!({ "schemaVersion": 2, "manifests": [] })
            }
            Err(e) => return Err(Error::read(&path, e)),
        };
        let manifests = index
            .get_mut("manifests")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| Error::InvalidLayout {
                path: path.clone(),
                reason: "index.json has no manifests array".into(),
            })?;
        edit(manifests)?;
        let bytes = serde_json::to_vec(&index).map_err(|e| Error::InvalidLayout {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&path, &bytes)
    }
}

fn parse_index(path: &Path, bytes: &[u8]) -> Result<Value> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| Error::InvalidLayout {
        path: path.to_owned(),
        reason: format!("index.json is not JSON: {e}"),
    })?;
    if !v.is_object() {
        return Err(Error::InvalidLayout {
            path: path.to_owned(),
            reason: "index.json is not an object".into(),
        });
    }
    Ok(v)
}

fn index_entries(path: &Path, index: &Value) -> Result<Vec<LayoutEntry>> {
    let bad = |reason: String| Error::InvalidLayout {
        path: path.to_owned(),
        reason,
    };
    let Some(list) = index.get("manifests").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let digest = v
                .get("digest")
                .and_then(Value::as_str)
                .and_then(|d| d.parse::<Digest>().ok())
                .ok_or_else(|| bad(format!("manifests[{i}] has no valid sha256 digest")))?;
            let size = v
                .get("size")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(format!("manifests[{i}] has no valid size")))?;
            let media_type = v
                .get("mediaType")
                .and_then(Value::as_str)
                .unwrap_or(crate::media_type::OCI_MANIFEST)
                .to_owned();
            let ref_name = v
                .pointer("/annotations")
                .and_then(|a| a.get(ANNOTATION_REF_NAME))
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok(LayoutEntry {
                descriptor: Descriptor {
                    media_type,
                    digest,
                    size,
                },
                ref_name,
            })
        })
        .collect()
}

/// Checks a received blob against its descriptor.
pub(crate) fn check_blob(what: &str, want: &Descriptor, digest: &Digest, size: u64) -> Result<()> {
    if size != want.size {
        return Err(Error::SizeMismatch {
            reference: what.to_owned(),
            digest: want.digest.clone(),
            expected: want.size,
            actual: size,
        });
    }
    if digest != &want.digest {
        return Err(Error::DigestMismatch {
            reference: what.to_owned(),
            expected: want.digest.clone(),
            actual: digest.clone(),
        });
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temp file in the same directory and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::write(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::write(path, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::write(path, e))?;
    set_readable(tmp.path());
    tmp.persist(path).map_err(|e| Error::write(path, e.error))?;
    Ok(())
}

/// Makes a file 0644 (temp files are created 0600).
pub(crate) fn set_readable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// An exclusive lock file, removed on drop.
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(path: PathBuf) -> Result<LockFile> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(LockFile(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if start.elapsed() > LOCK_WAIT {
                        return Err(Error::LayoutLocked { path });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(Error::write(&path, e)),
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_type;

    #[test]
    fn blobs_and_tags_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::new(dir.path().join("demo"));
        l.init().unwrap();
        let d = Descriptor::of_bytes(media_type::CHART_CONFIG, b"{}");
        l.put_blob(&d, &mut &b"{}"[..]).unwrap();
        assert!(l.has_blob(&d));
        let m1 = Descriptor::of_bytes(media_type::OCI_MANIFEST, b"m1");
        let m2 = Descriptor::of_bytes(media_type::OCI_MANIFEST, b"m2");
        l.put_manifest(&m1, b"m1", Some("1.0.0")).unwrap();
        l.put_manifest(&m2, b"m2", Some("1.0.0")).unwrap();
        l.put_manifest(&m1, b"m1", Some("0.9.0")).unwrap();
        assert_eq!(l.tags().unwrap(), ["1.0.0", "0.9.0"]);
        assert_eq!(l.resolve("1.0.0").unwrap(), Some(m2.clone()));
        assert_eq!(l.read_small_blob(&m2.digest).unwrap(), b"m2");
        assert!(dir.path().join("demo/oci-layout").is_file());
    }

    #[test]
    fn wrong_bytes_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::new(dir.path());
        let d = Descriptor::of_bytes(media_type::CHART_CONTENT, b"right");
        let err = l.put_blob(&d, &mut &b"wrong"[..]).unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
        let err = l.put_blob(&d, &mut &b"right!"[..]).unwrap_err();
        assert!(matches!(err, Error::SizeMismatch { .. }), "{err}");
        assert_eq!(fs::read_dir(l.blobs_dir()).unwrap().count(), 0);
    }

    #[test]
    fn concurrent_writers_keep_every_tag() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("c");
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let root = root.clone();
                std::thread::spawn(move || {
                    let l = Layout::new(root);
                    let body = format!("m{i}");
                    let d = Descriptor::of_bytes(media_type::OCI_MANIFEST, body.as_bytes());
                    l.put_manifest(&d, body.as_bytes(), Some(&format!("{i}.0.0")))
                        .unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(Layout::new(root).tags().unwrap().len(), 8);
    }
}
