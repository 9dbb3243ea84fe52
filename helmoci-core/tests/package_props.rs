//! Property: packaging a chart directory and loading the archive keeps every file, byte
//! for byte, under the same name (and the archive loads to what the directory loads to).

use std::collections::BTreeMap;
use std::path::Path;

use helmoci_core::load::load;
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;
use helmoci_core::Chart;
use proptest::prelude::*;

/// Every file of a loaded chart (templates, values, schema, other files) by name.
fn files_of(chart: &Chart) -> BTreeMap<String, Vec<u8>> {
    chart
        .templates
        .iter()
        .chain(&chart.files)
        .chain(chart.values.as_ref())
        .chain(chart.schema.as_ref())
        .map(|f| (f.name.clone(), f.data().unwrap().into_owned()))
        .collect()
}

/// A relative path of 1–3 components that none of Helm's special rules touch: no
/// `charts/` (subcharts), no leading `.` or `_`, no `Chart.*`/`requirements.*` names.
fn path() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["templates", "files", "crds", "docs", ""]),
        prop::collection::vec("[a-z0-9][a-z0-9_-]{0,7}", 1..3),
        prop::sample::select(vec![".yaml", ".tpl", ".txt", ".json", ""]),
    )
        .prop_map(|(top, comps, ext)| {
            let mut p = comps.join("/");
            p.push_str(ext);
            if top.is_empty() {
                format!("x{p}")
            } else {
                format!("{top}/{p}")
            }
        })
}

/// File contents: any bytes except a leading UTF-8 BOM (the loader strips it, as Helm's).
fn content() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..600)
        .prop_filter("no BOM", |b| !b.starts_with(b"\xef\xbb\xbf"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn package_then_load_keeps_every_file(
        files in prop::collection::btree_map(path(), content(), 0..12),
        values in proptest::option::of("[a-z]{1,8}: [0-9]{1,4}\n"),
    ) {
        // A file and a directory of the same name cannot both exist.
        let names: Vec<&String> = files.keys().collect();
        prop_assume!(!names.iter().any(|a| names.iter().any(|b| b.starts_with(&format!("{a}/")))));
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n").unwrap();
        let mut want: BTreeMap<String, Vec<u8>> = files.clone();
        if let Some(v) = &values {
            std::fs::write(dir.join("values.yaml"), v).unwrap();
            want.insert("values.yaml".into(), v.clone().into_bytes());
        }
        for (name, data) in &files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, data).unwrap();
        }
        let opts = PackageOptions {
            destination: tmp.path().join("out"),
            mtime: Some(Timestamp::from_unix(1_700_000_000)),
            ..PackageOptions::default()
        };
        let packaged = package(&dir, &opts).unwrap();
        prop_assert_eq!(packaged.path.file_name().unwrap(), "demo-0.1.0.tgz");
        let from_archive = load(&packaged.path).unwrap();
        let from_dir = load(Path::new(&dir)).unwrap();
        prop_assert_eq!(&from_archive.metadata, &from_dir.metadata);
        prop_assert_eq!(files_of(&from_archive), want.clone());
        prop_assert_eq!(files_of(&from_dir), want);
    }
}
