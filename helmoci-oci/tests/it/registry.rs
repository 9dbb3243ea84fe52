//! Our push and pull against the real registry over plain HTTP.

use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::{IfTagExists, PushOptions};
use helmoci_oci::reference::{ChartRef, Reference, Target};
use helmoci_oci::{Error, RegistryClient};

use crate::require;
use crate::support::registry::Registry;
use crate::support::{fake_chart, list_dir, TestResult};

fn client() -> RegistryClient {
    RegistryClient::builder().plain_http(true).build().unwrap()
}

#[tokio::test]
async fn push_then_pull_round_trips_and_skips_present_blobs() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "demo", "1.2.3+build.7", 10_000);
    let target: Target = reg.oci("charts").parse()?;
    let c = client();
    let opts = PushOptions::default().created("2023-11-14T22:13:20Z");
    let pushed = c.push(&chart, &target, &opts).await?;
    assert_eq!(
        pushed.reference.short(),
        format!("{}/charts/demo:1.2.3_build.7", reg.host)
    );
    assert_eq!(pushed.blobs_uploaded, 2);
    let again = c.push(&chart, &target, &opts).await?;
    assert_eq!(again.blobs_uploaded, 0);
    assert_eq!(again.manifest, pushed.manifest);

    let out = tmp.path().join("out");
    let from: ChartRef = format!("{}/demo", reg.oci("charts")).parse()?;
    let pulled = c
        .pull(&from, &PullOptions::into_dir(&out).version("1.2.3+build.7"))
        .await?;
    assert_eq!(pulled.path, out.join("demo-1.2.3+build.7.tgz"));
    assert_eq!(std::fs::read(&pulled.path)?, std::fs::read(&chart.path)?);
    assert_eq!(pulled.resolved.manifest.digest, pushed.manifest.digest);
    assert_eq!(list_dir(&out), ["demo-1.2.3+build.7.tgz"]);

    // By digest: Helm's file name.
    let by_digest = from.with_digest(pushed.manifest.digest.clone());
    let pulled = c.pull(&by_digest, &PullOptions::into_dir(&out)).await?;
    assert_eq!(
        pulled.path.file_name().unwrap().to_str().unwrap(),
        format!("demo@sha256-{}.tgz", pushed.manifest.digest.hex())
    );
    Ok(())
}

#[tokio::test]
async fn pull_rules_follow_helm() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = client();
    let target: Target = reg.oci("ns").parse()?;
    for v in ["0.9.0", "1.0.0", "1.1.0-rc.1"] {
        let chart = fake_chart(tmp.path(), "app", v, 100);
        c.push(&chart, &target, &PushOptions::default()).await?;
    }
    let base: ChartRef = format!("{}/app", reg.oci("ns")).parse()?;
    let out = tmp.path().join("out");
    // No version: highest release.
    let p = c.pull(&base, &PullOptions::into_dir(&out)).await?;
    assert_eq!(p.path.file_name().unwrap(), "app-1.0.0.tgz");
    // --devel: pre-releases count.
    let mut devel = PullOptions::into_dir(tmp.path().join("devel"));
    devel.devel = true;
    let p = c.pull(&base, &devel).await?;
    assert_eq!(p.path.file_name().unwrap(), "app-1.1.0-rc.1.tgz");
    // A lenient version is the tag, literally: `1.0` is not `1.0.0`.
    let e = c
        .pull(&base, &PullOptions::into_dir(&out).version("1.0"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    // A constraint lists the tags and picks the highest match; a bad one is a typed error.
    let p = c
        .pull(&base, &PullOptions::into_dir(&out).version("^1.0.0"))
        .await?;
    assert!(p
        .path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("app-1."));
    let e = c
        .pull(&base, &PullOptions::into_dir(&out).version(">= 1 ||"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidVersion { .. }), "{e}");
    // Tag and different version: Helm's mismatch error.
    let tagged: ChartRef = format!("{}/app:1.0.0", reg.oci("ns")).parse()?;
    let e = c
        .pull(&tagged, &PullOptions::into_dir(&out).version("0.9.0"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "chart reference and version mismatch: 0.9.0 is not 1.0.0"
    );
    // A missing tag.
    let e = c
        .pull(&base, &PullOptions::into_dir(&out).version("7.7.7"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!("{}/ns/app:7.7.7: not found", reg.host)
    );
    // Digest + tag that disagree.
    let d09 = c.resolve(&base, Some("0.9.0")).await?.manifest.digest;
    let both = tagged.with_tag("1.0.0".parse()?);
    let both: ChartRef = format!("{both}@{d09}").parse()?;
    let e = c
        .pull(&both, &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ReferenceDigestMismatch { .. }), "{e}");
    // Tags, Helm's order.
    let tags = c.tags(&base).await?;
    assert_eq!(tags.versions, ["1.1.0-rc.1", "1.0.0", "0.9.0"]);
    assert_eq!(list_dir(&out), ["app-1.0.0.tgz"]);
    Ok(())
}

#[tokio::test]
async fn if_tag_exists_modes() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = client();
    let target: Target = reg.oci("t").parse()?;
    let chart = fake_chart(tmp.path(), "m", "1.0.0", 100);
    let first = c
        .push(
            &chart,
            &target,
            &PushOptions::default().created("2024-01-01T00:00:00Z"),
        )
        .await?;
    let same = PushOptions::default().created("2024-01-01T00:00:00Z");
    let skip = c
        .push(
            &chart,
            &target,
            &same.clone().if_tag_exists(IfTagExists::SkipIfIdentical),
        )
        .await?;
    assert!(skip.unchanged);
    let fail_same = c
        .push(
            &chart,
            &target,
            &same.clone().if_tag_exists(IfTagExists::Fail),
        )
        .await?;
    assert!(fail_same.unchanged);
    let other = PushOptions::default()
        .created("2025-01-01T00:00:00Z")
        .if_tag_exists(IfTagExists::Fail);
    let e = c.push(&chart, &target, &other).await.unwrap_err();
    match &e {
        Error::TagExists { existing, .. } => assert_eq!(existing, &first.manifest.digest),
        _ => panic!("{e}"),
    }
    let over = c
        .push(
            &chart,
            &target,
            &PushOptions::default().created("2025-01-01T00:00:00Z"),
        )
        .await?;
    assert_ne!(over.manifest.digest, first.manifest.digest);
    Ok(())
}

#[tokio::test]
async fn chunked_upload_and_delete() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = RegistryClient::builder()
        .plain_http(true)
        .chunk_threshold(64 * 1024)
        .chunk_size(50_000)
        .build()?;
    let chart = fake_chart(tmp.path(), "big", "2.0.0", 300_001);
    let pushed = c
        .push(&chart, &reg.oci("c").parse()?, &PushOptions::default())
        .await?;
    let from: ChartRef = format!("{}/big:2.0.0", reg.oci("c")).parse()?;
    let p = c
        .pull(&from, &PullOptions::into_dir(tmp.path().join("o")))
        .await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&chart.path)?);
    let r: Reference = format!("{}/big", reg.oci("c")).parse()?;
    c.delete_manifest(&r.with_digest(pushed.manifest.digest.clone()))
        .await?;
    let e = c
        .fetch_manifest(&r.with_tag("2.0.0".parse()?))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert_eq!(
        e.registry_code().map(|c| c.as_str()),
        Some("MANIFEST_UNKNOWN")
    );
    Ok(())
}

#[tokio::test]
async fn container_image_is_not_a_chart() -> TestResult {
    let reg = require!(Registry::start());
    let c = client();
    let r: Reference = format!("{}/img", reg.oci("x")).parse()?;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"layer-bytes";
    let tmp = tempfile::tempdir()?;
    let lp = tmp.path().join("l");
    std::fs::write(&lp, layer)?;
    let cd = helmoci_oci::manifest::Descriptor::of_bytes(
        helmoci_oci::media_type::OCI_IMAGE_CONFIG,
        config,
    );
    let ld = helmoci_oci::manifest::Descriptor::of_bytes(
        "application/vnd.oci.image.layer.v1.tar+gzip",
        layer,
    );
    let cp = tmp.path().join("c");
    std::fs::write(&cp, config)?;
    c.push_blob(&r, &cd, &cp).await?;
    c.push_blob(&r, &ld, &lp).await?;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{}","size":{}}}]}}"#,
        cd.media_type, cd.digest, cd.size, ld.media_type, ld.digest, ld.size
    );
    c.push_manifest(
        &r.with_tag("1.0.0".parse()?),
        helmoci_oci::media_type::OCI_MANIFEST,
        manifest.as_bytes(),
    )
    .await?;
    let from: ChartRef = format!("{}/img:1.0.0", reg.oci("x")).parse()?;
    let out = tmp.path().join("out");
    let e = c
        .pull(&from, &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("not a Helm chart: a container image"),
        "{e}"
    );
    assert!(list_dir(&out).is_empty());
    Ok(())
}

#[tokio::test]
async fn many_tags_are_listed() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = client();
    let target: Target = reg.oci("many").parse()?;
    let chart = fake_chart(tmp.path(), "t", "0.0.1", 50);
    let pushed = c.push(&chart, &target, &PushOptions::default()).await?;
    let r: Reference = format!("{}/t", reg.oci("many")).parse()?;
    let manifest = c
        .fetch_manifest(&r.with_digest(pushed.manifest.digest.clone()))
        .await?;
    let futs = (1..=1100).map(|i| {
        let (c, r, m) = (c.clone(), r.clone(), manifest.bytes.clone());
        async move {
            c.push_manifest(
                &r.with_tag(format!("1.0.{i}").parse().unwrap()),
                helmoci_oci::media_type::OCI_MANIFEST,
                &m,
            )
            .await
        }
    });
    use futures_util::StreamExt;
    let results: Vec<_> = futures_util::stream::iter(futs)
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok));
    let tags = c.list_tags(&r).await?;
    assert_eq!(tags.len(), 1101);
    Ok(())
}

#[tokio::test]
async fn provenance_is_pushed_and_pulled_with_prov() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = fake_chart(tmp.path(), "signed", "0.1.0", 1_000);
    let prov = format!("{}.prov", chart.path.display());
    std::fs::write(&prov, "-----BEGIN PGP SIGNED MESSAGE-----\nfake\n")?;
    let c = client();
    let pushed = c
        .push(&chart, &reg.oci("s").parse()?, &PushOptions::default())
        .await?;
    assert_eq!(pushed.provenance.as_ref().map(|d| d.size), Some(40));
    let from: ChartRef = format!("{}/signed:0.1.0", reg.oci("s")).parse()?;
    let out = tmp.path().join("o");
    let mut opts = PullOptions::into_dir(&out);
    opts.provenance = true;
    let p = c.pull(&from, &opts).await?;
    assert_eq!(p.provenance_path, Some(out.join("signed-0.1.0.tgz.prov")));
    assert_eq!(
        std::fs::read(out.join("signed-0.1.0.tgz.prov"))?,
        std::fs::read(&prov)?
    );
    assert_eq!(
        list_dir(&out),
        ["signed-0.1.0.tgz", "signed-0.1.0.tgz.prov"]
    );
    Ok(())
}
