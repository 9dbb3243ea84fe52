//! Progress events of push, pull and copy, against the real registry and an OCI layout:
//! each transferred blob reports its size as total, and the advances add up to it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use helmoci_core::digest::Digest;
use helmoci_oci::copy::CopyOptions;
use helmoci_oci::manifest::Descriptor;
use helmoci_oci::progress::{Direction, ProgressSink, TransferEvent};
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::{RegistryClient, RetryPolicy};

use crate::require;
use crate::support::http::{forward, Handler, Reply, Request, Server};
use crate::support::registry::Registry;
use crate::support::{fake_chart, TestResult};

/// What one transfer reported, in order.
#[derive(Debug, Default, Clone)]
struct Seen {
    blob: Option<Descriptor>,
    location: String,
    /// Bytes reported (restarts set it back).
    position: u64,
    /// Sum of every `Advanced`, restarts ignored.
    advanced_total: u64,
    advances: usize,
    restarts: usize,
    finished: bool,
}

/// Records every event, keyed by direction and digest; checks their order as they come.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<BTreeMap<(bool, Digest), Seen>>>);

impl Recorder {
    fn sink(&self) -> ProgressSink {
        let map = Arc::clone(&self.0);
        ProgressSink::new(move |event: TransferEvent<'_>| {
            let t = event.transfer();
            let key = (t.direction == Direction::Upload, t.blob.digest.clone());
            let mut map = map.lock().unwrap();
            let seen = map.entry(key).or_default();
            match event {
                TransferEvent::Started { transfer } => {
                    assert!(seen.blob.is_none(), "started twice: {transfer:?}");
                    seen.blob = Some(transfer.blob.clone());
                    seen.location = transfer.location.clone();
                }
                TransferEvent::Advanced { transfer, bytes } => {
                    assert!(seen.blob.is_some() && !seen.finished, "{transfer:?}");
                    assert!(bytes > 0);
                    seen.position += bytes;
                    seen.advanced_total += bytes;
                    seen.advances += 1;
                    assert!(seen.position <= transfer.total(), "{seen:?}");
                }
                TransferEvent::Restarted { position, .. } => {
                    seen.position = position;
                    seen.restarts += 1;
                }
                TransferEvent::Finished { transfer } => {
                    assert!(seen.blob.is_some() && !seen.finished, "{transfer:?}");
                    seen.finished = true;
                }
                _ => unreachable!("no other events yet"),
            }
        })
    }

    /// The finished transfers of one direction, after checking that each one ended at its
    /// size and, unless restarted, that its advances add up to its size. Clears the record.
    fn take(&self, direction: Direction) -> Vec<Seen> {
        let mut map = self.0.lock().unwrap();
        let upload = direction == Direction::Upload;
        let keys: Vec<_> = map.keys().filter(|k| k.0 == upload).cloned().collect();
        keys.into_iter()
            .map(|k| {
                let seen = map.remove(&k).unwrap();
                let blob = seen.blob.clone().expect("started");
                assert!(seen.finished, "{seen:?}");
                assert_eq!(seen.position, blob.size, "{seen:?}");
                if seen.restarts == 0 {
                    assert_eq!(seen.advanced_total, blob.size, "{seen:?}");
                }
                seen
            })
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.0.lock().unwrap().is_empty()
    }
}

fn no_restarts(seen: &[Seen]) -> bool {
    seen.iter().all(|s| s.restarts == 0)
}

fn sizes(seen: &[Seen]) -> Vec<u64> {
    let mut s: Vec<u64> = seen.iter().map(|s| s.blob.as_ref().unwrap().size).collect();
    s.sort_unstable();
    s
}

#[tokio::test]
async fn push_and_pull_report_every_byte_against_the_registry() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "meter", "1.0.0", 700_000);
    let target: Target = reg.oci("progress").parse()?;
    let client = RegistryClient::builder().plain_http(true).build()?;
    let rec = Recorder::default();

    let pushed = client
        .push(
            &chart,
            &target,
            &PushOptions::default().progress(rec.sink()),
        )
        .await?;
    let up = rec.take(Direction::Upload);
    assert_eq!(sizes(&up), [pushed.config.size, 700_000]);
    assert!(no_restarts(&up));
    let chart_up = up.iter().find(|s| s.blob.as_ref() == Some(&pushed.chart));
    let chart_up = chart_up.expect("the chart layer was reported");
    assert_eq!(chart_up.location, format!("{}/progress/meter", reg.host));
    // Read from disk in chunks, not as one piece nor byte by byte.
    assert!(
        chart_up.advances > 1 && chart_up.advances < 1000,
        "{chart_up:?}"
    );
    assert!(rec.is_empty(), "no downloads during a push");

    // Blobs the registry already has are not transfers.
    client
        .push(
            &chart,
            &target,
            &PushOptions::default().progress(rec.sink()),
        )
        .await?;
    assert!(rec.is_empty());

    let from: ChartRef = format!("{}/meter:1.0.0", reg.oci("progress")).parse()?;
    let out = tmp.path().join("out");
    let pulled = client
        .pull(&from, &PullOptions::into_dir(&out).progress(rec.sink()))
        .await?;
    let down = rec.take(Direction::Download);
    assert!(no_restarts(&down));
    assert_eq!(down.len(), 1, "only the chart layer is a blob download");
    assert_eq!(down[0].blob.as_ref(), Some(&pulled.resolved.chart.chart));
    assert_eq!(std::fs::metadata(&pulled.path)?.len(), 700_000);
    assert!(rec.is_empty());

    // `show` and `--untar` fetch through the same path.
    let fetched = client
        .fetch_chart_layer_with_progress(&from, None, tmp.path(), Some(&rec.sink()))
        .await?;
    assert_eq!(sizes(&rec.take(Direction::Download)), [700_000]);
    assert_eq!(
        Digest::sha256_of(&std::fs::read(fetched.file.path())?),
        chart.digest
    );
    Ok(())
}

#[tokio::test]
async fn chunked_uploads_report_each_chunk() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "chunky", "0.1.0", 230_000);
    let client = RegistryClient::builder()
        .plain_http(true)
        .chunk_threshold(64 * 1024)
        .chunk_size(50_000)
        .build()?;
    let rec = Recorder::default();
    let target: Target = reg.oci("progress").parse()?;
    let pushed = client
        .push(
            &chart,
            &target,
            &PushOptions::default().progress(rec.sink()),
        )
        .await?;
    let up = rec.take(Direction::Upload);
    assert_eq!(sizes(&up), [pushed.config.size, 230_000]);
    assert!(no_restarts(&up));
    let chart_up = up.iter().find(|s| s.blob.as_ref() == Some(&pushed.chart));
    // Five `PATCH`es of at most 50,000 bytes.
    assert!(chart_up.unwrap().advances >= 5, "{up:?}");
    Ok(())
}

#[tokio::test]
async fn layout_push_pull_and_copy_report_every_byte() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "onfile", "2.0.0", 150_000);
    let client = RegistryClient::builder().build()?;
    let rec = Recorder::default();
    let store = tmp.path().join("store");
    let target: Target = format!("oci-layout://{}", store.display()).parse()?;
    let pushed = client
        .push(
            &chart,
            &target,
            &PushOptions::default().progress(rec.sink()),
        )
        .await?;
    let up = rec.take(Direction::Upload);
    assert_eq!(sizes(&up), [pushed.config.size, 150_000]);
    assert!(up
        .iter()
        .all(|s| s.location == format!("oci-layout://{}/onfile", store.display())));

    let from: ChartRef = format!("oci-layout://{}/onfile:2.0.0", store.display()).parse()?;
    client
        .pull(
            &from,
            &PullOptions::into_dir(tmp.path().join("out")).progress(rec.sink()),
        )
        .await?;
    assert_eq!(sizes(&rec.take(Direction::Download)), [150_000]);

    // A copy downloads each blob into a temp file, then uploads it.
    let mirror: Target = format!("oci-layout://{}", tmp.path().join("mirror").display()).parse()?;
    client
        .copy(&from, &mirror, &CopyOptions::default().progress(rec.sink()))
        .await?;
    let expected = [pushed.config.size, 150_000];
    assert_eq!(sizes(&rec.take(Direction::Download)), expected);
    assert_eq!(sizes(&rec.take(Direction::Upload)), expected);
    assert!(rec.is_empty());

    // `push_archive` (what the CLI uses) reports through the same options.
    let packaged = helmoci_core::package::package(
        &crate::support::write_chart_dir(tmp.path(), "real", "0.3.0", 200_000),
        &helmoci_core::package::PackageOptions {
            destination: tmp.path().join("dist"),
            ..Default::default()
        },
    )?;
    let pushed = client
        .push_archive(
            &packaged.path,
            &target,
            &PushOptions::default().progress(rec.sink()),
        )
        .await?;
    let up = rec.take(Direction::Upload);
    assert_eq!(sizes(&up), {
        let mut s = [pushed.config.size, packaged.size];
        s.sort_unstable();
        s
    });
    Ok(())
}

/// A proxy to the registry that answers the first request `fault` picks with a 500, or
/// cuts the first blob download in half.
async fn faulty_proxy(upstream: String, fault: Fault) -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    let me = Arc::new(Mutex::new(String::new()));
    let me2 = Arc::clone(&me);
    let handler: Handler = Arc::new(move |req: Request| {
        let (upstream, hits, me) = (upstream.clone(), Arc::clone(&hits), Arc::clone(&me2));
        Box::pin(async move {
            let upload_put = req.method == "PUT" && req.path.contains("/blobs/uploads/");
            let blob_get = req.method == "GET" && req.path.contains("/blobs/sha256:");
            let first = |hit: bool| hit && hits.fetch_add(1, Ordering::SeqCst) == 0;
            if fault == Fault::FailFirstUpload && first(upload_put) {
                return Reply::new(500);
            }
            let me = me.lock().unwrap().clone();
            let mut reply = forward(&req, &upstream, &me).await;
            if fault == Fault::TruncateFirstDownload && first(blob_get) {
                reply.truncate_at = Some(reply.body.len() / 2);
            }
            reply
        })
    });
    let server = Server::start(handler).await;
    *me.lock().unwrap() = server.host.clone();
    server
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    FailFirstUpload,
    TruncateFirstDownload,
}

fn retrying_client() -> RegistryClient {
    let retry = RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    RegistryClient::builder()
        .plain_http(true)
        .retry(retry)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_retried_upload_restarts_and_a_resumed_download_does_not() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "retry", "1.0.0", 120_000);
    let rec = Recorder::default();

    // The first blob `PUT` fails after its whole body was sent: that blob restarts at 0.
    let p = faulty_proxy(reg.host.clone(), Fault::FailFirstUpload).await;
    let target: Target = format!("oci://{}/n", p.host).parse()?;
    retrying_client()
        .push(
            &chart,
            &target,
            &PushOptions::default().progress(rec.sink()),
        )
        .await?;
    let up = rec.take(Direction::Upload);
    assert_eq!(up.len(), 2);
    let restarted: Vec<_> = up.iter().filter(|s| s.restarts > 0).collect();
    assert_eq!(restarted.len(), 1, "{up:?}");
    let size = restarted[0].blob.as_ref().unwrap().size;
    assert_eq!(restarted[0].restarts, 1);
    assert_eq!(
        restarted[0].advanced_total,
        2 * size,
        "sent twice, reported twice"
    );

    // A download cut in half resumes with `Range`: no restart, every byte once.
    let p = faulty_proxy(reg.host.clone(), Fault::TruncateFirstDownload).await;
    let from: ChartRef = format!("oci://{}/n/retry:1.0.0", p.host).parse()?;
    let out = tmp.path().join("out");
    retrying_client()
        .pull(&from, &PullOptions::into_dir(&out).progress(rec.sink()))
        .await?;
    let down = rec.take(Direction::Download);
    assert_eq!(sizes(&down), [120_000]);
    assert!(no_restarts(&down), "{down:?}");
    assert!(down[0].advances >= 2, "{down:?}");
    Ok(())
}
