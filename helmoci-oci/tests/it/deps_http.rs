//! HTTP chart repositories named through `repositories.yaml` (`@name`): Basic credentials
//! only for the repository's own origin (unless `pass_credentials_all`), Helm's refresh
//! events and cache file, `--skip-refresh` without a cache, and a wrong index digest.

use std::path::Path;
use std::sync::Arc;

use helmoci_core::index::IndexFile;
use helmoci_core::time::Timestamp;
use helmoci_oci::deps::{update_dependencies, DependencyOptions, Event};
use helmoci_oci::{Error, RegistryClient};

use crate::chartrepo::package_into;
use crate::deps::{chain, fast_retry, recorder, snapshot};
use crate::support::http::{Handler, Reply, Request, Server};
use crate::support::TestResult;

/// `dXNlcjpwYXNz` = base64("user:pass").
pub(crate) const AUTH: &str = "Basic dXNlcjpwYXNz";

/// Serves `dir`; with `auth`, answers 401 to requests without the credentials.
pub(crate) async fn serve(dir: std::path::PathBuf, auth: bool) -> Server {
    let handler: Handler = Arc::new(move |req: Request| {
        let dir = dir.clone();
        Box::pin(async move {
            if auth && req.header("authorization") != Some(AUTH) {
                return Reply::new(401);
            }
            let path = req
                .path
                .split('?')
                .next()
                .unwrap_or("")
                .trim_start_matches('/');
            match std::fs::read(dir.join(path)) {
                Ok(b) if !path.contains("..") => Reply::new(200).body(b),
                _ => Reply::new(404),
            }
        })
    });
    Server::start(handler).await
}

pub(crate) fn options(root: &Path, repo_url: &str, pass_all: bool) -> DependencyOptions {
    let config = root.join("repositories.yaml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nrepositories:\n- name: myrepo\n  url: {repo_url}\n  username: user\n  password: pass\n  pass_credentials_all: {pass_all}\n"
        ),
    )
    .unwrap();
    let mut o = DependencyOptions::default();
    o.repository_config = config;
    o.repository_cache = root.join("cache/repository");
    o.content_cache = Some(root.join("cache/content"));
    o
}

/// The repository's index points at archives on another origin (a CDN).
async fn setup(root: &Path, digest_of_other: bool) -> (Server, Server) {
    let cdn_dir = root.join("cdn");
    let a = package_into(root, "web", "1.0.0", &cdn_dir);
    let cdn = serve(cdn_dir.clone(), false).await;
    let mut index =
        IndexFile::from_directory(&cdn_dir, &format!("http://{}", cdn.host), Timestamp::now())
            .unwrap();
    if digest_of_other {
        for v in index.entries.values_mut() {
            for e in v {
                e.digest = "0".repeat(64);
            }
        }
    }
    let repo_dir = root.join("repo");
    std::fs::create_dir_all(&repo_dir).unwrap();
    index
        .write_file(&repo_dir.join("index.yaml"), false)
        .unwrap();
    let repo = serve(repo_dir, true).await;
    assert!(a.is_file());
    (repo, cdn)
}

pub(crate) fn chart(root: &Path) -> std::path::PathBuf {
    let dir = root.join("umbrella");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: web\n  version: ^1\n  repository: \"@myrepo\"\n",
    )
    .unwrap();
    dir
}

pub(crate) fn client() -> RegistryClient {
    RegistryClient::builder()
        .retry(fast_retry())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_stay_on_the_repository_origin() -> TestResult {
    let root = tempfile::tempdir()?;
    let r = root.path();
    let (repo, cdn) = setup(r, false).await;
    let repo_url = format!("http://{}/", repo.host);
    let dir = chart(r);
    let (progress, events) = recorder();
    let mut opts = options(r, &repo_url, false);
    opts.progress = Some(progress);
    let updated = update_dependencies(&client(), &dir, &opts).await?;
    assert_eq!(updated.lock.dependencies[0].repository, repo_url);
    assert!(dir.join("charts/web-1.0.0.tgz").is_file());
    assert!(r.join("cache/repository/myrepo-index.yaml").is_file());
    assert!(r.join("cache/repository/myrepo-charts.txt").is_file());
    assert!(repo
        .requests()
        .iter()
        .all(|q| q.header("authorization") == Some(AUTH)));
    let cdn_reqs = cdn.requests();
    assert_eq!(cdn_reqs.len(), 1);
    assert_eq!(
        cdn_reqs[0].header("authorization"),
        None,
        "no credentials for the CDN"
    );
    assert_eq!(
        cdn_reqs[0].header("accept"),
        Some("application/gzip,application/octet-stream")
    );
    assert_eq!(
        events.lock().unwrap().clone(),
        vec![
            Event::RefreshingRepositories,
            Event::RepositoryRefreshed {
                name: Some("myrepo".into()),
                url: repo_url.clone()
            },
            Event::RefreshComplete,
            Event::Saving { count: 1 },
            Event::Downloading {
                name: "web".into(),
                repository: repo_url.clone()
            },
            Event::DeletingOutdated,
        ]
    );

    // pass_credentials_all sends them to the CDN too (cold content cache).
    std::fs::remove_dir_all(dir.join("charts"))?;
    let mut opts = options(r, &repo_url, true);
    opts.content_cache = None;
    update_dependencies(&client(), &dir, &opts).await?;
    assert_eq!(cdn.requests()[1].header("authorization"), Some(AUTH));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_refresh_without_cache_and_wrong_digest_fail_clearly() -> TestResult {
    let root = tempfile::tempdir()?;
    let r = root.path();
    let (repo, _cdn) = setup(r, true).await;
    let repo_url = format!("http://{}/", repo.host);
    let dir = chart(r);
    let before = snapshot(&dir);

    let mut opts = options(r, &repo_url, false);
    opts.skip_refresh = true;
    let err = update_dependencies(&client(), &dir, &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RepositoryNotCached { .. }), "{err:?}");
    assert!(chain(&err).starts_with(&format!("no cached repository for {repo_url} found")));
    assert!(
        repo.requests().is_empty(),
        "--skip-refresh contacts nothing"
    );

    let err = update_dependencies(&client(), &dir, &options(r, &repo_url, false))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.starts_with("dependency \"web\": could not download http://"),
        "{text}"
    );
    assert!(
        text.contains(&format!("blob sha256:{}", "0".repeat(64))),
        "{text}"
    );
    assert_eq!(snapshot(&dir), before);
    Ok(())
}
