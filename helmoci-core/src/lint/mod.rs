//! Like `helm lint`, without rendering templates: the checks Helm runs on `Chart.yaml`,
//! `values.yaml` and `values.schema.json`, `templates/`, dependencies and `crds/`, with
//! Helm's severities, paths and messages.
//!
//! ```
//! use helmoci_core::lint::{lint, LintOptions, Severity};
//! # let dir = tempfile::tempdir()?;
//! # std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: '1.2'\n")?;
//! let report = lint(dir.path(), &LintOptions::default())?;
//! let lines: Vec<String> = report.messages.iter().map(|m| m.to_string()).collect();
//! assert!(lines.contains(&"[WARNING] Chart.yaml: version '1.2' is not a valid SemVerV2".to_string()));
//! assert!(lines.contains(&"[INFO] Chart.yaml: icon is recommended".to_string()));
//! assert!(!report.has_failed(false) && report.has_failed(true)); // fails only with --strict
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Deviation from Helm
//! Template rendering is not done, so nothing Helm reports from rendered templates
//! (template errors, per-file YAML, Kubernetes names, deprecated APIs) is reported here;
//! the schema check Helm runs at `templates/` on coalesced values is done only for charts
//! without dependencies or subcharts.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::chart::Chart;
use crate::load::{load_dir, LoadOptions};
use crate::Error;

mod chartfile;
mod rules;
mod schema;
mod strict;
mod urls;

/// How serious a finding is, as Helm grades them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A recommendation (`[INFO]`), e.g. a missing icon.
    Info,
    /// Breaks convention but will likely work (`[WARNING]`); fails the lint with `--strict`.
    Warning,
    /// Will likely not work (`[ERROR]`); always fails the lint.
    Error,
}

impl Severity {
    /// Helm's number for the severity (`support.InfoSev` = 1 … `ErrorSev` = 3).
    pub fn helm_code(self) -> u8 {
        match self {
            Severity::Info => 1,
            Severity::Warning => 2,
            Severity::Error => 3,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        })
    }
}

/// One finding: severity, the file (or directory) it is about, and Helm's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintMessage {
    /// How serious it is.
    pub severity: Severity,
    /// Chart-relative path (`Chart.yaml`, `templates/`, `crds/x.yaml`), the chart
    /// directory itself for dependency findings, or `""` when the chart does not load.
    pub path: String,
    /// Helm's message (it may span lines, as Helm's do).
    pub message: String,
}

impl fmt::Display for LintMessage {
    /// Helm's line: `[ERROR] Chart.yaml: version is required`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.severity, self.path, self.message)
    }
}

/// Options for [`lint`]. The defaults are `helm lint`'s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintOptions {
    /// Fail on warnings too (`--strict`). Default: off.
    pub strict: bool,
    /// [`lint_all`] also lints the charts found under each chart's `charts/`
    /// (`--with-subcharts`). Default: off.
    pub with_subcharts: bool,
    /// Do not check values against `values.schema.json` (`--skip-schema-validation`).
    /// Default: off.
    pub skip_schema_validation: bool,
}

impl LintOptions {
    /// The options with `strict` set.
    pub fn strict(mut self, strict: bool) -> LintOptions {
        self.strict = strict;
        self
    }

    /// The options with `with_subcharts` set.
    pub fn with_subcharts(mut self, with_subcharts: bool) -> LintOptions {
        self.with_subcharts = with_subcharts;
        self
    }

    /// The options with `skip_schema_validation` set.
    pub fn skip_schema_validation(mut self, skip: bool) -> LintOptions {
        self.skip_schema_validation = skip;
        self
    }
}

/// What linting one chart found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    /// The path as given.
    pub path: PathBuf,
    /// The findings, in Helm's order (Chart.yaml, values, templates, dependencies, CRDs).
    pub messages: Vec<LintMessage>,
    /// Set when the chart could not be linted at all (no `Chart.yaml`, an archive that
    /// does not unpack): Helm's reason, which it prints as `Error <reason>`.
    pub failure: Option<String>,
}

impl LintReport {
    /// Whether the chart fails the lint: it could not be linted, or a message is an error
    /// (or, with `strict`, a warning).
    pub fn has_failed(&self, strict: bool) -> bool {
        let lowest = if strict {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.failure.is_some() || self.messages.iter().any(|m| m.severity >= lowest)
    }

    /// Whether there is anything above `[INFO]` (what `--quiet` still shows).
    pub fn has_warnings_or_errors(&self) -> bool {
        self.failure.is_some() || self.messages.iter().any(|m| m.severity > Severity::Info)
    }
}

/// Lints one chart directory or `.tgz`/`.tar.gz` archive, like `helm lint PATH`.
///
/// An archive is unpacked into a temporary directory first, as Helm does. Problems with
/// the chart are findings in the report, never an `Err`.
///
/// # Errors
/// Only when the local environment fails: the temporary directory for an archive cannot
/// be created.
pub fn lint(path: &Path, opts: &LintOptions) -> Result<LintReport, Error> {
    let mut report = LintReport {
        path: path.to_path_buf(),
        ..LintReport::default()
    };
    let text = path.to_string_lossy();
    let _unpacked;
    let chart_dir: PathBuf = if text.ends_with(".tgz") || text.ends_with(".tar.gz") {
        let tmp = tempfile::Builder::new()
            .prefix("helmoci-lint")
            .tempdir()
            .map_err(|source| Error::Write {
                path: std::env::temp_dir(),
                source,
            })?;
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                report.failure = Some(format!("unable to open tarball: {}", go_io(path, &e)));
                return Ok(report);
            }
        };
        let limits = LoadOptions::default().limits;
        match crate::archive::expand(file, &text, tmp.path(), &limits) {
            Ok(dir) => {
                _unpacked = tmp;
                dir
            }
            Err(e) => {
                report.failure = Some(format!("unable to extract tarball: {}", error_chain(&e)));
                return Ok(report);
            }
        }
    } else {
        path.to_path_buf()
    };
    let chart_yaml = chart_dir.join("Chart.yaml");
    if let Err(e) = fs::metadata(&chart_yaml) {
        report.failure = Some(format!(
            "unable to check Chart.yaml file in chart: stat {}",
            go_io(&chart_yaml, &e)
        ));
        return Ok(report);
    }
    let abs = std::path::absolute(&chart_dir).unwrap_or_else(|_| chart_dir.clone());
    let shown = if chart_dir == path {
        abs.display().to_string()
    } else {
        path.display().to_string()
    };
    let mut linter = Linter {
        dir: abs,
        shown_dir: shown,
        messages: Vec::new(),
        loaded: None,
    };
    chartfile::run(&mut linter);
    rules::values(&mut linter, opts.skip_schema_validation);
    rules::templates(&mut linter, opts.skip_schema_validation);
    rules::dependencies(&mut linter);
    rules::crds(&mut linter);
    report.messages = linter.messages;
    Ok(report)
}

/// Lints several charts, like `helm lint PATH...`; with
/// [`with_subcharts`](LintOptions::with_subcharts), the charts under each path's
/// `charts/` are appended to the list (see [`subchart_paths`]).
///
/// # Errors
/// As [`lint`].
pub fn lint_all(paths: &[PathBuf], opts: &LintOptions) -> Result<Vec<LintReport>, Error> {
    let mut all: Vec<PathBuf> = paths.to_vec();
    if opts.with_subcharts {
        for p in paths {
            all.extend(subchart_paths(p));
        }
    }
    all.iter().map(|p| lint(p, opts)).collect()
}

/// The charts `helm lint --with-subcharts` adds for `chart`: every directory under
/// `chart/charts/` holding a `Chart.yaml`, and every `.tgz`/`.tar.gz` there, at any depth,
/// in bytewise order (Go's `filepath.Walk`).
pub fn subchart_paths(chart: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for name in names {
            let p = dir.join(&name);
            let text = p.to_string_lossy();
            if name == "Chart.yaml" {
                out.push(dir.to_path_buf());
            } else if text.ends_with(".tgz") || text.ends_with(".tar.gz") {
                out.push(p.clone());
            }
            if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                walk(&p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&chart.join("charts"), &mut out);
    out
}

/// One lint run over an (unpacked) chart directory.
pub(crate) struct Linter {
    /// The chart directory, absolute.
    pub(crate) dir: PathBuf,
    /// How the chart directory is named in dependency findings.
    pub(crate) shown_dir: String,
    pub(crate) messages: Vec<LintMessage>,
    /// The chart as the loader sees it, loaded once on first use.
    loaded: Option<Result<Chart, String>>,
}

impl Linter {
    /// Records a finding when `result` is an error; returns whether the rule passed.
    pub(crate) fn rule(
        &mut self,
        severity: Severity,
        path: &str,
        result: Result<(), String>,
    ) -> bool {
        match result {
            Ok(()) => true,
            Err(message) => {
                self.messages.push(LintMessage {
                    severity,
                    path: path.to_owned(),
                    message,
                });
                false
            }
        }
    }

    /// The chart loaded as Helm's `loader.Load` would, or the loader's error in Helm's words.
    pub(crate) fn chart(&mut self) -> Result<&Chart, String> {
        if self.loaded.is_none() {
            let loaded =
                load_dir(&self.dir, &LoadOptions::default()).map_err(|e| helm_load_error(&e));
            self.loaded = Some(loaded);
        }
        match self.loaded.as_ref() {
            Some(Ok(chart)) => Ok(chart),
            Some(Err(e)) => Err(e.clone()),
            None => Err("chart not loaded".into()),
        }
    }
}

/// A loader error in the words Helm's loader uses.
pub(crate) fn helm_load_error(e: &Error) -> String {
    match e {
        Error::Load { source, .. } => helm_load_error(source),
        Error::Validation { .. } => e.to_string(),
        // A stray file in charts/ comes wrapped in `Subchart`, which names it.
        Error::ChartYamlMissing | Error::NoChartYaml { .. } | Error::StraySubchartFile { .. } => {
            "Chart.yaml file is missing".into()
        }
        Error::ChartFileInvalid { source, .. } if matches!(**source, Error::Validation { .. }) => {
            source.to_string()
        }
        Error::ChartFileInvalid { file, source } if file == "values.yaml" => format!(
            "cannot load values.yaml: cannot unmarshal yaml document: {}",
            go_yaml_error(source, "map[string]interface {}")
        ),
        Error::ChartFileInvalid { file, source } => {
            format!(
                "cannot load {file}: {}",
                go_yaml_error(source, "chart.Metadata")
            )
        }
        Error::Subchart {
            subchart,
            parent,
            source,
        } => format!(
            "error unpacking subchart {subchart} in {parent}: {}",
            helm_load_error(source)
        ),
        other => error_chain(other),
    }
}

/// A YAML decoding error in the words sigs.k8s.io/yaml and Go's JSON decoder use;
/// `target` is the Go type a non-mapping document was decoded into.
pub(crate) fn go_yaml_error(e: &Error, target: &str) -> String {
    match e {
        Error::Yaml { line, message, .. } => {
            format!("error converting YAML to JSON: yaml: line {line}: {message}")
        }
        Error::ChartYamlType {
            field,
            expected,
            found,
            ..
        } => {
            let found = match *found {
                "a list" => "array",
                "a mapping" => "object",
                "a number" => "number",
                "a boolean" => "bool",
                _ => "string",
            };
            let prefix = "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal";
            if field == "values" || field.is_empty() || field.ends_with('.') {
                format!("{prefix} {found} into Go value of type {target}")
            } else {
                let go_type = match *expected {
                    "a string" => "string",
                    "a list of strings" => "[]string",
                    "a boolean" => "bool",
                    "a mapping" => "map[string]string",
                    _ => "[]interface {}",
                };
                format!("{prefix} {found} into Go struct field {field} of type {go_type}")
            }
        }
        other => error_chain(other),
    }
}

/// An error and its causes on one line, joined by `: `.
pub(crate) fn error_chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Go's `*PathError` text for an I/O error on `path` (without the operation).
pub(crate) fn go_io(path: &Path, e: &io::Error) -> String {
    let reason = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::NotADirectory => "not a directory".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_ascii_lowercase(),
                None => text,
            }
        }
    };
    format!("{}: {reason}", path.display())
}
