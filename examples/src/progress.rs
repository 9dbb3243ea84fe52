//! Progress bars on stderr for blob uploads and downloads and for packaging, drawn only
//! when stderr is a terminal: scripts, pipes, `--json` and the tests see exactly Helm's
//! output.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use helmoci_core::digest::Digest;
use helmoci_core::package::PackageProgress;
use helmoci_oci::media_type;
use helmoci_oci::progress::{Direction, ProgressSink, Transfer, TransferEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether bars are wanted: off for machine-readable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Helm's lines on stdout; bars may be drawn.
    Human,
    /// One JSON document on stdout; no bars.
    Json,
}

impl Output {
    /// `Json` when `--json` was given.
    pub fn from_json_flag(json: bool) -> Output {
        if json {
            Output::Json
        } else {
            Output::Human
        }
    }
}

/// A sink that draws one bar per blob transfer, or `None` when stderr is not a terminal
/// or the output is JSON.
pub fn bars(output: Output) -> Option<ProgressSink> {
    if output == Output::Json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bars = Bars {
        multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        active: Mutex::new(HashMap::new()),
    };
    Some(ProgressSink::new(move |event: TransferEvent<'_>| {
        bars.on(event)
    }))
}

/// A bar for packaging `chart` (bytes of the tar stream against the chart's content
/// size), or `None` when stderr is not a terminal or the output is JSON. The bar clears
/// itself when packaging reports the end.
pub fn package_bar(output: Output, chart: &str) -> Option<PackageProgress> {
    if output == Output::Json || !std::io::stderr().is_terminal() {
        return None;
    }
    // Drawn from the first report on, when the total is known (not as `0 B/0 B`).
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(style());
    bar.set_message(format!("package {chart}"));
    Some(PackageProgress::new(move |done, total| {
        if bar.is_hidden() {
            bar.set_length(total);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_length(total);
        bar.set_position(done);
        if done >= total {
            bar.finish_and_clear();
        }
    }))
}

/// The bars being drawn, by transfer.
struct Bars {
    multi: MultiProgress,
    active: Mutex<HashMap<(Direction, Digest), ProgressBar>>,
}

impl Bars {
    fn on(&self, event: TransferEvent<'_>) {
        let transfer = event.transfer();
        let key = (transfer.direction, transfer.blob.digest.clone());
        let Ok(mut active) = self.active.lock() else {
            return;
        };
        match event {
            TransferEvent::Started { .. } => {
                let bar = self.multi.add(ProgressBar::new(transfer.total()));
                bar.set_style(style());
                bar.set_message(label(transfer));
                active.insert(key, bar);
            }
            TransferEvent::Advanced { bytes, .. } => {
                if let Some(bar) = active.get(&key) {
                    bar.inc(bytes);
                }
            }
            TransferEvent::Restarted { position, .. } => {
                if let Some(bar) = active.get(&key) {
                    bar.set_position(position);
                }
            }
            TransferEvent::Finished { .. } => {
                // Gone once done: what stays on the terminal is Helm's output.
                if let Some(bar) = active.remove(&key) {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{msg:<20} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// `push chart 1a2b3c4d`, `pull provenance 5e6f7a8b`.
fn label(transfer: &Transfer) -> String {
    let verb = match transfer.direction {
        Direction::Upload => "push",
        Direction::Download => "pull",
        _ => "move",
    };
    let what = match transfer.blob.media_type.as_str() {
        media_type::CHART_CONTENT | media_type::LEGACY_CHART_CONTENT => "chart",
        media_type::CHART_CONFIG => "config",
        media_type::CHART_PROVENANCE => "provenance",
        _ => "blob",
    };
    let hex = transfer.blob.digest.hex();
    format!("{verb} {what} {}", &hex[..hex.len().min(8)])
}
