//! `index.yaml` against Helm v4: `helm repo index` (the SDK's `repo_index_generate`) on the
//! same archives gives the same bytes (times aside), Helm merges our index, and the parser
//! follows Helm's loading rules.

mod support;

use std::fs;
use std::path::Path;

use helmoci_core::index::IndexFile;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;
use helmoci_core::Error;

const CHARTS: &[(&str, &str)] = &[
    ("a1", "apiVersion: v2\nname: alpha\nversion: 1.2.0\ndescription: x <y> & z\nappVersion: \"1.0\"\n"),
    ("a2", "apiVersion: v2\nname: alpha\nversion: 1.10.0-rc.1\nkubeVersion: '>=1.22.0-0'\n"),
    ("a3", "apiVersion: v2\nname: alpha\nversion: 1.9.0\ndeprecated: true\nkeywords: [db, 'yes']\n"),
    ("b", "name: beta\nversion: 0.1.0\nhome: https://b.example\nsources: [https://src.example]\nmaintainers:\n- name: Ann\n  email: ann@example.com\nannotations:\n  category: Database\n  num: '1.50'\nicon: https://b.example/i.png\n"),
    ("c", "apiVersion: v2\nname: gamma\nversion: 2.0.0+build.7\ntype: library\ndescription: |\n  A very long description that goes on and on well beyond eighty columns so that the YAML emitter folds it.\ndependencies:\n- name: alpha\n  version: ^1\n  repository: https://charts.example.com\n  condition: alpha.enabled\n  tags: [t]\n  import-values: [data, {child: c, parent: p}]\n  alias: al\n"),
];

/// Packages the fixture charts into `repo/` (two of them into `repo/sub/`) plus a file
/// that is not a chart, and returns the repository directory.
fn build_repo(root: &Path) -> std::path::PathBuf {
    let repo = root.join("repo");
    for (i, (dir, chart_yaml)) in CHARTS.iter().enumerate() {
        let src = root.join("src").join(dir);
        fs::create_dir_all(src.join("templates")).unwrap();
        fs::write(src.join("Chart.yaml"), chart_yaml).unwrap();
        fs::write(src.join("values.yaml"), "x: 1\n").unwrap();
        if chart_yaml.contains("dependencies") {
            fs::create_dir_all(src.join("charts/alpha")).unwrap();
            fs::write(src.join("charts/alpha/Chart.yaml"), CHARTS[0].1).unwrap();
        }
        let destination = if i % 2 == 0 {
            repo.clone()
        } else {
            repo.join("sub")
        };
        let opts = PackageOptions {
            destination,
            mtime: Some(Timestamp::from_unix(1_700_000_000)),
            ..PackageOptions::default()
        };
        package(&src, &opts).unwrap();
    }
    fs::write(repo.join("broken.tgz"), "not a chart").unwrap();
    fs::create_dir_all(repo.join("sub/deeper")).unwrap();
    fs::copy(
        repo.join("alpha-1.2.0.tgz"),
        repo.join("sub/deeper/ignored-1.0.0.tgz"),
    )
    .unwrap();
    repo
}

/// Replaces the value of every `created`/`generated` field (YAML or JSON) with `T`.
fn normalise_times(text: &str) -> String {
    let re = regex::Regex::new(r#"("?(?:created|generated)"?: )"[^"]*""#).unwrap();
    re.replace_all(text, r#"${1}"T""#).into_owned()
}

fn helm_index(python: &Path, dir: &Path, url: &str, merge: Option<&Path>, json: bool) -> String {
    let merge = merge.map(|m| m.display().to_string()).unwrap_or_default();
    support::run_helm(
        python,
        "h.repo_index_generate(sys.argv[1], base_url=sys.argv[2] or None, merge=sys.argv[3] or None, json_index=sys.argv[4] == '1')",
        &[dir.to_str().unwrap(), url, &merge, if json { "1" } else { "0" }],
    );
    // The SDK writes index.yaml, and with `json_index` index.json beside it.
    let name = if json { "index.json" } else { "index.yaml" };
    let out = fs::read_to_string(dir.join(name)).unwrap();
    fs::remove_file(dir.join("index.yaml")).unwrap();
    let _ = fs::remove_file(dir.join("index.json"));
    out
}

#[test]
fn repo_index_matches_helm_with_and_without_url() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let repo = build_repo(root.path());
    for url in [
        "",
        "https://charts.example.com/stable?token=abc",
        "https://charts.example.com/",
    ] {
        let helm = helm_index(&python, &repo, url, None, false);
        let ours = IndexFile::from_directory(&repo, url, Timestamp::now()).unwrap();
        assert_eq!(
            normalise_times(&ours.to_yaml()),
            normalise_times(&helm),
            "url {url:?}"
        );
        // Helm's own index parses to the same model.
        let parsed = IndexFile::parse(helm.as_bytes(), "helm index.yaml").unwrap();
        assert_eq!(normalise_times(&parsed.to_yaml()), normalise_times(&helm));
    }
}

#[test]
fn repo_index_json_matches_helm() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let repo = build_repo(root.path());
    let helm = helm_index(&python, &repo, "https://c.example", None, true);
    let ours = IndexFile::from_directory(&repo, "https://c.example", Timestamp::now()).unwrap();
    assert_eq!(normalise_times(&ours.to_json()), normalise_times(&helm));
    // Helm's JSON index loads (JSON is detected first) to the same model as ours.
    let parsed = IndexFile::parse(helm.as_bytes(), "index.json").unwrap();
    assert_eq!(normalise_times(&parsed.to_json()), normalise_times(&helm));
}

#[test]
fn helm_merges_our_index_and_we_merge_like_helm() {
    let Some(python) = support::helm_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let repo = build_repo(root.path());
    // An older index with a version no longer on disk and one that is (ours wins).
    let old_dir = root.path().join("old");
    fs::create_dir_all(&old_dir).unwrap();
    let mut old =
        IndexFile::from_directory(&repo, "https://old.example", Timestamp::from_unix(1)).unwrap();
    let mut gone = old.entries["alpha"][0].clone();
    gone.metadata.version = "0.0.1".into();
    gone.urls = vec!["https://old.example/alpha-0.0.1.tgz".into()];
    old.entries.get_mut("alpha").unwrap().push(gone);
    old.annotations.insert("owner".into(), "me".into());
    let old_path = old_dir.join("index.yaml");
    old.write_file(&old_path, false).unwrap();

    let helm = helm_index(&python, &repo, "", Some(&old_path), false);
    let mut ours = IndexFile::from_directory(&repo, "", Timestamp::now()).unwrap();
    ours.merge(&IndexFile::load(&old_path).unwrap());
    ours.sort_entries();
    assert_eq!(normalise_times(&ours.to_yaml()), normalise_times(&helm));
    assert!(helm.contains("alpha-0.0.1.tgz"));
}

#[test]
fn parse_rules() {
    let e = |text: &str| IndexFile::parse(text.as_bytes(), "index.yaml").unwrap_err();
    assert!(matches!(e(""), Error::IndexEmpty { .. }));
    assert_eq!(
        e("entries: {}\n").to_string(),
        "index.yaml: no API version specified; a repository index needs `apiVersion: v1`"
    );
    let unknown =
        e("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    bogus: 1\n");
    assert_eq!(
        unknown.to_string(),
        "index.yaml:6: json: unknown field \"bogus\" in ChartVersion"
    );
    // JSON is not strict.
    let json = r#"{"apiVersion":"v1","entries":{"a":[null,{"name":"a","version":"1.0.0","bogus":1,"urls":["a.tgz"]},{"name":"a","version":"nope"},{"version":"2.0.0"}]}}"#;
    let (index, warnings) = IndexFile::parse_with_warnings(json.as_bytes(), "index.json").unwrap();
    assert_eq!(index.entries["a"].len(), 1);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert_eq!(index.entries["a"][0].created, "0001-01-01T00:00:00Z");
    // Legacy fields are accepted; duplicate aliases are tolerated; sorting.
    let yaml = "apiVersion: v1\nentries:\n  a:\n  - {name: a, version: x1, checksum: c, engine: gotpl, tillerVersion: '>2', url: u}\n  - {name: a, version: 1.0.0, dependencies: [{name: b}, {name: b}]}\n  - {name: a, version: 1.10.0}\n  - {name: a, version: 1.9.0-rc.1}\n";
    let index = IndexFile::parse(yaml.as_bytes(), "index.yaml").unwrap();
    let versions: Vec<_> = index.entries["a"]
        .iter()
        .map(|v| v.metadata.version.as_str())
        .collect();
    // `x1` fails Helm's metadata validation, so it is skipped, not sorted last.
    assert_eq!(versions, ["1.10.0", "1.9.0-rc.1", "1.0.0"]);
    assert_eq!(index.get("a", "").unwrap().metadata.version, "1.10.0");
    assert_eq!(
        index.get("a", "<1.10.0-0").unwrap().metadata.version,
        "1.9.0-rc.1"
    );
    assert!(index.get("a", "x1").is_err());
    assert_eq!(
        index.get("a", "1.0.0").unwrap().metadata.dependencies.len(),
        2
    );
    assert_eq!(
        index.get("a", "3").unwrap_err().to_string(),
        "no chart version found for a-3"
    );
    assert!(matches!(
        index.get("zz", "").unwrap_err(),
        Error::IndexNoChart { .. }
    ));
}

/// U+2028/U+2029 in an index.yaml read as Helm's reader reads them (the fast path hands such
/// a document to the general reader, which is checked against Helm in
/// `yaml_separators_helm.rs`): in a quoted value a line break that drops the blanks around
/// it; anywhere else an error naming it.
#[test]
fn separators_are_read_as_helm_reads_them() {
    let entry = |extra: &str| {
        format!("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a-1.0.0.tgz]\n{extra}")
    };
    let index = IndexFile::parse(
        entry("    annotations:\n      k: 'x\u{2028}   y'\n      j: \"p  \u{2029}q\"\n").as_bytes(),
        "index.yaml",
    )
    .unwrap();
    let annotations = &index.entries["a"][0].metadata.annotations;
    assert_eq!(annotations["k"], "x\u{2028}y");
    assert_eq!(annotations["j"], "p\u{2029}q");
    // What we write, we read back the same (the value is double-quoted with `\L`).
    let again = IndexFile::parse(index.to_yaml().as_bytes(), "index.yaml").unwrap();
    assert_eq!(again.to_yaml(), index.to_yaml());
    let err = IndexFile::parse(entry("# note\u{2028}x: 1\n").as_bytes(), "index.yaml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("U+2028 (line separator)"), "{err}");
    assert!(err.starts_with("index.yaml:7:7: "), "{err}");
}
