//! Progress of blob transfers, for progress bars: which blob moves where, and how many of
//! its bytes have gone up or come down so far.
//!
//! Give a [`Progress`] (any `Fn(TransferEvent<'_>) + Send + Sync` closure is one) to
//! [`PushOptions::progress`](crate::push::PushOptions::progress),
//! [`PullOptions::progress`](crate::pull::PullOptions::progress),
//! [`CopyOptions::progress`](crate::copy::CopyOptions::progress) or
//! [`fetch_chart_layer_with_progress`](crate::RegistryClient::fetch_chart_layer_with_progress).
//! Each blob that is actually uploaded or downloaded (not one the destination already
//! has, nor a mounted one) reports [`Started`](TransferEvent::Started), then one
//! [`Advanced`](TransferEvent::Advanced) per chunk read from disk or from the network, then
//! [`Finished`](TransferEvent::Finished): the `Advanced` bytes add up to the blob's size.
//! Manifests are small and not reported. Without a sink nothing is allocated or counted.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//! use helmoci_core::{digest::Digest, metadata::ChartMetadata, package::PackagedChart};
//! use helmoci_oci::progress::TransferEvent;
//! use helmoci_oci::{push::PushOptions, reference::Target, RegistryClient};
//! let dir = tempfile::tempdir()?;
//! let tgz = dir.path().join("demo-0.1.0.tgz");
//! std::fs::write(&tgz, vec![7u8; 300_000])?;
//! let chart = PackagedChart {
//!     path: tgz,
//!     digest: Digest::sha256_of(&vec![7u8; 300_000]),
//!     size: 300_000,
//!     metadata: ChartMetadata { name: "demo".into(), version: "0.1.0".into(), ..Default::default() },
//! };
//! let moved = Arc::new(AtomicU64::new(0));
//! let counter = Arc::clone(&moved);
//! let options = PushOptions::default().progress(move |event: TransferEvent<'_>| {
//!     if let TransferEvent::Advanced { bytes, .. } = event {
//!         counter.fetch_add(bytes, Ordering::Relaxed);
//!     }
//! });
//! let target: Target = format!("oci-layout://{}", dir.path().join("charts").display()).parse()?;
//! let client = RegistryClient::builder().build()?;
//! let pushed = client.push(&chart, &target, &options).await?;
//! // The chart layer and the config blob.
//! assert_eq!(moved.load(Ordering::Relaxed), pushed.chart.size + pushed.config.size);
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::{Stream, TryStreamExt};

use crate::manifest::Descriptor;

/// Which way a blob moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// To a registry or layout (push, the destination side of a copy).
    Upload,
    /// From a registry or layout (pull, show, the source side of a copy).
    Download,
}

/// One blob moving between this machine and a registry or layout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transfer {
    /// Upload or download.
    pub direction: Direction,
    /// The blob: its media type (chart layer, config or provenance), digest and size.
    /// Within one operation the digest tells concurrent transfers apart.
    pub blob: Descriptor,
    /// The chart it belongs to, without version: `registry/namespace/name` or
    /// `oci-layout://DIR/name`.
    pub location: String,
}

impl Transfer {
    /// How many bytes the transfer moves in all: the blob's size.
    pub fn total(&self) -> u64 {
        self.blob.size
    }
}

/// What happened to a [`Transfer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferEvent<'a> {
    /// The transfer starts; [`Transfer::total`] bytes are to move.
    Started {
        /// The transfer.
        transfer: &'a Transfer,
    },
    /// `bytes` more bytes moved: one chunk read from disk or received, never byte by byte.
    /// Uploads count bytes as they are handed to the connection.
    Advanced {
        /// The transfer.
        transfer: &'a Transfer,
        /// How many bytes, since the previous event of this transfer.
        bytes: u64,
    },
    /// The transfer went back to byte `position` and the bytes after it will be reported
    /// again: a retried upload request, or a registry that ignored a resumed download's
    /// `Range`. A progress bar sets its position to `position`.
    Restarted {
        /// The transfer.
        transfer: &'a Transfer,
        /// The byte offset it continues from.
        position: u64,
    },
    /// Every byte moved: a download was verified against the blob's digest and size, an
    /// upload was accepted. A transfer that fails or is cancelled ends without this event;
    /// the operation's result says why.
    Finished {
        /// The transfer.
        transfer: &'a Transfer,
    },
}

impl<'a> TransferEvent<'a> {
    /// The transfer the event is about.
    pub fn transfer(&self) -> &'a Transfer {
        match *self {
            TransferEvent::Started { transfer }
            | TransferEvent::Advanced { transfer, .. }
            | TransferEvent::Restarted { transfer, .. }
            | TransferEvent::Finished { transfer } => transfer,
        }
    }
}

/// Receives [`TransferEvent`]s. Implemented by every `Fn(TransferEvent<'_>) + Send + Sync`
/// closure.
///
/// Events arrive from whichever thread moves the bytes (a runtime worker or a blocking
/// file thread), several transfers at once during a push: keep the handler quick and do
/// not block in it.
pub trait Progress: Send + Sync {
    /// Handles one event.
    fn on_event(&self, event: TransferEvent<'_>);
}

impl<F> Progress for F
where
    F: Fn(TransferEvent<'_>) + Send + Sync,
{
    fn on_event(&self, event: TransferEvent<'_>) {
        self(event)
    }
}

/// A shared handle to a [`Progress`], as the operations' options hold it. Cheap to clone.
///
/// Anything that implements [`Progress`] converts into one with `into()`.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Progress>);

impl ProgressSink {
    /// Wraps `progress`.
    pub fn new(progress: impl Progress + 'static) -> ProgressSink {
        ProgressSink(Arc::new(progress))
    }

    /// Sends one event to the wrapped [`Progress`].
    pub fn emit(&self, event: TransferEvent<'_>) {
        self.0.on_event(event);
    }
}

impl<P: Progress + 'static> From<P> for ProgressSink {
    fn from(progress: P) -> ProgressSink {
        ProgressSink::new(progress)
    }
}

impl From<Arc<dyn Progress>> for ProgressSink {
    fn from(progress: Arc<dyn Progress>) -> ProgressSink {
        ProgressSink(progress)
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink(..)")
    }
}

/// Counts one transfer's bytes into its sink; cloned into request bodies and blocking
/// file threads. `start` is where the body the clone was made for begins in the blob.
#[derive(Clone)]
pub(crate) struct Meter {
    shared: Arc<Shared>,
    start: u64,
}

struct Shared {
    sink: ProgressSink,
    transfer: Transfer,
    /// Bytes reported so far (minus restarts).
    position: AtomicU64,
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter")
            .field("transfer", &self.shared.transfer)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl Meter {
    /// Reports `Started` and returns a meter, or `None` (doing nothing) without a sink.
    pub(crate) fn start(
        sink: Option<&ProgressSink>,
        direction: Direction,
        blob: &Descriptor,
        location: impl FnOnce() -> String,
    ) -> Option<Meter> {
        let sink = sink?.clone();
        let shared = Arc::new(Shared {
            sink,
            transfer: Transfer {
                direction,
                blob: blob.clone(),
                location: location(),
            },
            position: AtomicU64::new(0),
        });
        shared.sink.emit(TransferEvent::Started {
            transfer: &shared.transfer,
        });
        Some(Meter { shared, start: 0 })
    }

    /// A clone for a request body that begins at byte `offset` of the blob.
    pub(crate) fn at(&self, offset: u64) -> Meter {
        Meter {
            shared: Arc::clone(&self.shared),
            start: offset,
        }
    }

    /// A body beginning at `start` is about to be sent (again): when bytes past `start`
    /// were already reported, report the restart.
    pub(crate) fn begin(&self) {
        let before = self.shared.position.swap(self.start, Ordering::AcqRel);
        if before != self.start {
            self.shared.sink.emit(TransferEvent::Restarted {
                transfer: &self.shared.transfer,
                position: self.start,
            });
        }
    }

    /// Reports `bytes` more bytes.
    pub(crate) fn advance(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        self.shared.position.fetch_add(bytes, Ordering::AcqRel);
        self.shared.sink.emit(TransferEvent::Advanced {
            transfer: &self.shared.transfer,
            bytes,
        });
    }

    /// Reports that the transfer starts over from `position`.
    pub(crate) fn restart(&self, position: u64) {
        self.shared.position.store(position, Ordering::Release);
        self.shared.sink.emit(TransferEvent::Restarted {
            transfer: &self.shared.transfer,
            position,
        });
    }

    /// Reports `Finished`.
    pub(crate) fn finish(&self) {
        self.shared.sink.emit(TransferEvent::Finished {
            transfer: &self.shared.transfer,
        });
    }
}

/// Counts the chunks of an upload body as they are read.
pub(crate) fn metered<S, E>(
    stream: S,
    meter: Option<Meter>,
) -> impl Stream<Item = Result<bytes::Bytes, E>>
where
    S: Stream<Item = Result<bytes::Bytes, E>>,
{
    stream.inspect_ok(move |chunk| {
        if let Some(m) = &meter {
            m.advance(chunk.len() as u64);
        }
    })
}

/// Counts the bytes read through it (for the blocking layout writes).
pub(crate) struct MeteredRead<'a, R> {
    pub(crate) inner: R,
    pub(crate) meter: Option<&'a Meter>,
}

impl<R: std::io::Read> std::io::Read for MeteredRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(m) = self.meter {
            m.advance(n as u64);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_type;
    use std::sync::Mutex;

    fn recorder() -> (ProgressSink, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        let sink = ProgressSink::from(move |e: TransferEvent<'_>| {
            let line = match e {
                TransferEvent::Started { transfer } => format!("start {}", transfer.total()),
                TransferEvent::Advanced { bytes, .. } => format!("+{bytes}"),
                TransferEvent::Restarted { position, .. } => format!("restart {position}"),
                TransferEvent::Finished { .. } => "finish".to_owned(),
            };
            l.lock().unwrap().push(line);
        });
        (sink, log)
    }

    #[test]
    fn no_sink_no_meter() {
        let d = Descriptor::of_bytes(media_type::CHART_CONFIG, b"{}");
        let called = std::cell::Cell::new(false);
        assert!(Meter::start(None, Direction::Upload, &d, || {
            called.set(true);
            String::new()
        })
        .is_none());
        assert!(!called.get(), "the location is not even formatted");
    }

    #[test]
    fn a_resent_body_reports_a_restart_once() {
        let (sink, log) = recorder();
        let d = Descriptor::of_bytes(media_type::CHART_CONTENT, b"0123456789");
        let m = Meter::start(Some(&sink), Direction::Upload, &d, || "r/c".into()).unwrap();
        let first = m.at(0);
        first.begin();
        first.advance(4);
        first.advance(0);
        let second = m.at(4);
        second.begin();
        second.advance(3);
        // The request for the second chunk is retried.
        second.begin();
        second.advance(6);
        m.finish();
        assert_eq!(
            *log.lock().unwrap(),
            ["start 10", "+4", "+3", "restart 4", "+6", "finish"]
        );
    }

    #[test]
    fn sinks_are_send_sync_and_debug() {
        fn send_sync<T: Send + Sync + Clone + fmt::Debug>() {}
        send_sync::<ProgressSink>();
        let (sink, _) = recorder();
        // A sink is accepted where a `Progress` is, without wrapping it again.
        let options = crate::push::PushOptions::default().progress(sink.clone());
        assert!(Arc::ptr_eq(&options.progress.unwrap().0, &sink.0));
        assert_eq!(format!("{sink:?}"), "ProgressSink(..)");
    }
}
