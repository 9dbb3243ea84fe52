//! A classic chart repository on 127.0.0.1: serves the files of a directory (with an
//! `index.yaml` written by us), optionally cutting the body of one file short.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use helmoci_core::index::IndexFile;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;

use crate::support::http::{Handler, Reply, Request, Server};

pub struct ChartRepo {
    pub server: Server,
    /// `http://127.0.0.1:<port>/charts`
    pub url: String,
    /// Files whose bodies are cut in half (a path suffix), changeable while serving.
    pub cut: Arc<Mutex<Option<String>>>,
}

impl ChartRepo {
    /// Serves `root` (`root/charts/index.yaml`, `root/charts/*.tgz`).
    pub async fn serve(root: PathBuf) -> ChartRepo {
        let cut: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let cut2 = cut.clone();
        let handler: Handler = Arc::new(move |req: Request| {
            let (root, cut) = (root.clone(), cut2.clone());
            Box::pin(async move {
                let path = req.path.split('?').next().unwrap_or("").to_owned();
                if path.contains("..") {
                    return Reply::new(404);
                }
                match std::fs::read(root.join(path.trim_start_matches('/'))) {
                    Ok(body) => {
                        let mut r = Reply::new(200).body(body);
                        let cut = cut.lock().unwrap().clone();
                        if cut.is_some_and(|c| path.ends_with(&c)) {
                            r.truncate_at = Some(r.body.len() / 2);
                        }
                        r
                    }
                    Err(_) => Reply::new(404),
                }
            })
        });
        let server = Server::start(handler).await;
        let url = format!("http://{}/charts", server.host);
        ChartRepo { server, url, cut }
    }

    /// GET requests for archives so far.
    pub fn archive_gets(&self) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with(".tgz"))
            .count()
    }
}

/// Writes a small chart directory `<root>/src/<name>-<version>/` and returns it.
pub fn chart_src(root: &Path, name: &str, version: &str) -> PathBuf {
    let dir = root.join("src").join(format!("{name}-{version}"));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: dependency {name}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), format!("who: {name}\n")).unwrap();
    std::fs::write(
        dir.join("templates/cm.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-{version}\n"),
    )
    .unwrap();
    dir
}

/// Packages `name-version` into `dest` with a fixed mtime.
pub fn package_into(root: &Path, name: &str, version: &str, dest: &Path) -> PathBuf {
    let src = chart_src(root, name, version);
    let opts = PackageOptions {
        destination: dest.to_owned(),
        mtime: Some(Timestamp::from_unix(1_700_000_000)),
        ..PackageOptions::default()
    };
    package(&src, &opts).unwrap().path
}

/// Writes `dir/index.yaml` for the archives in `dir` (relative URLs).
pub fn write_index(dir: &Path) {
    let index = IndexFile::from_directory(dir, "", Timestamp::from_unix(1_700_000_000)).unwrap();
    index.write_file(&dir.join("index.yaml"), false).unwrap();
}
