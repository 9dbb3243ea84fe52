//! `helm repo index`: building an index from a directory of chart archives.

use std::path::{Path, PathBuf};

use super::{url_join, ChartVersionEntry, IndexFile};
use crate::digest::HashingWriter;
use crate::load::{load_archive_file, LoadOptions};
use crate::metadata::Warning;
use crate::time::Timestamp;
use crate::Error;

impl IndexFile {
    /// Parses an `index.yaml` (or `index.json`) as Helm's `loadIndex` does. `source`
    /// names the input in errors. Warnings about skipped entries are dropped; see
    /// [`parse_with_warnings`](Self::parse_with_warnings).
    ///
    /// # Errors
    /// [`Error::IndexEmpty`], [`Error::IndexNoApiVersion`], [`Error::Yaml`] and
    /// [`Error::IndexInvalid`] (an unknown field in YAML input, a value of the wrong type,
    /// a time that is not RFC 3339).
    pub fn parse(input: &[u8], source: &str) -> Result<IndexFile, Error> {
        Ok(super::parse::parse(input, source)?.0)
    }

    /// Like [`parse`](Self::parse), also returning one warning per skipped entry (null,
    /// or failing Helm's metadata validation), as Helm logs them.
    ///
    /// # Deviation from Helm
    /// Helm's strict YAML mode also rejects duplicate keys; here the last one wins. In
    /// JSON input a number given for a string field is stringified (Go's JSON decoder
    /// fails on it).
    pub fn parse_with_warnings(
        input: &[u8],
        source: &str,
    ) -> Result<(IndexFile, Vec<Warning>), Error> {
        super::parse::parse(input, source)
    }

    /// Reads and parses an index file.
    ///
    /// # Errors
    /// [`Error::Read`], or a [`parse`](Self::parse) error.
    pub fn load(path: &Path) -> Result<IndexFile, Error> {
        let data = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        IndexFile::parse(&data, &path.display().to_string())
    }

    /// Helm's `IndexDirectory`: an index of `dir/*.tgz` and `dir/*/*.tgz` (one level
    /// down only), with URLs joined onto `base_url`, or relative (`sub/c-1.0.0.tgz`) when
    /// `base_url` is empty. Archives that fail to load are skipped silently, as in Helm.
    /// Every entry's `created` and the index's `generated` are `now`. The result is
    /// sorted ([`sort_entries`](IndexFile::sort_entries)).
    ///
    /// # Deviation from Helm
    /// Archives are loaded with helmoci's loader, which refuses links, devices and
    /// duplicate entries that Helm's reads as empty files; such archives are skipped here
    /// but indexed by Helm. `created` is the same instant for every entry.
    ///
    /// # Errors
    /// [`Error::Read`] when `dir` cannot be listed or an archive cannot be hashed, and
    /// [`Error::Validation`] (wrapped in [`Error::Load`]) for a chart that loads but fails
    /// Helm's metadata validation (Helm: `failed adding to … to index`).
    pub fn from_directory(dir: &Path, base_url: &str, now: Timestamp) -> Result<IndexFile, Error> {
        let mut index = IndexFile::new(now);
        let mut archives: Vec<(String, PathBuf)> = Vec::new();
        let top = sorted_entries(dir)?;
        for p in top.iter().filter(|p| is_tgz(p) && p.is_file()) {
            archives.push((String::new(), p.clone()));
        }
        for sub in top.iter().filter(|p| p.is_dir()) {
            let Ok(children) = sorted_entries(sub) else {
                continue;
            };
            let parent = sub
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            for p in children.into_iter().filter(|p| is_tgz(p) && p.is_file()) {
                archives.push((parent.clone(), p));
            }
        }
        for (parent, path) in archives {
            let Ok(chart) = load_archive_file(&path, &LoadOptions::default()) else {
                continue;
            };
            let digest = hash_file(&path)?;
            let file = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let parent_url = url_join(base_url, &parent);
            let url = if parent_url.is_empty() {
                file
            } else {
                url_join(&parent_url, &file)
            };
            let mut metadata = chart.metadata;
            if metadata.api_version.is_empty() {
                metadata.api_version = "v1".into();
            }
            metadata.validate().map_err(|e| Error::Load {
                path: path.clone(),
                source: Box::new(e),
            })?;
            let name = metadata.name.clone();
            index
                .entries
                .entry(name)
                .or_default()
                .push(ChartVersionEntry {
                    metadata,
                    urls: vec![url],
                    created: now.to_rfc3339_nano(),
                    removed: false,
                    digest,
                });
        }
        index.sort_entries();
        Ok(index)
    }
}

fn is_tgz(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tgz"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let read = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut out: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    Ok(out)
}

fn hash_file(path: &Path) -> Result<String, Error> {
    let err = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(err)?;
    let mut w = HashingWriter::new(std::io::sink());
    std::io::copy(&mut f, &mut w).map_err(err)?;
    let (_, digest, _) = w.finish();
    Ok(digest.hex().to_owned())
}
