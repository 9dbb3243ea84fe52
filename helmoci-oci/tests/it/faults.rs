//! Faults a real registry never produces, injected by a proxy in front of the real registry:
//! 503s and 429s (retried), truncated bodies (resumed), wrong bytes and sizes (clear error,
//! nothing written), and a cross-origin redirect (no Authorization forwarded).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helmoci_oci::credential::{Credential, StaticCredentials};
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::{Error, RegistryClient, RetryPolicy};

use crate::require;
use crate::support::http::{forward, Handler, Reply, Request, Server};
use crate::support::registry::Registry;
use crate::support::{fake_chart, list_dir, TestResult};

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
        max_total: Duration::from_secs(20),
    }
}

fn client() -> RegistryClient {
    RegistryClient::builder()
        .plain_http(true)
        .retry(fast_retry())
        .build()
        .unwrap()
}

/// A proxy to `upstream`; `fault(request, n)` may replace or alter the upstream's reply for
/// the n-th (0-based) blob GET.
async fn proxy(
    upstream: String,
    fault: impl Fn(&Request, usize, Reply) -> Reply + Send + Sync + 'static,
) -> Server {
    let fault = Arc::new(fault);
    let blob_gets = Arc::new(AtomicUsize::new(0));
    let me = Arc::new(std::sync::Mutex::new(String::new()));
    let me2 = me.clone();
    let handler: Handler = Arc::new(move |req: Request| {
        let (upstream, fault, blob_gets, me) = (
            upstream.clone(),
            fault.clone(),
            blob_gets.clone(),
            me2.clone(),
        );
        Box::pin(async move {
            let me = me.lock().unwrap().clone();
            let reply = forward(&req, &upstream, &me).await;
            if req.method == "GET" && req.path.contains("/blobs/sha256:") {
                let n = blob_gets.fetch_add(1, Ordering::SeqCst);
                fault(&req, n, reply)
            } else {
                reply
            }
        })
    });
    let server = Server::start(handler).await;
    *me.lock().unwrap() = server.host.clone();
    server
}

async fn setup(
    reg: &Registry,
    size: usize,
) -> Result<
    (tempfile::TempDir, helmoci_core::package::PackagedChart),
    Box<dyn std::error::Error + Send + Sync>,
> {
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "f", "1.0.0", size);
    client()
        .push(
            &chart,
            &reg.oci("n").parse::<Target>()?,
            &PushOptions::default(),
        )
        .await?;
    Ok((tmp, chart))
}

fn chart_ref(host: &str) -> ChartRef {
    format!("oci://{host}/n/f:1.0.0").parse().unwrap()
}

#[tokio::test]
async fn server_errors_then_success_are_retried() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, chart) = setup(&reg, 50_000).await?;
    let p = proxy(reg.host.clone(), |_, n, reply| {
        if n < 2 {
            Reply::new(503)
        } else {
            reply
        }
    })
    .await;
    let out = tmp.path().join("o");
    let pulled = client()
        .pull(&chart_ref(&p.host), &PullOptions::into_dir(&out))
        .await?;
    assert_eq!(std::fs::read(&pulled.path)?, std::fs::read(&chart.path)?);
    Ok(())
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, chart) = setup(&reg, 1_000).await?;
    let p = proxy(reg.host.clone(), |_, n, reply| {
        if n == 0 {
            Reply::new(429).header("Retry-After", "1")
        } else {
            reply
        }
    })
    .await;
    let start = Instant::now();
    let pulled = client()
        .pull(
            &chart_ref(&p.host),
            &PullOptions::into_dir(tmp.path().join("o")),
        )
        .await?;
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(std::fs::read(&pulled.path)?, std::fs::read(&chart.path)?);
    Ok(())
}

#[tokio::test]
async fn persistent_errors_fail_clearly_and_leave_nothing() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, _) = setup(&reg, 1_000).await?;
    let p = proxy(reg.host.clone(), |_, _, _| {
        Reply::new(503)
            .json(&serde_json::json!({"errors":[{"code":"UNAVAILABLE","message":"try later"}]}))
    })
    .await;
    let out = tmp.path().join("o");
    let e = client()
        .pull(&chart_ref(&p.host), &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    assert!(e.to_string().contains("unavailable: try later"), "{e}");
    assert!(list_dir(&out).is_empty(), "{:?}", list_dir(&out));
    Ok(())
}

#[tokio::test]
async fn truncated_body_is_resumed_with_range() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, chart) = setup(&reg, 200_000).await?;
    let p = proxy(reg.host.clone(), |_, n, mut reply| {
        if n == 0 && reply.body.len() > 1000 {
            reply.truncate_at = Some(reply.body.len() / 2);
        }
        reply
    })
    .await;
    let out = tmp.path().join("o");
    let pulled = client()
        .pull(&chart_ref(&p.host), &PullOptions::into_dir(&out))
        .await?;
    assert_eq!(std::fs::read(&pulled.path)?, std::fs::read(&chart.path)?);
    let ranged = p
        .requests()
        .iter()
        .filter(|r| r.header("range").is_some())
        .count();
    assert_eq!(ranged, 1);
    assert_eq!(list_dir(&out), ["f-1.0.0.tgz"]);
    Ok(())
}

#[tokio::test]
async fn always_truncated_fails_and_leaves_nothing() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, _) = setup(&reg, 100_000).await?;
    let p = proxy(reg.host.clone(), |_, _, mut reply| {
        if reply.body.len() > 10 {
            reply.truncate_at = Some(reply.body.len() / 3);
        }
        reply
    })
    .await;
    let out = tmp.path().join("o");
    let e = client()
        .pull(&chart_ref(&p.host), &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Transport { .. } | Error::SizeMismatch { .. }),
        "{e}"
    );
    assert!(list_dir(&out).is_empty(), "{:?}", list_dir(&out));
    Ok(())
}

#[tokio::test]
async fn wrong_bytes_and_sizes_are_rejected() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, _) = setup(&reg, 5_000).await?;
    let flip = proxy(reg.host.clone(), |_, _, mut reply| {
        if let Some(b) = reply.body.last_mut() {
            *b ^= 0xff;
        }
        reply
    })
    .await;
    let out = tmp.path().join("o");
    let e = client()
        .pull(&chart_ref(&flip.host), &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
    assert!(e.to_string().contains("nothing was written"));
    assert!(list_dir(&out).is_empty());

    let longer = proxy(reg.host.clone(), |_, _, mut reply| {
        reply.body.extend_from_slice(b"extra");
        reply
    })
    .await;
    let e = client()
        .pull(&chart_ref(&longer.host), &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::SizeMismatch { .. }), "{e}");
    assert!(list_dir(&out).is_empty());
    Ok(())
}

#[tokio::test]
async fn push_retries_a_failed_upload() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "up", "1.0.0", 30_000);
    let puts = Arc::new(AtomicUsize::new(0));
    let upstream = reg.host.clone();
    let me = Arc::new(std::sync::Mutex::new(String::new()));
    let (puts2, me2) = (puts.clone(), me.clone());
    let handler: Handler = Arc::new(move |req: Request| {
        let (upstream, puts, me) = (upstream.clone(), puts2.clone(), me2.clone());
        Box::pin(async move {
            if req.method == "PUT"
                && req.path.contains("/blobs/uploads/")
                && puts.fetch_add(1, Ordering::SeqCst) == 0
            {
                return Reply::new(500);
            }
            let me = me.lock().unwrap().clone();
            forward(&req, &upstream, &me).await
        })
    });
    let p = Server::start(handler).await;
    *me.lock().unwrap() = p.host.clone();
    let target: Target = format!("oci://{}/n", p.host).parse()?;
    client()
        .push(&chart, &target, &PushOptions::default())
        .await?;
    let pulled = client()
        .pull(
            &format!("oci://{}/n/up:1.0.0", reg.host).parse()?,
            &PullOptions::into_dir(tmp.path().join("o")),
        )
        .await?;
    assert_eq!(std::fs::read(&pulled.path)?, std::fs::read(&chart.path)?);
    assert!(puts.load(Ordering::SeqCst) >= 3);
    Ok(())
}

#[tokio::test]
async fn authorization_is_not_forwarded_on_cross_origin_redirects() -> TestResult {
    let reg = require!(Registry::start());
    let (tmp, chart) = setup(&reg, 2_000).await?;
    // Blob storage on another origin: serves the blob, records headers.
    let upstream = reg.host.clone();
    let storage_handler: Handler = Arc::new(move |req: Request| {
        let upstream = upstream.clone();
        Box::pin(async move {
            let path = req.path.replacen("/storage", "", 1);
            let mut fwd = req.clone();
            fwd.path = path;
            fwd.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            forward(&fwd, &upstream, "unused").await
        })
    });
    let storage = Server::start(storage_handler).await;
    let storage_host = storage.host.clone();
    let upstream = reg.host.clone();
    let me = Arc::new(std::sync::Mutex::new(String::new()));
    let me2 = me.clone();
    // The registry: demands Basic auth, redirects blob GETs to the storage origin.
    let handler: Handler = Arc::new(move |req: Request| {
        let (upstream, storage_host, me) = (upstream.clone(), storage_host.clone(), me2.clone());
        Box::pin(async move {
            if req.header("authorization").is_none() {
                return Reply::new(401).header("WWW-Authenticate", "Basic realm=\"test\"");
            }
            if req.method == "GET" && req.path.contains("/blobs/sha256:") {
                return Reply::new(307).header(
                    "Location",
                    &format!("http://{storage_host}/storage{}", req.path),
                );
            }
            let mut fwd = req.clone();
            fwd.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            let me = me.lock().unwrap().clone();
            forward(&fwd, &upstream, &me).await
        })
    });
    let p = Server::start(handler).await;
    *me.lock().unwrap() = p.host.clone();
    let c = RegistryClient::builder()
        .plain_http(true)
        .credentials(StaticCredentials::new().with(&p.host, Credential::basic("u", "p")))
        .build()?;
    let pulled = c
        .pull(
            &chart_ref(&p.host),
            &PullOptions::into_dir(tmp.path().join("o")),
        )
        .await?;
    assert_eq!(std::fs::read(&pulled.path)?, std::fs::read(&chart.path)?);
    let seen = storage.requests();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|r| r.header("authorization").is_none()),
        "{seen:?}"
    );
    assert!(p
        .requests()
        .iter()
        .any(|r| r.header("authorization").is_some()));
    Ok(())
}

#[tokio::test]
async fn tag_pagination_over_many_pages() -> TestResult {
    // A registry that pages 100 tags at a time with relative and absolute Link headers.
    let all: Vec<String> = (0..1234)
        .map(|i| format!("1.{}.{}", i / 100, i % 100))
        .collect();
    let tags = Arc::new(all.clone());
    let me = Arc::new(std::sync::Mutex::new(String::new()));
    let me2 = me.clone();
    let handler: Handler = Arc::new(move |req: Request| {
        let (tags, me) = (tags.clone(), me2.clone());
        Box::pin(async move {
            let last: usize = req
                .path
                .split_once("last=")
                .and_then(|(_, v)| v.split('&').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let page: Vec<&String> = tags.iter().skip(last).take(100).collect();
            let mut reply = Reply::new(200).json(&serde_json::json!({"name": "p/c", "tags": page}));
            if last + 100 < tags.len() {
                let next = format!("/v2/p/c/tags/list?last={}&n=100", last + 100);
                let link = if (last / 100).is_multiple_of(2) {
                    format!("<{next}>; rel=\"next\"")
                } else {
                    format!("<http://{}{next}>; rel=\"next\"", me.lock().unwrap())
                };
                reply = reply.header("Link", &link);
            }
            reply
        })
    });
    let s = Server::start(handler).await;
    *me.lock().unwrap() = s.host.clone();
    let r: helmoci_oci::reference::Reference = format!("oci://{}/p/c", s.host).parse()?;
    assert_eq!(client().list_tags(&r).await?, all);
    assert_eq!(s.requests().len(), 13);
    // The cap on the number of tags.
    let capped = RegistryClient::builder()
        .plain_http(true)
        .max_tags(500)
        .build()?;
    let e = capped.list_tags(&r).await.unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    // Helm's order over all pages.
    let tags = client().tags(&ChartRef::Registry(r)).await?;
    assert_eq!(tags.versions.first().map(String::as_str), Some("1.12.33"));
    assert_eq!(tags.versions.len(), 1234);
    Ok(())
}

#[tokio::test]
async fn oversized_manifest_is_refused() -> TestResult {
    let handler: Handler = Arc::new(|_req: Request| {
        Box::pin(async move {
            Reply::new(200)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body(vec![b' '; 5 * 1024 * 1024])
        })
    });
    let s = Server::start(handler).await;
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("o");
    let e = client()
        .pull(&chart_ref(&s.host), &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                what: "manifest",
                ..
            }
        ),
        "{e}"
    );
    Ok(())
}

#[tokio::test]
async fn a_stalled_server_times_out() -> TestResult {
    let handler: Handler = Arc::new(|_req: Request| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Reply::new(200)
        })
    });
    let s = Server::start(handler).await;
    let c = RegistryClient::builder()
        .plain_http(true)
        .read_timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()?;
    let start = Instant::now();
    let e = c.ping(&s.host).await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    match &e {
        Error::Transport { source, .. } => assert!(source.is_timeout(), "{e:?}"),
        _ => panic!("{e}"),
    }
    Ok(())
}
