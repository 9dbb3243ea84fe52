//! `push_archive`: an existing `.tgz` pushed while it is checked, tagged only if it loads.

use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;
use helmoci_oci::push::{IfTagExists, PushOptions};
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::{Error, RegistryClient};

use crate::require;
use crate::support::registry::Registry;
use crate::support::{write_chart_dir, TestResult};

fn client() -> RegistryClient {
    RegistryClient::builder().plain_http(true).build().unwrap()
}

fn packaged(root: &std::path::Path, version: &str, extra: usize) -> helmoci_core::PackagedChart {
    let src = write_chart_dir(root, "arch", version, extra);
    // A v1-style requirements.yaml, which only the full read merges into the config.
    std::fs::write(
        src.join("requirements.yaml"),
        "dependencies:\n- name: sub\n  version: 1.0.0\n  repository: https://example.invalid/charts\n",
    )
    .unwrap();
    std::fs::create_dir_all(src.join("charts/sub")).unwrap();
    std::fs::write(
        src.join("charts/sub/Chart.yaml"),
        "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
    )
    .unwrap();
    let opts = PackageOptions {
        destination: root.join("out"),
        mtime: Some(Timestamp::from_unix(1_700_000_000)),
        ..PackageOptions::default()
    };
    package(&src, &opts).unwrap()
}

async fn tags(c: &RegistryClient, reg: &Registry, ns: &str) -> Vec<String> {
    let chart: ChartRef = format!("{}/arch", reg.oci(ns)).parse().unwrap();
    match c.tags(&chart).await {
        Ok(t) => t.versions,
        Err(e @ Error::NoTags { .. }) => {
            let _ = e;
            Vec::new()
        }
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => panic!("listing tags: {e}"),
    }
}

#[tokio::test]
async fn push_archive_equals_push_of_the_packaged_chart() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = client();
    let opts = PushOptions::default().created("2024-01-01T00:00:00Z");
    // Both ways through push_archive: a small archive is read once in place, a larger one
    // is peeked, hashed and checked on blocking threads.
    for (version, extra, small) in [("1.0.0", 300_000, false), ("1.0.1", 1_000, true)] {
        let chart = packaged(tmp.path(), version, extra);
        assert_eq!(chart.size <= 64 * 1024, small, "{} bytes", chart.size);
        let a: Target = reg.oci(&format!("a{version}")).parse()?;
        let b: Target = reg.oci(&format!("b{version}")).parse()?;
        let from_struct = c.push(&chart, &a, &opts).await?;
        let from_file = c.push_archive(&chart.path, &b, &opts).await?;
        // Same config (with the requirements merged in), layer and manifest.
        assert_eq!(from_file.manifest, from_struct.manifest, "{version}");
        assert_eq!(from_file.config, from_struct.config, "{version}");
        assert_eq!(from_file.chart.digest, chart.digest, "{version}");
        assert_eq!(from_file.blobs_uploaded, 2, "{version}");
        assert_eq!(tags(&c, &reg, &format!("b{version}")).await, [version]);

        // The same through an OCI image layout.
        let dir = tmp.path().join(format!("layout{version}"));
        let layout: Target = format!("oci-layout://{}", dir.display()).parse()?;
        let in_layout = c.push_archive(&chart.path, &layout, &opts).await?;
        assert_eq!(in_layout.manifest, from_struct.manifest, "{version}");
    }
    Ok(())
}

#[tokio::test]
async fn a_broken_archive_is_never_tagged() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = packaged(tmp.path(), "2.0.0", 2_000_000);
    let bytes = std::fs::read(&chart.path)?;
    let c = client();
    let opts = PushOptions::default();

    // Cut in the middle: Chart.yaml (the first entry) reads fine, the rest does not.
    let cut = tmp.path().join("cut.tgz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2])?;
    // One flipped byte near the end: the deflate stream or its CRC fails.
    let flipped = tmp.path().join("flipped.tgz");
    let mut f = bytes.clone();
    let at = f.len() - 100;
    f[at] ^= 0x55;
    std::fs::write(&flipped, &f)?;

    for (ns, path) in [("cut", &cut), ("flipped", &flipped)] {
        let target: Target = reg.oci(ns).parse()?;
        let err = c.push_archive(path, &target, &opts).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArchive { path: p, .. } if p == path),
            "{ns}: {err}"
        );
        assert!(err.to_string().contains("nothing was tagged"), "{err}");
        assert!(tags(&c, &reg, ns).await.is_empty(), "{ns} was tagged");
    }

    // Not a gzip at all: refused before anything is sent.
    let text = tmp.path().join("Chart.yaml");
    std::fs::write(&text, "name: x\n")?;
    let target: Target = reg.oci("text").parse()?;
    let err = c.push_archive(&text, &target, &opts).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArchive { .. }), "{err}");
    Ok(())
}

#[tokio::test]
async fn push_archive_honours_if_tag_exists() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = packaged(tmp.path(), "3.0.0", 1_000);
    let c = client();
    let target: Target = reg.oci("t").parse()?;
    let first = PushOptions::default().created("2024-01-01T00:00:00Z");
    let pushed = c.push_archive(&chart.path, &target, &first).await?;
    let skip = c
        .push_archive(
            &chart.path,
            &target,
            &first.clone().if_tag_exists(IfTagExists::SkipIfIdentical),
        )
        .await?;
    assert!(skip.unchanged);
    assert_eq!(skip.manifest, pushed.manifest);
    let other = PushOptions::default()
        .created("2025-01-01T00:00:00Z")
        .if_tag_exists(IfTagExists::Fail);
    let err = c
        .push_archive(&chart.path, &target, &other)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::TagExists { existing, .. } if *existing == pushed.manifest.digest),
        "{err}"
    );
    Ok(())
}
