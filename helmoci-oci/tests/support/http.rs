//! A tiny HTTP/1.1 server on 127.0.0.1 for the token service and for faults a real
//! registry never produces (wrong bytes, truncated bodies, 503s, 429 Retry-After), either
//! answering itself or proxying to a real registry and corrupting the answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Announce the full length but close the connection after this many body bytes.
    pub truncate_at: Option<usize>,
}

impl Reply {
    pub fn new(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::default()
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Reply {
        self.body = b.into();
        self
    }
    pub fn json(self, v: &serde_json::Value) -> Reply {
        self.header("Content-Type", "application/json")
            .body(v.to_string())
    }
}

pub type BoxFut = Pin<Box<dyn Future<Output = Reply> + Send>>;
pub type Handler = Arc<dyn Fn(Request) -> BoxFut + Send + Sync>;

pub struct Server {
    pub port: u16,
    /// `127.0.0.1:<port>`
    pub host: String,
    /// `METHOD path` of every request, in order.
    pub log: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(handler: Handler) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (h, log) = (handler.clone(), log2.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, h, log).await;
                });
            }
        });
        Server {
            port,
            host: format!("127.0.0.1:{port}"),
            log,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }
}

async fn serve(
    mut sock: TcpStream,
    handler: Handler,
    log: Arc<Mutex<Vec<Request>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let path = first.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = buf[head_end + 4..].to_vec();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while body.len() < len {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let req = Request {
        method: method.clone(),
        path,
        headers,
        body,
    };
    log.lock().unwrap().push(req.clone());
    let reply = handler(req).await;
    let mut out = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    if !reply
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        out.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    sock.write_all(out.as_bytes()).await?;
    if method != "HEAD" {
        let end = reply
            .truncate_at
            .unwrap_or(reply.body.len())
            .min(reply.body.len());
        sock.write_all(&reply.body[..end]).await?;
    }
    sock.flush().await?;
    let _ = sock.shutdown().await;
    Ok(())
}

/// Forwards a request to `upstream` (a plain-HTTP registry) and returns its reply, with the
/// upstream's host rewritten to `me` in `Location` and `Link`.
pub async fn forward(req: &Request, upstream: &str, me: &str) -> Reply {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        )
        .build()
        .unwrap();
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
    let mut rb = client.request(method, format!("http://{upstream}{}", req.path));
    for (k, v) in &req.headers {
        if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("connection") {
            rb = rb.header(k, v);
        }
    }
    let resp = rb.body(req.body.clone()).send().await.unwrap();
    let mut reply = Reply::new(resp.status().as_u16());
    for (k, v) in resp.headers() {
        let k = k.as_str();
        if matches!(k, "connection" | "transfer-encoding" | "content-length") {
            if k == "content-length" && req.method == "HEAD" {
                reply
                    .headers
                    .push((k.to_owned(), v.to_str().unwrap().to_owned()));
            }
            continue;
        }
        let v = v.to_str().unwrap_or("").replace(upstream, me);
        reply.headers.push((k.to_owned(), v));
    }
    reply.body = resp.bytes().await.unwrap().to_vec();
    reply
}
