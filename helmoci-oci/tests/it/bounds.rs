//! Resource bounds: peak memory of `pull` does not grow with the blob size (measured in a
//! child process), token responses and manifests are capped even without a
//! `Content-Length`, and every way a peer can stall ends in bounded time with a clear error
//! and nothing left in the destination.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use helmoci_core::digest::Digest;
use helmoci_oci::manifest::{ChartManifest, Descriptor};
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::ChartRef;
use helmoci_oci::{media_type, Error, RegistryClient, RetryPolicy};

use crate::require;
use crate::support::http::{Handler, Reply, Request, Server};
use crate::support::registry::Registry;
use crate::support::{demo_metadata, list_dir, packaged, TestResult};

const MIB: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Peak RSS of pull: 10 MiB vs 500 MiB.

/// Environment of the child run of [`rss_child`].
const RSS_REF: &str = "HELMOCI_RSS_REF";
const RSS_DEST: &str = "HELMOCI_RSS_DEST";
/// Generous fixed bound on the child's peak RSS.
const RSS_BOUND: u64 = 64 * MIB;
/// Allowed growth of peak RSS from the small to the big blob.
const RSS_GROWTH: u64 = 8 * MIB;

/// Writes a `size`-byte file of incompressible-looking data quickly (1 MiB blocks, each
/// stamped with its index).
fn big_file(path: &Path, size: u64) {
    let mut block = vec![0u8; MIB as usize];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in block.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = size;
    let mut i: u64 = 0;
    while left > 0 {
        block[..8].copy_from_slice(&i.to_le_bytes());
        let n = left.min(MIB) as usize;
        f.write_all(&block[..n]).unwrap();
        left -= n as u64;
        i += 1;
    }
    f.flush().unwrap();
}

/// The child side: pulls `$HELMOCI_RSS_REF` into `$HELMOCI_RSS_DEST` and prints its peak
/// RSS (`VmHWM`). Does nothing when run without those variables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by pull_memory_does_not_grow_with_the_blob_size"]
async fn rss_child() -> TestResult {
    let (Ok(r), Ok(dest)) = (std::env::var(RSS_REF), std::env::var(RSS_DEST)) else {
        return Ok(());
    };
    let chart: ChartRef = r.parse()?;
    let c = RegistryClient::builder().plain_http(true).build()?;
    let pulled = c.pull(&chart, &PullOptions::into_dir(&dest)).await?;
    let size = std::fs::metadata(&pulled.path)?.len();
    let status = std::fs::read_to_string("/proc/self/status")?;
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .to_owned();
    println!("RSS-RESULT size={size} vmhwm_kb={hwm}");
    Ok(())
}

/// Runs [`rss_child`] in a fresh process; (bytes pulled, peak RSS in bytes).
fn pull_in_child(chart: &str, dest: &Path) -> Result<(u64, u64), String> {
    let out = std::process::Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args([
            "bounds::rss_child",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(RSS_REF, chart)
        .env(RSS_DEST, dest)
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("RSS-RESULT ").map(|(_, r)| r))
        .ok_or_else(|| {
            format!(
                "child printed no result ({:?}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let field = |k: &str| -> Result<u64, String> {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no {k} in {line:?}"))
    };
    Ok((field("size=")?, field("vmhwm_kb=")? * 1024))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_memory_does_not_grow_with_the_blob_size() -> TestResult {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = RegistryClient::builder().plain_http(true).build()?;
    let mut results = Vec::new();
    for (name, size) in [("small", 10 * MIB), ("big", 500 * MIB)] {
        let path = tmp.path().join(format!("{name}-1.0.0.tgz"));
        big_file(&path, size);
        let chart = packaged(&path, demo_metadata(name, "1.0.0"));
        c.push(&chart, &reg.oci("rss").parse()?, &PushOptions::default())
            .await?;
        std::fs::remove_file(&path)?;
        let dest = tmp.path().join(format!("out-{name}"));
        let r = format!("{}/{name}:1.0.0", reg.oci("rss"));
        let start = Instant::now();
        let (pulled, hwm) = tokio::task::spawn_blocking(move || pull_in_child(&r, &dest)).await??;
        assert_eq!(pulled, size);
        eprintln!(
            "pull of {} MiB: peak RSS {:.1} MiB ({:?})",
            size / MIB,
            hwm as f64 / MIB as f64,
            start.elapsed()
        );
        results.push(hwm);
    }
    let (small, big) = (results[0], results[1]);
    assert!(small < RSS_BOUND, "10 MiB pull peaked at {small} B");
    assert!(big < RSS_BOUND, "500 MiB pull peaked at {big} B");
    assert!(
        big.saturating_sub(small) < RSS_GROWTH,
        "peak RSS grew from {small} B to {big} B with the blob size"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Caps on what a peer sends.

/// A registry behind Bearer auth whose token service answers `token_padding` bytes.
async fn token_server(token_padding: usize) -> Server {
    let me: Arc<Mutex<String>> = Arc::default();
    let me2 = me.clone();
    let handler: Handler = Arc::new(move |req: Request| {
        let me = me2.lock().unwrap().clone();
        Box::pin(async move {
            if req.path.starts_with("/token") {
                let pad = "a".repeat(token_padding);
                return Reply::new(200)
                    .json(&serde_json::json!({"token": "t0k3n", "padding": pad}));
            }
            if req.header("authorization") == Some("Bearer t0k3n") {
                return Reply::new(200)
                    .json(&serde_json::json!({"name": "ns/c", "tags": ["1.0.0"]}));
            }
            Reply::new(401).header(
                "WWW-Authenticate",
                &format!(
                    r#"Bearer realm="http://{me}/token",service="svc",scope="repository:ns/c:pull""#
                ),
            )
        })
    });
    let s = Server::start(handler).await;
    *me.lock().unwrap() = s.host.clone();
    s
}

#[tokio::test]
async fn token_responses_are_capped_at_128_kib() -> TestResult {
    let c = RegistryClient::builder()
        .plain_http(true)
        .retry(RetryPolicy::none())
        .build()?;
    // Just under the cap: accepted and used.
    let s = token_server(120 * 1024).await;
    let r = format!("oci://{}/ns/c", s.host).parse()?;
    assert_eq!(c.list_tags(&r).await?, ["1.0.0"]);
    // Over it: refused, naming the token service.
    let s = token_server(200 * 1024).await;
    let r = format!("oci://{}/ns/c", s.host).parse()?;
    let e = c.list_tags(&r).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                what: "token response",
                limit: 131_072,
                ..
            }
        ),
        "{e}"
    );
    Ok(())
}

/// A raw HTTP/1.1 server on 127.0.0.1: `answer(request line)` writes the whole response
/// (or part of it, then stalls) on the socket. One thread per connection.
fn raw_server(answer: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let answer = answer.clone();
            std::thread::spawn(move || loop {
                let mut reader = BufReader::new(sock.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 {
                        return;
                    }
                    if h == "\r\n" {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                answer(line.trim_end(), &mut sock);
            });
        }
    });
    host
}

fn respond(sock: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = sock.write_all(out.as_bytes());
    let _ = sock.write_all(body);
}

#[tokio::test]
async fn manifests_are_capped_at_4_mib_without_a_content_length() -> TestResult {
    let host = raw_server(|_line, sock| {
        let _ = sock.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..(6 * 16) {
            if sock
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .and_then(|_| sock.write_all(&chunk))
                .and_then(|_| sock.write_all(b"\r\n"))
                .is_err()
            {
                return;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n");
    });
    let c = RegistryClient::builder()
        .plain_http(true)
        .retry(RetryPolicy::none())
        .build()?;
    let tmp = tempfile::tempdir()?;
    let chart: ChartRef = format!("oci://{host}/ns/c:1.0.0").parse()?;
    let e = c
        .pull(&chart, &PullOptions::into_dir(tmp.path()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    assert_eq!(list_dir(tmp.path()), Vec::<String>::new());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Stalls.

fn stalling_client(retry: RetryPolicy) -> RegistryClient {
    RegistryClient::builder()
        .plain_http(true)
        .connect_timeout(Duration::from_millis(500))
        .read_timeout(Duration::from_millis(300))
        .retry(retry)
        .build()
        .unwrap()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(1),
        max_total: Duration::from_secs(10),
    }
}

/// A timeout, and its message (without the causes) says so.
fn is_timeout(e: &Error) -> bool {
    matches!(e, Error::Transport { source, .. } if source.is_timeout())
        && e.to_string().contains("timed out")
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_times_out() -> TestResult {
    // Accept connections, read nothing, write nothing, keep them open.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let host = listener.local_addr()?.to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let tmp = tempfile::tempdir()?;
    let chart: ChartRef = format!("oci://{host}/ns/c:1.0.0").parse()?;
    for (retry, bound) in [
        (RetryPolicy::none(), Duration::from_secs(3)),
        (quick_retries(), Duration::from_secs(8)),
    ] {
        let start = Instant::now();
        let e = stalling_client(retry)
            .pull(&chart, &PullOptions::into_dir(tmp.path()))
            .await
            .unwrap_err();
        let took = start.elapsed();
        assert!(took < bound, "took {took:?}: {e}");
        assert!(is_timeout(&e), "not reported as a timeout: {e} / {e:?}");
        eprintln!("silent server: failed after {took:?}: {e}");
    }
    assert_eq!(list_dir(tmp.path()), Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn a_server_that_stalls_mid_body_times_out_and_leaves_nothing() -> TestResult {
    let chart_bytes: Vec<u8> = (0..256 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    let config = br#"{"name":"c","version":"1.0.0"}"#.to_vec();
    let manifest = ChartManifest {
        config: Descriptor::of_bytes(media_type::CHART_CONFIG, &config),
        chart: Descriptor::of_bytes(media_type::CHART_CONTENT, &chart_bytes),
        provenance: None,
        annotations: Default::default(),
    };
    let manifest_json = manifest.to_json().into_bytes();
    let config_path = format!("/v2/ns/c/blobs/{}", Digest::sha256_of(&config));
    let chart_path = format!("/v2/ns/c/blobs/{}", Digest::sha256_of(&chart_bytes));
    let host = raw_server(move |line, sock| {
        let path = line.split(' ').nth(1).unwrap_or("");
        let mt = ("Content-Type", media_type::OCI_MANIFEST.to_owned());
        if path == "/v2/" {
            respond(sock, "200 OK", &[], b"{}");
        } else if path.starts_with("/v2/ns/c/manifests/") {
            respond(sock, "200 OK", &[mt], &manifest_json);
        } else if path == config_path {
            respond(sock, "200 OK", &[], &config);
        } else if path == chart_path {
            // Headers and half the body, then nothing (the connection stays open).
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
                chart_bytes.len()
            );
            let _ = sock.write_all(head.as_bytes());
            let _ = sock.write_all(&chart_bytes[..chart_bytes.len() / 2]);
            let _ = sock.flush();
            std::thread::sleep(Duration::from_secs(30));
        } else {
            respond(sock, "404 Not Found", &[], b"");
        }
    });
    let tmp = tempfile::tempdir()?;
    let chart: ChartRef = format!("oci://{host}/ns/c:1.0.0").parse()?;
    for (retry, bound) in [
        (RetryPolicy::none(), Duration::from_secs(3)),
        (quick_retries(), Duration::from_secs(8)),
    ] {
        let start = Instant::now();
        let e = stalling_client(retry)
            .pull(&chart, &PullOptions::into_dir(tmp.path()))
            .await
            .unwrap_err();
        let took = start.elapsed();
        assert!(took < bound, "took {took:?}: {e}");
        assert!(is_timeout(&e), "not reported as a timeout: {e} / {e:?}");
        eprintln!("stall mid-body: failed after {took:?}: {e}");
        assert_eq!(list_dir(tmp.path()), Vec::<String>::new(), "left behind");
    }
    Ok(())
}
