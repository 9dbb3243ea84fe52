//! Chart archives (`.tgz`): Helm's exact tar layout and gzip header for writing, and a
//! safe, bounded reader.

pub(crate) mod gzip;
pub(crate) mod tar_writer;
