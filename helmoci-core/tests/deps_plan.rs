//! Dependency planning and resolution (pure), and agreement with Helm's `dependency
//! update` on `file://` dependencies and on an HTTP repository served on 127.0.0.1.

mod support;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use helmoci_core::deps::{plan, resolve, Candidates, Fetch, Source};
use helmoci_core::index::IndexFile;
use helmoci_core::lock::Lock;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::repo::{managed_repository_name, RepositoryFile};
use helmoci_core::time::Timestamp;
use helmoci_core::{Dependency, Error};

fn dep(name: &str, version: &str, repository: &str) -> Dependency {
    Dependency {
        name: name.into(),
        version: version.into(),
        repository: repository.into(),
        ..Default::default()
    }
}

/// The error and its causes joined by `: `, as the CLI prints them.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

fn repos() -> RepositoryFile {
    RepositoryFile::parse(
        b"apiVersion: v1\nrepositories:\n- name: stable\n  url: https://charts.example.com/stable/\n  username: u\n  password: p\n",
        "repositories.yaml",
    )
    .unwrap()
}

#[test]
fn plan_classifies_and_rewrites_aliases() {
    let deps = [
        dep("a", "^1", ""),
        dep("b", "1.x", "file://../b"),
        dep("c", "1.2.3+meta", "oci://r.example/ns"),
        dep("d", "~1", "@stable"),
        dep("e", "~1", "alias:stable"),
        dep("f", "*", "https://charts.example.com/stable"),
        dep("g", "*", "https://other.example/charts"),
        dep("h", "*", "file:///abs/h"),
    ];
    let p = plan(Path::new("/c"), &deps, &repos()).unwrap();
    let s: Vec<&Source> = p.dependencies.iter().map(|d| &d.source).collect();
    assert_eq!(
        s[0],
        &Source::Local {
            path: "/c/charts/a".into()
        }
    );
    assert_eq!(
        s[1],
        &Source::File {
            path: "/c/../b".into()
        }
    );
    assert_eq!(
        s[2],
        &Source::Oci {
            repository: "r.example/ns/c".into(),
            exact: true
        }
    );
    for i in [3, 4, 5] {
        let Source::Http {
            url,
            repository_name,
            entry,
        } = s[i]
        else {
            panic!("{:?}", s[i])
        };
        assert_eq!(repository_name, "stable");
        assert_eq!(entry.as_ref().unwrap().username, "u");
        assert!(url.starts_with("https://charts.example.com/stable"));
    }
    let Source::Http {
        repository_name,
        entry: None,
        ..
    } = s[6]
    else {
        panic!()
    };
    assert_eq!(
        repository_name,
        &managed_repository_name("https://other.example/charts")
    );
    assert_eq!(
        s[7],
        &Source::File {
            path: "/abs/h".into()
        }
    );
    let req = p.requested();
    assert_eq!(req[3].repository, "https://charts.example.com/stable/");
    assert_eq!(req[4].repository, "https://charts.example.com/stable/");
    assert_eq!(req[5].repository, "https://charts.example.com/stable");
}

#[test]
fn unknown_repositories_fail_together_with_helms_hint() {
    let deps = [
        dep("a", "1", "@nope"),
        dep("b", "1", "stable"),
        dep("c", "1", "oci://r/x"),
    ];
    let err = plan(Path::new("."), &deps, &repos()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no repository definition for @nope, stable. Please add them via 'helm repo add'\nNote that repositories must be URLs or aliases. For example, to refer to the \"example\"\nrepository, use \"https://charts.example.com/\" or \"@example\" instead of\n\"example\". Don't forget to add the repo, too ('helm repo add')."
    );
    let err = plan(Path::new("."), &[dep("a", "1", "@nope")], &repos()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no repository definition for @nope. Please add them via 'helm repo add'"
    );
}

#[test]
fn resolve_picks_like_helm() {
    let deps = [
        dep("loc", "^1", ""),
        dep("f", ">=1.0.0-0", "file://f"),
        dep("o", "1.2", "oci://r/ns"),
        dep("t", "~1.2", "oci://r/ns"),
        dep("h", "^2", "@stable"),
    ];
    let p = plan(Path::new("/c"), &deps, &repos()).unwrap();
    let tags: Vec<String> = ["1.2.0", "1.2.9_build.1", "v1.2.10", "1.3.0", "latest"]
        .map(String::from)
        .to_vec();
    let index = IndexFile::parse(
        br#"apiVersion: v1
entries:
  h:
  - {name: h, version: 3.0.0, urls: [h-3.0.0.tgz]}
  - {name: h, version: 2.5.0}
  - {name: h, version: 2.4.0, urls: [sub/h-2.4.0.tgz], digest: abc}
  - {name: h, version: 2.3.0, urls: [https://cdn.example/h-2.3.0.tgz]}
"#,
        "index.yaml",
    )
    .unwrap();
    let r = resolve(
        &p,
        &[
            Candidates::Local { version: "1.4.0" },
            Candidates::File {
                version: "1.0.0-rc.1",
            },
            Candidates::Exact,
            Candidates::Tags(&tags),
            Candidates::Index(&index),
        ],
    )
    .unwrap();
    let versions: Vec<String> = r.locked().into_iter().map(|d| d.version).collect();
    assert_eq!(
        versions,
        ["^1", "1.0.0-rc.1", "1.2", "1.2.9+build.1", "2.4.0"]
    );
    assert_eq!(r.resolved[0].fetch, Fetch::Local);
    assert_eq!(
        r.resolved[2].fetch,
        Fetch::Oci {
            reference: "r/ns/o:1.2".into()
        }
    );
    assert_eq!(
        r.resolved[3].fetch,
        Fetch::Oci {
            reference: "r/ns/t:1.2.9_build.1".into()
        }
    );
    assert_eq!(
        r.resolved[4].fetch,
        Fetch::Http {
            url: "https://charts.example.com/stable/sub/h-2.4.0.tgz".into(),
            digest: Some("abc".into()),
            file_name: "h-2.4.0.tgz".into()
        }
    );
    assert_eq!(
        r.requested[4].repository,
        "https://charts.example.com/stable/"
    );
    let lock = r.lock(Timestamp::from_unix(0));
    assert!(lock.is_in_sync(&r.requested));
}

#[test]
fn resolve_errors_read_like_helms() {
    let p = plan(Path::new("/c"), &[dep("x", "", "file://x")], &repos()).unwrap();
    let err = resolve(&p, &[Candidates::File { version: "1.0.0" }]).unwrap_err();
    assert_eq!(
        chain(&err),
        r#"dependency "x" has an invalid version/constraint format: improper constraint: """#
    );

    let deps = [
        dep("a", "^2", "file://a"),
        dep("b", "^1", "oci://r/ns"),
        dep("c", "^1", "oci://r/ns"),
    ];
    let p = plan(Path::new("/c"), &deps, &repos()).unwrap();
    let tags = vec!["1.0.0".to_owned()];
    let none: Vec<String> = Vec::new();
    let err = resolve(
        &p,
        &[
            Candidates::File { version: "1.0.0" },
            Candidates::Tags(&tags),
            Candidates::Tags(&none),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"can't get a valid version for 2 subchart(s): "a" (repository "file://a", version "^2"), "c" (repository "oci://r/ns", version "^1"). Make sure a matching chart version exists in the repo, or change the version constraint in Chart.yaml"#
    );

    let p = plan(Path::new("/c"), &[dep("loc", "~1.0", "")], &repos()).unwrap();
    let err = resolve(&p, &[Candidates::Local { version: "1.1.0" }]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "dependency loc at version 1.1.0 does not satisfy the constraint ~1.0"
    );

    let p = plan(Path::new("/c"), &[dep("zz", "1", "@stable")], &repos()).unwrap();
    let index = IndexFile::parse(b"apiVersion: v1\nentries: {}\n", "i").unwrap();
    let err = resolve(&p, &[Candidates::Index(&index)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "zz chart not found in repo https://charts.example.com/stable/"
    );
    assert!(matches!(
        resolve(&p, &[Candidates::Exact]).unwrap_err(),
        Error::DependencyCandidates { .. }
    ));
    assert!(matches!(
        resolve(&p, &[]).unwrap_err(),
        Error::DependencyCandidates { .. }
    ));
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Helm's message for the same unresolvable `file://` constraints is ours.
#[test]
fn no_matching_versions_equals_helms_message() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(
        &r.join("a/Chart.yaml"),
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    write(
        &r.join("b/Chart.yaml"),
        "apiVersion: v2\nname: b\nversion: 2.0.0-rc.1\n",
    );
    let deps = "dependencies:\n- name: a\n  version: ^2\n  repository: file://../a\n- name: b\n  version: ^2\n  repository: file://../b\n";
    write(
        &r.join("p/Chart.yaml"),
        &format!("apiVersion: v2\nname: p\nversion: 0.1.0\n{deps}"),
    );
    let helm = support::try_run_helm(
        &python,
        "h.dependency_update(sys.argv[1])",
        &[r.join("p").to_str().unwrap()],
    )
    .unwrap_err();
    let chart = helmoci_core::load::load(r.join("p")).unwrap();
    let p = plan(
        &r.join("p"),
        &chart.metadata.dependencies,
        &RepositoryFile::default(),
    )
    .unwrap();
    let err = resolve(
        &p,
        &[
            Candidates::File { version: "1.0.0" },
            Candidates::File {
                version: "2.0.0-rc.1",
            },
        ],
    )
    .unwrap_err();
    assert!(helm.contains(&err.to_string()), "helm: {helm}\nours: {err}");
    assert!(!r.join("p/Chart.lock").exists());
}

/// A tiny static file server on 127.0.0.1 for `dir`; returns its base URL.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let path = path.split('?').next().unwrap().trim_start_matches('/');
                let file = dir.join(path);
                let (status, body) = match fs::read(&file) {
                    Ok(b) if !path.contains("..") => ("200 OK", b),
                    _ => ("404 Not Found", Vec::new()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    format!("http://127.0.0.1:{port}/charts")
}

/// An HTTP repository on 127.0.0.1 (index written by us): Helm's `dependency update`
/// locks what we resolve and saves the files we would fetch. Both dependencies use the
/// same URL text: the SDK registers `URL` and `URL/` as two repositories but refreshes
/// only one of them, then fails on the other's missing cache.
#[test]
fn http_repository_matches_helm() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let charts = r.join("www/charts");
    for (name, version, dest) in [
        ("web", "1.0.0", ""),
        ("web", "1.5.0", ""),
        ("web", "2.0.0", ""),
        ("db", "0.3.0", "db"),
        ("db", "0.4.0-rc.1", "db"),
    ] {
        let src = r.join(format!("src/{name}-{version}"));
        write(
            &src.join("Chart.yaml"),
            &format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
        );
        let opts = PackageOptions {
            destination: charts.join(dest),
            mtime: Some(Timestamp::from_unix(1_700_000_000)),
            ..Default::default()
        };
        package(&src, &opts).unwrap();
    }
    let base = serve(r.join("www"));
    let index = IndexFile::from_directory(&charts, "", Timestamp::now()).unwrap();
    index.write_file(&charts.join("index.yaml"), false).unwrap();
    write(
        &r.join("p/Chart.yaml"),
        &format!("apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n- name: web\n  version: ^1\n  repository: {base}\n- name: db\n  version: \">=0.1.0-0\"\n  repository: {base}\n  alias: database\n"),
    );
    support::run_helm(
        &python,
        "h.dependency_update(sys.argv[1])",
        &[r.join("p").to_str().unwrap()],
    );
    let helm_lock =
        Lock::from_yaml(&fs::read(r.join("p/Chart.lock")).unwrap(), "Chart.lock").unwrap();
    let mut helm_files: Vec<String> = fs::read_dir(r.join("p/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    helm_files.sort();

    let chart = helmoci_core::load::load(r.join("p")).unwrap();
    let p = plan(
        &r.join("p"),
        &chart.metadata.dependencies,
        &RepositoryFile::default(),
    )
    .unwrap();
    let r2 = resolve(&p, &[Candidates::Index(&index), Candidates::Index(&index)]).unwrap();
    let ours = r2.lock(Timestamp::now());
    assert_eq!(ours.digest, helm_lock.digest);
    assert_eq!(ours.dependencies, helm_lock.dependencies);
    let mut our_files: Vec<String> = r2
        .resolved
        .iter()
        .map(|x| match &x.fetch {
            Fetch::Http { file_name, .. } => file_name.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    our_files.sort();
    assert_eq!(our_files, helm_files);
    // The digests we would verify are those of the served files.
    for x in &r2.resolved {
        let Fetch::Http {
            url,
            digest: Some(d),
            ..
        } = &x.fetch
        else {
            panic!()
        };
        let rel = url.strip_prefix(&format!("{base}/")).unwrap();
        let bytes = fs::read(charts.join(rel)).unwrap();
        assert_eq!(helmoci_core::digest::Digest::sha256_of(&bytes).hex(), d);
    }
    // `build` from Helm's lock: plan/resolve the locked versions; Helm's build agrees.
    helm_lock
        .check_sync(&r2.requested, &r2.requested, "v2")
        .unwrap();
    let pb = plan(
        &r.join("p"),
        &helm_lock.dependencies,
        &RepositoryFile::default(),
    )
    .unwrap();
    let rb = resolve(&pb, &[Candidates::Index(&index), Candidates::Index(&index)]).unwrap();
    assert_eq!(rb.locked(), helm_lock.dependencies);
    support::run_helm(
        &python,
        "h.dependency_build(sys.argv[1])",
        &[r.join("p").to_str().unwrap()],
    );
}
