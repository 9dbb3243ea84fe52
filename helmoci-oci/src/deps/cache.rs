//! Helm's content cache of chart archives (`pkg/downloader/cache.go` `DiskCache`):
//! `<root>/<first byte, 2 hex digits>/<sha256 hex>.chart`. Helm v4 reads it when the
//! digest is known up front; we read it the same way and also fill it after verified
//! downloads, so the next update skips archives it already has.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use helmoci_core::digest::{Digest, HashingWriter};

use crate::error::{Error, Result};

/// Where Helm keeps its content cache: `$HELM_CONTENT_CACHE`, else
/// `$HELM_CACHE_HOME/content`, else `$XDG_CACHE_HOME/helm/content`, else
/// `~/.cache/helm/content` (`~/Library/Caches/helm/content` on macOS).
pub fn default_content_cache() -> PathBuf {
    let env = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = env("HELM_CONTENT_CACHE") {
        return p;
    }
    if let Some(p) = env("HELM_CACHE_HOME") {
        return p.join("content");
    }
    let base = env("XDG_CACHE_HOME").unwrap_or_else(|| {
        let home = env("HOME").unwrap_or_else(|| PathBuf::from("/"));
        if cfg!(target_os = "macos") {
            home.join("Library/Caches")
        } else {
            home.join(".cache")
        }
    });
    base.join("helm").join("content")
}

/// A content cache directory laid out as Helm's `DiskCache`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentCache {
    root: PathBuf,
}

impl ContentCache {
    /// The cache rooted at `root` (created on first [`put`](Self::put)).
    pub fn new(root: impl Into<PathBuf>) -> ContentCache {
        ContentCache { root: root.into() }
    }

    /// Where the archive with `digest` is (or would be) cached.
    pub fn path_of(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root
            .join(&hex[..2.min(hex.len())])
            .join(format!("{hex}.chart"))
    }

    /// The size of the cached archive for `digest`, `None` when there is none.
    pub(crate) fn cached_size(&self, digest: &Digest) -> Option<u64> {
        std::fs::metadata(self.path_of(digest))
            .ok()
            .map(|m| m.len())
    }

    /// Copies the cached archive with `digest` to `dest`, verifying the digest while
    /// copying. `Ok(false)` when it is not cached (or the cached copy is damaged, which is
    /// then removed, and `dest` too).
    ///
    /// # Errors
    /// [`Error::Write`] when `dest` cannot be written.
    pub fn copy_out(&self, digest: &Digest, dest: &Path) -> Result<bool> {
        let src = self.path_of(digest);
        let Ok(mut input) = File::open(&src) else {
            return Ok(false);
        };
        if input.metadata().map(|m| m.len() == 0).unwrap_or(true) {
            return Ok(false);
        }
        let out = File::create(dest).map_err(|e| Error::write(dest, e))?;
        let mut w = HashingWriter::new(io::BufWriter::new(out));
        let copied = io::copy(&mut input, &mut w);
        let (buf, actual, _) = w.finish();
        let flushed = buf.into_inner().map_err(|e| e.into_error());
        match (copied, flushed) {
            (Ok(_), Ok(_)) if &actual == digest => Ok(true),
            (Ok(_), Ok(_)) => {
                let _ = std::fs::remove_file(&src);
                let _ = std::fs::remove_file(dest);
                Ok(false)
            }
            (Err(e), _) | (_, Err(e)) => {
                let _ = std::fs::remove_file(dest);
                Err(Error::write(dest, e))
            }
        }
    }

    /// Stores the verified archive `src` under `digest`: a hard link when `src` is on the
    /// same file system (no copy, no new inode), else a copy written atomically (0644).
    /// A reader verifies the digest anyway ([`copy_out`](Self::copy_out)), so a linked
    /// file changed later in place is only a cache miss.
    ///
    /// # Errors
    /// [`Error::Write`] when the cache cannot be written.
    pub fn put(&self, src: &Path, digest: &Digest) -> Result<()> {
        let dest = self.path_of(digest);
        if dest.is_file() {
            return Ok(());
        }
        let dir = dest.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        match std::fs::hard_link(src, &dest) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(_) => {} // another file system, or links not allowed: copy
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".helmoci-")
            .tempfile_in(dir)
            .map_err(|e| Error::write(dir, e))?;
        let mut input = File::open(src).map_err(|e| Error::read(src, e))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = input.read(&mut buf).map_err(|e| Error::read(src, e))?;
            if n == 0 {
                break;
            }
            tmp.write_all(&buf[..n])
                .map_err(|e| Error::write(&dest, e))?;
        }
        crate::layout::set_readable(tmp.path());
        tmp.persist(&dest)
            .map_err(|e| Error::write(&dest, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_layout_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ContentCache::new(dir.path().join("content"));
        let d = Digest::sha256_of(b"chart");
        assert!(cache
            .path_of(&d)
            .ends_with(format!("{}/{}.chart", &d.hex()[..2], d.hex())));
        let src = dir.path().join("a.tgz");
        std::fs::write(&src, b"chart").unwrap();
        let out = dir.path().join("b.tgz");
        assert!(!cache.copy_out(&d, &out).unwrap());
        cache.put(&src, &d).unwrap();
        assert!(cache.copy_out(&d, &out).unwrap());
        // Put again: already there.
        cache.put(&src, &d).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"chart");
        // A damaged entry is a miss and is removed.
        std::fs::write(cache.path_of(&d), b"other").unwrap();
        assert!(!cache.copy_out(&d, &out).unwrap());
        assert!(!cache.path_of(&d).exists());
    }
}
