//! `Chart.lock` (and the v1 `requirements.lock`): the resolved dependency versions.
//!
//! Like Helm's `internal/resolver` and `pkg/downloader/manager.go`: the lock's `digest` is
//! `"sha256:" + hex(sha256(J))` where `J` is Go's JSON of `[requested, locked]`
//! ([`Lock::digest_of`]); `helm dependency build` refuses a lock whose digest no longer
//! matches `Chart.yaml` ([`Lock::check_sync`]); `helm dependency update` leaves the file
//! untouched when the digest is unchanged ([`Lock::write_to_chart`]).
//!
//! ```
//! use helmoci_core::{lock::Lock, Dependency};
//! let dep = |v: &str| Dependency {
//!     name: "common".into(),
//!     version: v.into(),
//!     repository: "https://charts.bitnami.com/bitnami".into(),
//!     ..Default::default()
//! };
//! assert_eq!(
//!     Lock::digest_of(&[dep("^2.0.0")], &[dep("2.13.3")]),
//!     "sha256:4d6ddf0a55861ecb0e926334a703009945f671c75cf6b320fb5f08dcf05f3294"
//! );
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::digest::Digest;
use crate::json::JsonWriter;
use crate::metadata::{decode, Dependency};
use crate::time::Timestamp;
use crate::value::Value;
use crate::yaml::{self, NodeValue};
use crate::Error;

/// A parsed `Chart.lock`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lock {
    /// `generated`: when the lock was written, RFC 3339 as Go prints it.
    pub generated: String,
    /// `digest`: `sha256:` of the dependency lists (see Helm's resolver).
    pub digest: String,
    /// `dependencies`: name, version and repository of each locked dependency.
    pub dependencies: Vec<Dependency>,
}

/// Go's zero `time.Time` as Helm writes it.
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl Lock {
    /// Parses a lock file.
    ///
    /// # Errors
    /// YAML errors, a field of the wrong type, or a `generated` value that is not RFC 3339.
    pub fn from_yaml(input: &[u8], file: &str) -> Result<Lock, Error> {
        let mut lock = Lock::default();
        let Some(root) = yaml::parse(input, file)? else {
            return Ok(lock);
        };
        let NodeValue::Map(pairs) = &root.value else {
            return Err(Error::ChartYamlType {
                file: file.to_owned(),
                line: root.line,
                column: root.column,
                field: "Lock".into(),
                expected: "a mapping",
                found: "something else",
            });
        };
        for (k, v) in pairs {
            let key = k.to_go_string().unwrap_or_default();
            if key.eq_ignore_ascii_case("generated") {
                let text = v.to_go_string().unwrap_or_default();
                lock.generated = canonical_time(&text).ok_or_else(|| Error::LockTime {
                    file: file.to_owned(),
                    line: v.line,
                    value: text.clone(),
                })?;
            } else if key.eq_ignore_ascii_case("digest") {
                lock.digest = v.to_go_string().unwrap_or_default();
            } else if key.eq_ignore_ascii_case("dependencies") {
                lock.dependencies = decode::dependencies(file, v)?;
            }
        }
        Ok(lock)
    }

    /// The lock as Helm writes it (keys sorted, `generated` quoted). A lock without a
    /// `generated` time gets Go's zero time, as Helm writes it, so the file reads back.
    pub fn to_yaml(&self) -> String {
        let mut m = BTreeMap::new();
        let generated = if self.generated.is_empty() {
            GO_ZERO_TIME.to_owned()
        } else {
            self.generated.clone()
        };
        m.insert("generated".into(), Value::String(generated));
        m.insert("digest".into(), Value::String(self.digest.clone()));
        m.insert(
            "dependencies".into(),
            Value::Seq(self.dependencies.iter().map(Dependency::to_value).collect()),
        );
        yaml::to_yaml_string(&Value::Map(m))
    }

    /// A lock for `req` (the `Chart.yaml` dependencies, `@name`/`alias:name` already
    /// rewritten to URLs) resolved to `locked`, generated at `generated`.
    ///
    /// Only name, version and repository of `locked` are kept, as Helm's resolver does.
    /// `generated` is written in UTC with nanoseconds (Helm uses the local zone).
    pub fn new(req: &[Dependency], locked: &[Dependency], generated: Timestamp) -> Lock {
        let dependencies: Vec<Dependency> = locked.iter().map(locked_fields).collect();
        Lock {
            generated: generated.to_rfc3339_nano(),
            digest: Lock::digest_of(req, &dependencies),
            dependencies,
        }
    }

    /// Helm's `HashReq`: `"sha256:"` + hex SHA-256 of Go's JSON of `[req, locked]`.
    ///
    /// `req` must be the `Chart.yaml` dependencies *after* `@name`/`alias:name` were
    /// rewritten to repository URLs (see [`crate::deps::plan`]),
    /// with every field as written; `locked` is written with all its set fields too, so
    /// pass name, version and repository only (as [`Lock::new`] does).
    pub fn digest_of(req: &[Dependency], locked: &[Dependency]) -> String {
        let mut w = JsonWriter::new();
        w.begin_array();
        for list in [req, locked] {
            w.begin_array();
            for d in list {
                d.write_json(&mut w);
            }
            w.end_array();
        }
        w.end_array();
        Digest::sha256_of(w.finish().as_bytes()).as_str().to_owned()
    }

    /// Helm 2's digest (`HashV2Req`): SHA-256 of Go's JSON of `{"dependencies": req}`,
    /// computed from the `requirements.yaml` dependencies *before* alias rewriting. Helm 3+
    /// accepts it for `apiVersion: v1` charts in `dependency build`.
    pub fn helm2_digest_of(req: &[Dependency]) -> String {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.key("dependencies");
        w.begin_array();
        for d in req {
            d.write_json(&mut w);
        }
        w.end_array();
        w.end_object();
        Digest::sha256_of(w.finish().as_bytes()).as_str().to_owned()
    }

    /// Whether this lock's digest matches `req` (the rewritten `Chart.yaml` dependencies)
    /// and the lock's own dependency list.
    pub fn is_in_sync(&self, req: &[Dependency]) -> bool {
        Lock::digest_of(req, &self.dependencies) == self.digest
    }

    /// `helm dependency build`'s check: the lock must match the dependencies.
    ///
    /// `rewritten` are the dependencies with aliases rewritten to URLs, `original` the
    /// same list as written (used only for `apiVersion: v1` charts, whose lock may carry
    /// the Helm 2 digest). `api_version` is the chart's `apiVersion`.
    ///
    /// # Errors
    /// [`Error::LockOutOfSync`] naming `Chart.lock`/`Chart.yaml`, or
    /// `requirements.lock`/`requirements.yaml` for v1 charts.
    pub fn check_sync(
        &self,
        rewritten: &[Dependency],
        original: &[Dependency],
        api_version: &str,
    ) -> Result<(), Error> {
        if self.is_in_sync(rewritten) {
            return Ok(());
        }
        let kind = LockFileKind::for_api_version(api_version);
        if kind == LockFileKind::Requirements && Lock::helm2_digest_of(original) == self.digest {
            return Ok(());
        }
        Err(Error::LockOutOfSync {
            lock_file: kind.file_name(),
            deps_file: kind.dependencies_file(),
        })
    }

    /// Writes the lock into `chart_dir` as Helm's `dependency update` does: `Chart.lock`
    /// (`requirements.lock` for [`LockFileKind::Requirements`]), mode 0644 — unless the
    /// file already holds a lock with the same digest, which is then left untouched
    /// (its `generated` kept). Returns whether the file was written.
    ///
    /// The write is atomic (a temporary file in `chart_dir`, synced, then renamed), so
    /// the old lock stays intact if anything fails.
    ///
    /// # Errors
    /// [`Error::LockSymlink`] if the lock path is a symbolic link (as Helm refuses),
    /// [`Error::Write`] for I/O failures.
    pub fn write_to_chart(&self, chart_dir: &Path, kind: LockFileKind) -> Result<bool, Error> {
        let dest = chart_dir.join(kind.file_name());
        match std::fs::symlink_metadata(&dest) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&dest).unwrap_or_default();
                return Err(Error::LockSymlink {
                    file: kind.file_name(),
                    target,
                });
            }
            Ok(_) => {
                if let Ok(bytes) = std::fs::read(&dest) {
                    if let Ok(old) = Lock::from_yaml(&bytes, kind.file_name()) {
                        if old.digest == self.digest {
                            return Ok(false);
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Read { path: dest, source }),
        }
        write_atomic(&dest, self.to_yaml().as_bytes())?;
        Ok(true)
    }

    /// The `generated` instant (used as the archived `Chart.lock`'s mtime).
    pub fn generated_time(&self) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(&self.generated)
    }
}

/// Which lock file a chart uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFileKind {
    /// `Chart.lock`, for `apiVersion: v2` charts.
    ChartLock,
    /// `requirements.lock`, for `apiVersion: v1` charts.
    Requirements,
}

impl LockFileKind {
    /// `Requirements` for `apiVersion: v1`, else `ChartLock` (as Helm's `writeLock`).
    pub fn for_api_version(api_version: &str) -> LockFileKind {
        if api_version == "v1" {
            LockFileKind::Requirements
        } else {
            LockFileKind::ChartLock
        }
    }

    /// `Chart.lock` or `requirements.lock`.
    pub fn file_name(self) -> &'static str {
        match self {
            LockFileKind::ChartLock => "Chart.lock",
            LockFileKind::Requirements => "requirements.lock",
        }
    }

    /// The file the dependencies come from: `Chart.yaml` or `requirements.yaml`.
    pub fn dependencies_file(self) -> &'static str {
        match self {
            LockFileKind::ChartLock => "Chart.yaml",
            LockFileKind::Requirements => "requirements.yaml",
        }
    }
}

/// The time to stamp a new lock with: `SOURCE_DATE_EPOCH` when set, else now.
///
/// # Errors
/// [`Error::SourceDateEpoch`] when `SOURCE_DATE_EPOCH` is set but invalid.
pub fn generated_now() -> Result<Timestamp, Error> {
    Ok(Timestamp::from_source_date_epoch()?.unwrap_or_else(Timestamp::now))
}

fn locked_fields(d: &Dependency) -> Dependency {
    Dependency {
        name: d.name.clone(),
        version: d.version.clone(),
        repository: d.repository.clone(),
        ..Dependency::default()
    }
}

/// Writes `data` to `dest` atomically with mode 0644: a temporary file beside it, synced,
/// then renamed over it.
pub(crate) fn write_atomic(dest: &Path, data: &[u8]) -> Result<(), Error> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let err = |source| Error::Write {
        path: dest.to_owned(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(data).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(dest).map_err(|e| err(e.error))?;
    Ok(())
}

/// Go's re-marshalled form of an RFC 3339 time: the fraction without trailing zeros.
pub(crate) fn canonical_time(text: &str) -> Option<String> {
    Timestamp::parse_rfc3339(text)?;
    let (main, zone) = match text.rfind(['Z', 'z', '+']) {
        Some(i) if i > 10 => text.split_at(i),
        _ => match text[10..].rfind('-') {
            Some(i) => text.split_at(10 + i),
            None => return Some(text.to_owned()),
        },
    };
    let main = match main.split_once('.') {
        Some((whole, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{frac}")
            }
        }
        None => main.to_owned(),
    };
    let zone = if zone == "z" || zone == "+00:00" {
        "Z"
    } else {
        zone
    };
    Some(format!("{main}{zone}"))
}
