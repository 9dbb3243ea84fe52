//! The file a downloaded blob is written to, and what is small enough to read or write in
//! place.
//!
//! Writing through `tokio::fs::File` hands every write to a blocking thread, and waking that
//! thread costs more than the write when the blob is small (tens of microseconds on an idle
//! machine; up to a scheduler tick when the cores are busy). Blobs up to
//! [`INLINE_MAX`] are written in place on the task's thread instead, where a write to the
//! page cache takes microseconds; larger ones keep the blocking pool, so that receiving and
//! writing overlap.

use std::io::{self, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncSeek, AsyncWrite};

/// The largest blob written in place.
pub(crate) const INLINE_MAX: u64 = 1024 * 1024;

/// The largest file read in place (an archive checked, hashed or uploaded whole): reading a
/// few dozen KiB takes microseconds, less than starting or waking a blocking thread (0.1 ms
/// on idle cores, up to a scheduler tick on busy ones).
pub(crate) const INLINE_READ_MAX: u64 = 64 * 1024;

/// Whether the file at `path` is at most [`INLINE_READ_MAX`] bytes (a metadata call).
pub(crate) fn is_small_file(path: &std::path::Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() <= INLINE_READ_MAX)
}

/// A download's file: written in place, or through the blocking pool.
pub(crate) enum BlobFile {
    /// Written on the calling thread; `position` is the result of the last seek.
    Inline {
        file: std::fs::File,
        position: io::Result<u64>,
    },
    /// Written on tokio's blocking pool.
    Pooled(tokio::fs::File),
}

impl BlobFile {
    /// The right kind of file for a blob of `size` bytes.
    pub(crate) fn for_size(file: std::fs::File, size: u64) -> BlobFile {
        if size <= INLINE_MAX {
            BlobFile::Inline {
                file,
                position: Ok(0),
            }
        } else {
            BlobFile::Pooled(tokio::fs::File::from_std(file))
        }
    }
}

impl AsyncWrite for BlobFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            BlobFile::Inline { file, .. } => Poll::Ready(file.write(buf)),
            BlobFile::Pooled(f) => Pin::new(f).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            BlobFile::Inline { file, .. } => Poll::Ready(file.flush()),
            BlobFile::Pooled(f) => Pin::new(f).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            BlobFile::Inline { file, .. } => Poll::Ready(file.flush()),
            BlobFile::Pooled(f) => Pin::new(f).poll_shutdown(cx),
        }
    }
}

impl AsyncSeek for BlobFile {
    fn start_seek(self: Pin<&mut Self>, to: SeekFrom) -> io::Result<()> {
        match self.get_mut() {
            BlobFile::Inline { file, position } => {
                *position = file.seek(to);
                Ok(())
            }
            BlobFile::Pooled(f) => Pin::new(f).start_seek(to),
        }
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        match self.get_mut() {
            BlobFile::Inline { position, .. } => Poll::Ready(match position {
                Ok(p) => Ok(*p),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            }),
            BlobFile::Pooled(f) => Pin::new(f).poll_complete(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};

    #[tokio::test]
    async fn both_kinds_write_seek_and_rewrite_alike() {
        let dir = tempfile::tempdir().unwrap();
        for size in [10, INLINE_MAX + 1] {
            let path = dir.path().join(format!("f{size}"));
            let file = std::fs::File::create(&path).unwrap();
            let mut out = BlobFile::for_size(file, size);
            assert_eq!(matches!(out, BlobFile::Inline { .. }), size <= INLINE_MAX);
            out.write_all(b"partial data").await.unwrap();
            // A download that starts over (the registry ignored `Range`).
            assert_eq!(out.seek(SeekFrom::Start(0)).await.unwrap(), 0);
            out.write_all(b"whole").await.unwrap();
            out.flush().await.unwrap();
            drop(out);
            assert_eq!(std::fs::read(&path).unwrap(), b"wholeal data");
        }
    }
}
