//! `archive::expand` (what `pull --untar` uses): a faithful round trip, and nothing left
//! behind on any failure.

mod support;

use std::fs;
use std::io::Write;

use helmoci_core::archive::{expand, Limits};
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::Error;

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn expands_a_packaged_chart_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("src");
    support::write_chart(
        &chart,
        &[
            (
                "Chart.yaml",
                b"apiVersion: v2\nname: demo\nversion: 0.1.0\n",
            ),
            ("values.yaml", b"a: 1\n"),
            ("templates/deep/x.yaml", b"kind: X\n"),
            ("files/é.txt", b"accent\n"),
        ],
    );
    let packaged = package(
        &chart,
        &PackageOptions {
            destination: tmp.path().join("out"),
            ..Default::default()
        },
    )
    .unwrap();
    let dest = tmp.path().join("dest");
    let got = expand(
        fs::File::open(&packaged.path).unwrap(),
        "demo.tgz",
        &dest,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(got, dest.join("demo"));
    assert_eq!(entries(&dest), vec!["demo"]);
    assert_eq!(
        fs::read(got.join("templates/deep/x.yaml")).unwrap(),
        b"kind: X\n"
    );
    assert_eq!(fs::read(got.join("files/é.txt")).unwrap(), b"accent\n");
    // Chart.yaml is Helm's rewritten one.
    assert_eq!(
        fs::read_to_string(got.join("Chart.yaml")).unwrap(),
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
    );

    // A second expand refuses, names the directory and changes nothing.
    let err = expand(
        fs::File::open(&packaged.path).unwrap(),
        "demo.tgz",
        &dest,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DestinationExists { .. }), "{err:?}");
    assert_eq!(entries(&dest), vec!["demo"]);
}

#[test]
fn hostile_or_truncated_archives_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tar = Vec::new();
    {
        let mut b = tar::Builder::new(&mut tar);
        let mut h = tar::Header::new_ustar();
        let data = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "demo/Chart.yaml", &data[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_cksum();
        b.append_link(&mut h, "demo/evil", "/etc/passwd").unwrap();
        b.finish().unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let bytes = gz.finish().unwrap();
    let dest = tmp.path().join("dest");
    let err = expand(&bytes[..], "evil.tgz", &dest, &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::ArchiveEntryType { .. }), "{err:?}");
    assert!(
        entries(&dest).is_empty(),
        "no partial extract: {:?}",
        entries(&dest)
    );
    let cut = &bytes[..bytes.len() / 2];
    assert!(expand(cut, "cut.tgz", &dest, &Limits::default()).is_err());
    assert!(entries(&dest).is_empty());
}
