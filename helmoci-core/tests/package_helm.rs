//! Packaging against real Helm: for a corpus of charts, the gunzipped tar stream of our
//! archive must be byte-identical to Helm's (same files, same mtimes), Helm must load our
//! archives with the same metadata, and we must load Helm's.

mod support;

use std::fs;
use std::path::Path;

use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;
use support::*;

const CHART: &[u8] = b"apiVersion: v2\nname: NAME\nversion: 0.1.0\n";

fn chart_yaml(name: &str) -> Vec<u8> {
    String::from_utf8_lossy(CHART)
        .replace("NAME", name)
        .into_bytes()
}

type Files = Vec<(String, Vec<u8>)>;

fn f(name: &str, data: &[u8]) -> (String, Vec<u8>) {
    (name.to_owned(), data.to_vec())
}

/// The corpus: (chart directory name, files).
fn corpus() -> Vec<(&'static str, Files)> {
    let long_dir = "d".repeat(90);
    let long_file = "f".repeat(90);
    let very_long = format!("files/{}/{}.txt", "x".repeat(120), "y".repeat(120));
    let deep = (0..20)
        .map(|i| format!("l{i}"))
        .collect::<Vec<_>>()
        .join("/");
    vec![
        ("minimal", vec![f("Chart.yaml", &chart_yaml("minimal"))]),
        (
            "demo",
            vec![
                f("Chart.yaml", b"apiVersion: v2\nname: demo\ndescription: A Helm chart for Kubernetes\ntype: application\nversion: 0.1.0\nappVersion: \"1.16.0\"\n"),
                f("values.yaml", b"replicaCount: 1\n"),
                f("templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
                f(".helmignore", b".git/\n"),
            ],
        ),
        (
            "names",
            vec![
                f("Chart.yaml", &chart_yaml("names")),
                f(&format!("templates/{long_dir}/{long_file}.yaml"), b"a: 1\n"),
                f(&very_long, b"very long\n"),
                f(&format!("files/{}.txt", "z".repeat(110)), b"last component over 100\n"),
                f("templates/café.yaml", b"b: 2\n"),
                f("files/日本語.txt", b"non-ascii\n"),
                f("files/with space & [brackets].txt", b"odd\n"),
            ],
        ),
        (
            "ignoring2",
            vec![
                f("Chart.yaml", &chart_yaml("ignoring2")),
                f(".helmignore", b"*.bak\ntmp/\n/secret.txt\nlogs/*.log\ndocs/*.md\n"),
                f("templates/a.yaml", b"a: 1\n"),
                f("templates/a.yaml.bak", b"old\n"),
                f("templates/.hidden", b"dot file in templates\n"),
                f("templates/sub/.hidden", b"kept: not directly under templates\n"),
                f("tmp/x.txt", b"ignored dir\n"),
                f("sub/tmp", b"a file named tmp is kept\n"),
                f("secret.txt", b"root only\n"),
                f("sub/secret.txt", b"kept\n"),
                f("logs/a.log", b"ignored\n"),
                f("logs/deeper/b.log", b"kept\n"),
                f("docs/README.md", b"ignored\n"),
                f(".git/config", b"packaged unless listed\n"),
            ],
        ),
        (
            "crds",
            vec![
                f("Chart.yaml", &chart_yaml("crds")),
                f("crds/a.yaml", b"kind: CustomResourceDefinition\n"),
                f("crds/B.JSON", b"{}\n"),
                f("values.schema.json", b"{\"type\": \"object\"}\n"),
                f("values.yaml", b"x: 1\n"),
                f("README.md", b"# crds\n"),
            ],
        ),
        (
            "parent",
            vec![
                f("Chart.yaml", b"apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: child\n  version: 0.1.0\n  repository: \"\"\n"),
                f("charts/child/Chart.yaml", &chart_yaml("child")),
                f("charts/child/values.yaml", b"c: 1\n"),
                f("charts/child/templates/x.yaml", b"x: {{ .Values.c }}\n"),
                f("charts/child-0.1.0.tgz.prov", b"not really a signature\n"),
                f("charts/_helpers/ignored.txt", b"dropped: starts with _\n"),
            ],
        ),
        (
            "locked",
            vec![
                f("Chart.yaml", b"apiVersion: v2\nname: locked\nversion: 1.0.0\ndependencies:\n- name: child\n  version: ^0.1.0\n  repository: file://../child\n"),
                f("Chart.lock", b"dependencies:\n- name: child\n  repository: file://../child\n  version: 0.1.0\ndigest: sha256:0000000000000000000000000000000000000000000000000000000000000000\ngenerated: \"2023-11-14T22:13:20Z\"\n"),
                f("charts/child/Chart.yaml", &chart_yaml("child")),
            ],
        ),
        (
            "legacy",
            vec![
                f("Chart.yaml", b"apiVersion: v1\nname: legacy\nversion: 0.2.0\ndescription: old style\n"),
                f("requirements.yaml", b"dependencies:\n- name: child\n  version: 0.1.0\n  repository: \"\"\n"),
                f("requirements.lock", b"dependencies:\n- name: child\n  version: 0.1.0\n  repository: \"\"\ndigest: sha256:abc\ngenerated: \"2023-11-14T22:13:20Z\"\n"),
                f("charts/child/Chart.yaml", &chart_yaml("child")),
            ],
        ),
        (
            "numeric",
            vec![f("Chart.yaml", b"apiVersion: v2\nname: numeric\nversion: 1.10\nappVersion: 1.0\nkubeVersion: '>=1.22.0-0'\n")],
        ),
        (
            "empties",
            vec![
                f("Chart.yaml", &chart_yaml("empties")),
                f("values.yaml", b""),
                f("templates/empty.yaml", b""),
                f("files/empty", b""),
            ],
        ),
        (
            "deep",
            vec![
                f("Chart.yaml", &chart_yaml("deep")),
                f(&format!("files/{deep}/leaf.txt"), b"deep\n"),
            ],
        ),
        (
            "rich",
            vec![
                f("Chart.yaml", "apiVersion: v2\nname: rich\nversion: 2.0.0-rc.1+build.5\ndescription: |\n  A chart with\n  a multi-line description that is long enough to need folding when it is written back out by Go\nhome: https://example.com/rich\nicon: https://example.com/icon.png\nsources:\n- https://github.com/example/rich\nkeywords: [a, b, \"yes\", \"1.0\"]\nmaintainers:\n- name: Ann\n  email: ann@example.com\n- name: Bob\n  url: https://bob.example\nannotations:\n  example.com/a10: \"x\"\n  example.com/a9: \"y\"\n  category: Database\n  artifacthub.io/changes: |\n    - kind: added\n      description: x\ndeprecated: false\ntype: application\n".as_bytes()),
                f("templates/NOTES.txt", b"notes\n"),
                f("LICENSE", b"MIT\n"),
            ],
        ),
        (
            "bom",
            vec![
                f("Chart.yaml", b"\xef\xbb\xbfapiVersion: v2\nname: bom\nversion: 0.1.0\n"),
                f("values.yaml", b"\xef\xbb\xbfa: 1\n"),
                f("templates/t.yaml", b"\xef\xbb\xbfkind: x\n"),
            ],
        ),
    ]
}

fn build(root: &Path, name: &str, files: &Files) -> std::path::PathBuf {
    let dir = root.join(name);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    write_chart(&dir, &refs);
    dir
}

/// Packages `dir` with real Helm into `out` and returns the archive's path (as a string
/// with a trailing newline, as the SDK prints it).
fn helm_package(py: &Path, dir: &Path, out: &Path) -> String {
    run_helm(
        py,
        "print(h.package(sys.argv[1], destination=sys.argv[2]))",
        &[dir.to_str().unwrap(), out.to_str().unwrap()],
    )
}

fn ours(dir: &Path, out: &Path) -> helmoci_core::PackagedChart {
    let opts = PackageOptions {
        destination: out.to_path_buf(),
        mtime: Some(Timestamp::from_unix(EPOCH as i64)),
        ..PackageOptions::default()
    };
    package(dir, &opts).unwrap_or_else(|e| panic!("package {}: {e:?}", dir.display()))
}

#[test]
fn tar_stream_is_byte_identical_to_helms() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for (name, files) in corpus() {
        let dir = build(tmp.path(), name, &files);
        let packaged = ours(&dir, &tmp.path().join("ours"));
        let helm_tgz = helm_package(&py, &dir, &tmp.path().join("helm"));
        let helm_tgz = Path::new(helm_tgz.trim());
        assert_eq!(
            packaged.path.file_name(),
            helm_tgz.file_name(),
            "{name}: archive file name"
        );
        let (a, b) = (gunzip(&packaged.path), gunzip(helm_tgz));
        if a != b {
            let list = |t: &[u8]| {
                tar::Archive::new(t)
                    .entries()
                    .unwrap()
                    .map(|e| e.unwrap().path().unwrap().display().to_string())
                    .collect::<Vec<_>>()
            };
            panic!(
                "{name}: tar streams differ\nours: {:?}\nhelm: {:?}",
                list(&a),
                list(&b)
            );
        }
        compared += 1;
    }
    assert_eq!(compared, corpus().len());
}

#[test]
fn negation_that_ignores_chart_yaml_fails_like_helm() {
    // `!keep.txt` ignores everything else, Chart.yaml included (Helm's semantics).
    let tmp = tempfile::tempdir().unwrap();
    let files = vec![
        f("Chart.yaml", &chart_yaml("negated")),
        f(".helmignore", b"!keep.txt\n"),
        f("keep.txt", b"kept\n"),
    ];
    let dir = build(tmp.path(), "negated", &files);
    let err = package(
        &dir,
        &PackageOptions {
            destination: tmp.path().join("out"),
            ..Default::default()
        },
    )
    .unwrap_err();
    let msg = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(msg.contains("Chart.yaml file is missing"), "{msg}");
    assert!(
        !tmp.path().join("out").exists()
            || fs::read_dir(tmp.path().join("out"))
                .unwrap()
                .next()
                .is_none()
    );
    if let Some(py) = helm_python() {
        let helm = try_run_helm(
            &py,
            "h.package(sys.argv[1], destination=sys.argv[2])",
            &[
                dir.to_str().unwrap(),
                tmp.path().join("helm").to_str().unwrap(),
            ],
        );
        assert!(helm.unwrap_err().contains("Chart.yaml file is missing"));
    }
}

#[test]
fn helm_create_output_packages_identically() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    run_helm(
        &py,
        "h.Chart.create('created', sys.argv[1])",
        &[tmp.path().to_str().unwrap()],
    );
    let dir = tmp.path().join("created");
    stamp(&dir);
    let packaged = ours(&dir, &tmp.path().join("ours"));
    let helm_tgz = helm_package(&py, &dir, &tmp.path().join("helm"));
    assert_eq!(gunzip(&packaged.path), gunzip(Path::new(helm_tgz.trim())));
}

#[test]
fn helm_loads_our_archives_and_we_load_helms() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let script = "c = h.Chart.load(sys.argv[1])\nprint(json.dumps({'metadata': c.metadata, 'files': sorted(f['name'] for f in c.files), 'templates': sorted(f['name'] for f in c.templates)}, sort_keys=True))";
    for (name, files) in corpus() {
        let dir = build(tmp.path(), name, &files);
        let packaged = ours(&dir, &tmp.path().join("ours"));
        let helm_tgz = helm_package(&py, &dir, &tmp.path().join("helm"));
        let helm_tgz = helm_tgz.trim();
        let from_ours = run_helm(&py, script, &[packaged.path.to_str().unwrap()]);
        let from_helm = run_helm(&py, script, &[helm_tgz]);
        assert_eq!(from_ours, from_helm, "{name}: Helm's view of our archive");
        // And we load Helm's archive to the same metadata we archived.
        let loaded = helmoci_core::load::load(helm_tgz).unwrap();
        assert_eq!(
            loaded.metadata, packaged.metadata,
            "{name}: our view of Helm's archive"
        );
    }
}

#[test]
fn reproducible_whatever_the_mtimes_and_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, files) = corpus().into_iter().find(|(n, _)| *n == "rich").unwrap();
    let dir = build(tmp.path(), "rich", &files);
    let a = ours(&dir, &tmp.path().join("a"));
    // Touch every file with another mtime: the stamped archive must not change.
    for (name, _) in &files {
        let file = fs::OpenOptions::new()
            .write(true)
            .open(dir.join(name))
            .unwrap();
        file.set_modified(std::time::SystemTime::now()).unwrap();
    }
    let b = ours(&dir, &tmp.path().join("b"));
    assert_eq!(a.digest, b.digest);
    for threads in [1, 2, 3, 8] {
        let opts = PackageOptions {
            destination: tmp.path().join(format!("t{threads}")),
            mtime: Some(Timestamp::from_unix(EPOCH as i64)),
            threads,
            ..PackageOptions::default()
        };
        assert_eq!(
            package(&dir, &opts).unwrap().digest,
            a.digest,
            "{threads} threads"
        );
    }
    assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
}

/// A subchart given as a `.tgz` in `charts/` is expanded and re-serialized, as Helm does.
#[test]
fn subchart_archive_is_reserialized_like_helm() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sub = build(
        tmp.path(),
        "sub",
        &vec![
            f("Chart.yaml", &chart_yaml("sub")),
            f("values.yaml", b"s: 1\n"),
            f("templates/s.yaml", b"kind: S\n"),
        ],
    );
    let sub_tgz = ours(&sub, &tmp.path().join("subout"));
    let parent = build(
        tmp.path(),
        "withtgz",
        &vec![
            f("Chart.yaml", b"apiVersion: v2\nname: withtgz\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  repository: oci://example.invalid/charts\n"),
            f("templates/p.yaml", b"kind: P\n"),
        ],
    );
    fs::create_dir_all(parent.join("charts")).unwrap();
    fs::copy(&sub_tgz.path, parent.join("charts/sub-0.1.0.tgz")).unwrap();
    stamp(&parent);
    let packaged = ours(&parent, &tmp.path().join("ours"));
    let helm_tgz = helm_package(&py, &parent, &tmp.path().join("helm"));
    assert_eq!(gunzip(&packaged.path), gunzip(Path::new(helm_tgz.trim())));
}

/// With several subcharts Helm's order is random (a Go map); ours is by name. The entries
/// and their bytes are the same set.
#[test]
fn several_subcharts_hold_the_same_entries_as_helms() {
    let Some(py) = helm_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut files = vec![f("Chart.yaml", &chart_yaml("umbrella"))];
    for name in ["zeta", "alpha", "mid"] {
        files.push(f(&format!("charts/{name}/Chart.yaml"), &chart_yaml(name)));
        files.push(f(
            &format!("charts/{name}/templates/{name}.yaml"),
            name.as_bytes(),
        ));
    }
    let dir = build(tmp.path(), "umbrella", &files);
    let packaged = ours(&dir, &tmp.path().join("ours"));
    let helm_tgz = helm_package(&py, &dir, &tmp.path().join("helm"));
    let entries = |tar: Vec<u8>| {
        let out: Vec<(String, Vec<u8>)> = tar::Archive::new(&tar[..])
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                (e.path().unwrap().display().to_string(), data)
            })
            .collect();
        out
    };
    let ours_entries = entries(gunzip(&packaged.path));
    let names: Vec<&str> = ours_entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "umbrella/Chart.yaml",
            "umbrella/charts/alpha/Chart.yaml",
            "umbrella/charts/alpha/templates/alpha.yaml",
            "umbrella/charts/mid/Chart.yaml",
            "umbrella/charts/mid/templates/mid.yaml",
            "umbrella/charts/zeta/Chart.yaml",
            "umbrella/charts/zeta/templates/zeta.yaml",
        ],
        "subcharts in name order"
    );
    let mut a = ours_entries;
    let mut b = entries(gunzip(Path::new(helm_tgz.trim())));
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// Reading an existing archive back gives the same digest, size and metadata that
/// packaging reported, for every chart of the corpus.
#[test]
fn from_archive_agrees_with_packaging() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, files) in corpus() {
        let dir = build(tmp.path(), name, &files);
        let packaged = ours(&dir, &tmp.path().join("ours"));
        let read = helmoci_core::PackagedChart::from_archive(
            &packaged.path,
            &helmoci_core::load::LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(read, packaged, "{name}");
    }
}
