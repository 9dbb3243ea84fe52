//! Chart archives (`.tgz`): Helm's exact tar layout and gzip header for writing, and a
//! safe, bounded reader.

mod expand;
pub(crate) mod gzip;
mod read;
pub use expand::expand;
pub use read::{
    check_gzip_magic, read_archive, read_archive_until, ArchiveEntry, Limits, MAX_CHART_SIZE,
    MAX_FILE_SIZE,
};
pub(crate) mod tar_writer;
