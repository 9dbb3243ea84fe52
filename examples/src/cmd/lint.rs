//! `helmoci lint PATH... [--strict] [--with-subcharts] [--quiet] [--json]`: like
//! `helm lint`, without rendering templates.

use std::fmt::Write as _;
use std::path::PathBuf;

use helmoci_core::lint::{lint_all, LintOptions, LintReport, Severity};

use crate::Global;

/// What to lint.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chart directories or `.tgz` archives.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Fail on lint warnings.
    #[arg(long)]
    strict: bool,
    /// Lint dependent charts (everything under `charts/`).
    #[arg(long)]
    with_subcharts: bool,
    /// Print only warnings and errors.
    #[arg(long)]
    quiet: bool,
    /// Do not validate values against values.schema.json.
    #[arg(long)]
    skip_schema_validation: bool,
    /// Print one JSON array instead of Helm's report: per chart its `path`, whether it
    /// `failed`, the `failure` that stopped the lint, and its `messages` (`severity`
    /// info|warning|error, `path`, `message`). The exit code is the same.
    #[arg(long)]
    json: bool,
}

/// Lints every chart and prints Helm's report; fails (exit 1) when a chart failed.
pub fn run(args: Args, _global: &Global) -> anyhow::Result<()> {
    let opts = LintOptions::default()
        .strict(args.strict)
        .with_subcharts(args.with_subcharts)
        .skip_schema_validation(args.skip_schema_validation);
    let reports = lint_all(&args.paths, &opts)?;
    if args.json {
        return print_json(&reports, &args);
    }
    let mut out = String::new();
    let mut failed = 0;
    let mut errors_or_warnings = 0;
    for report in &reports {
        let noisy = report.has_warnings_or_errors();
        if noisy {
            errors_or_warnings += 1;
        }
        if args.quiet && !noisy {
            continue;
        }
        let _ = writeln!(out, "==> Linting {}", report.path.display());
        if let Some(failure) = &report.failure {
            let _ = writeln!(out, "Error {failure}");
        }
        for msg in &report.messages {
            if !args.quiet || msg.severity > Severity::Info {
                let _ = writeln!(out, "{msg}");
            }
        }
        if report.has_failed(args.strict) {
            failed += 1;
        }
        out.push('\n');
    }
    print!("{out}");
    let summary = format!(
        "{} chart(s) linted, {failed} chart(s) failed",
        reports.len()
    );
    if failed > 0 {
        anyhow::bail!(summary);
    }
    if !args.quiet || errors_or_warnings > 0 {
        println!("{summary}");
    }
    Ok(())
}

/// `lint --json`: every chart and every message (`--quiet` drops the info ones).
fn print_json(reports: &[LintReport], args: &Args) -> anyhow::Result<()> {
    let charts: Vec<_> = reports
        .iter()
        .map(|r| {
            let messages: Vec<_> = r
                .messages
                .iter()
                .filter(|m| !args.quiet || m.severity > Severity::Info)
                .map(|m| {
                    serde_json::json!({
                        "severity": m.severity.to_string().to_lowercase(),
                        "path": m.path,
                        "message": m.message,
                    })
                })
                .collect();
            serde_json::json!({
                "path": r.path,
                "failed": r.has_failed(args.strict),
                "failure": r.failure,
                "messages": messages,
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&charts)?);
    let failed = reports.iter().filter(|r| r.has_failed(args.strict)).count();
    if failed > 0 {
        anyhow::bail!(
            "{} chart(s) linted, {failed} chart(s) failed",
            reports.len()
        );
    }
    Ok(())
}
