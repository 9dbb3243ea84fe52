//! The `oci-layout://` target: read by skopeo, copied by skopeo to the registry and pulled
//! by Helm, and written by skopeo then pulled by us; and our own copy between targets.

use helmoci_oci::copy::CopyOptions;
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::RegistryClient;

use crate::require;
use crate::support::helm::Helm;
use crate::support::registry::Registry;
use crate::support::skopeo::Skopeo;
use crate::support::{demo_metadata, packaged, write_chart_dir, TestResult};

#[tokio::test]
async fn skopeo_reads_our_layout_and_helm_pulls_its_copy() -> TestResult {
    let skopeo = require!(Skopeo::new());
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let dir = write_chart_dir(tmp.path(), "demo", "0.2.0+meta", 1_000);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    let chart = packaged(&tgz, demo_metadata("demo", "0.2.0+meta"));
    let store = tmp.path().join("store");
    let target: Target = format!("oci-layout://{}", store.display()).parse()?;
    let c = RegistryClient::builder().plain_http(true).build()?;
    let pushed = c.push(&chart, &target, &PushOptions::default()).await?;

    let layout_ref = format!("oci:{}/demo:0.2.0_meta", store.display());
    let raw = skopeo.run(&["inspect", "--raw", &layout_ref])?;
    assert_eq!(
        helmoci_core::digest::Digest::sha256_of(raw.as_bytes()),
        pushed.manifest.digest
    );

    let dest = format!("docker://{}/copied/demo:0.2.0_meta", reg.host);
    skopeo.run(&["copy", "--dest-tls-verify=false", &layout_ref, &dest])?;
    let out = tmp.path().join("helm-out");
    std::fs::create_dir_all(&out)?;
    helm.pull(
        &format!("{}/demo", reg.oci("copied")),
        Some("0.2.0+meta"),
        &out,
    );
    assert_eq!(
        std::fs::read(out.join("demo-0.2.0+meta.tgz"))?,
        std::fs::read(&tgz)?
    );
    Ok(())
}

#[tokio::test]
async fn we_pull_from_a_layout_skopeo_wrote() -> TestResult {
    let skopeo = require!(Skopeo::new());
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let dir = write_chart_dir(tmp.path(), "demo", "3.1.4", 1_000);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    helm.push(&tgz, &reg.oci("src"));
    let store = tmp.path().join("skopeo-store");
    std::fs::create_dir_all(&store)?;
    let src = format!("docker://{}/src/demo:3.1.4", reg.host);
    let dst = format!("oci:{}/demo:3.1.4", store.display());
    skopeo.run(&["copy", "--src-tls-verify=false", &src, &dst])?;

    let c = RegistryClient::builder().build()?;
    let from: ChartRef = format!("oci-layout://{}/demo:3.1.4", store.display()).parse()?;
    let out = tmp.path().join("out");
    let p = c.pull(&from, &PullOptions::into_dir(&out)).await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&tgz)?);
    assert_eq!(c.tags(&from.without_version()).await?.versions, ["3.1.4"]);
    Ok(())
}

#[tokio::test]
async fn copy_between_registry_and_layout_keeps_the_digest() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let chart = crate::support::fake_chart(tmp.path(), "cp", "1.0.0", 20_000);
    let c = RegistryClient::builder().plain_http(true).build()?;
    let pushed = c
        .push(&chart, &reg.oci("a").parse()?, &PushOptions::default())
        .await?;
    let store = tmp.path().join("layout");
    let layout: Target = format!("oci-layout://{}", store.display()).parse()?;

    // registry → layout → registry (another namespace) → registry by digest.
    let from: ChartRef = format!("{}/cp:1.0.0", reg.oci("a")).parse()?;
    let to_layout = c.copy(&from, &layout, &CopyOptions::default()).await?;
    assert_eq!(to_layout.blobs_copied, 2);
    let again = c.copy(&from, &layout, &CopyOptions::default()).await?;
    assert_eq!(again.blobs_copied, 0);
    let back = c
        .copy(
            &to_layout.reference,
            &reg.oci("b").parse()?,
            &CopyOptions::default(),
        )
        .await?;
    let by_digest = from
        .without_version()
        .with_digest(pushed.manifest.digest.clone());
    let third = c
        .copy(
            &by_digest,
            &reg.oci("c/d").parse()?,
            &CopyOptions::default(),
        )
        .await?;
    for r in [&to_layout.reference, &back.reference, &third.reference] {
        let resolved = c.resolve(r, None).await?;
        assert_eq!(resolved.manifest.digest, pushed.manifest.digest, "{r}");
    }
    assert_eq!(third.reference.tag().map(|t| t.as_str()), Some("1.0.0"));
    Ok(())
}

#[tokio::test]
async fn index_is_followed_and_legacy_layers_are_read() -> TestResult {
    use helmoci_oci::layout::Layout;
    use helmoci_oci::manifest::{ChartManifest, Descriptor};
    use helmoci_oci::media_type;

    let tmp = tempfile::tempdir()?;
    let store = tmp.path().join("s");
    let l = Layout::new(store.join("legacy"));
    l.init()?;
    let chart_bytes = b"legacy chart bytes";
    let config = br#"{"name":"legacy","version":"0.1.0"}"#;
    let cd = Descriptor::of_bytes(media_type::CHART_CONFIG, config);
    let ld = Descriptor::of_bytes(media_type::LEGACY_CHART_CONTENT, chart_bytes);
    l.put_blob(&cd, &mut &config[..])?;
    l.put_blob(&ld, &mut &chart_bytes[..])?;
    let m = ChartManifest {
        config: cd,
        chart: ld,
        provenance: None,
        annotations: Default::default(),
    };
    let json = m.to_json();
    let md = m.descriptor();
    l.put_manifest(&md, json.as_bytes(), Some("0.1.0"))?;
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{}}}]}}"#,
        media_type::OCI_INDEX,
        media_type::OCI_MANIFEST,
        md.digest,
        md.size
    );
    let id = Descriptor::of_bytes(media_type::OCI_INDEX, index.as_bytes());
    l.put_manifest(&id, index.as_bytes(), Some("0.2.0"))?;

    let c = RegistryClient::builder().build()?;
    for tag in ["0.1.0", "0.2.0"] {
        let from: ChartRef = format!("oci-layout://{}/legacy:{tag}", store.display()).parse()?;
        let p = c
            .pull(&from, &PullOptions::into_dir(tmp.path().join(tag)))
            .await?;
        assert!(p.resolved.chart.is_legacy());
        assert_eq!(std::fs::read(&p.path)?, chart_bytes);
    }
    Ok(())
}
