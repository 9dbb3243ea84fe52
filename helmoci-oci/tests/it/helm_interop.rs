//! Interoperability with real Helm v4 (the helm_python SDK), both ways, byte for byte.

use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Reference, Target};
use helmoci_oci::RegistryClient;

use crate::require;
use crate::support::helm::Helm;
use crate::support::registry::Registry;
use crate::support::{demo_metadata, list_dir, packaged, write_chart_dir, TestResult};

fn client() -> RegistryClient {
    RegistryClient::builder().plain_http(true).build().unwrap()
}

#[tokio::test]
async fn our_push_helm_pull_and_helm_push_our_pull_are_byte_identical() -> TestResult {
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let dir = write_chart_dir(tmp.path(), "demo", "0.1.0", 2_000);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    let chart = packaged(&tgz, demo_metadata("demo", "0.1.0"));
    let c = client();

    // Ours → Helm.
    c.push(&chart, &reg.oci("ours").parse()?, &PushOptions::default())
        .await?;
    let hp = tmp.path().join("helm-pulled");
    std::fs::create_dir_all(&hp)?;
    helm.pull(&format!("{}/demo", reg.oci("ours")), Some("0.1.0"), &hp);
    assert_eq!(
        std::fs::read(hp.join("demo-0.1.0.tgz"))?,
        std::fs::read(&tgz)?
    );

    // Helm → ours.
    helm.push(&tgz, &reg.oci("helm"));
    let out = tmp.path().join("ours-pulled");
    let from: ChartRef = format!("{}/demo", reg.oci("helm")).parse()?;
    let p = c
        .pull(&from, &PullOptions::into_dir(&out).version("0.1.0"))
        .await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&tgz)?);
    assert_eq!(list_dir(&out), ["demo-0.1.0.tgz"]);
    Ok(())
}

#[tokio::test]
async fn manifest_and_config_bytes_equal_helms() -> TestResult {
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let dir = write_chart_dir(tmp.path(), "demo", "1.0.0+build.1", 500);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    let chart = packaged(&tgz, demo_metadata("demo", "1.0.0+build.1"));
    // Helm also attaches a .prov beside the archive.
    let prov = format!("{}.prov", tgz.display());
    std::fs::write(
        &prov,
        "-----BEGIN PGP SIGNED MESSAGE-----\nnot really signed\n",
    )?;
    helm.push(&tgz, &reg.oci("helm"));

    let c = client();
    let helm_ref: Reference = format!("{}/demo:1.0.0_build.1", reg.oci("helm")).parse()?;
    let theirs = c.fetch_manifest(&helm_ref).await?;
    let v: serde_json::Value = serde_json::from_slice(&theirs.bytes)?;
    let created = v["annotations"]["org.opencontainers.image.created"]
        .as_str()
        .unwrap()
        .to_owned();
    let ours = c
        .push(
            &chart,
            &reg.oci("ours").parse::<Target>()?,
            &PushOptions::default().created(created),
        )
        .await?;
    let our_ref: Reference = format!("{}/demo:1.0.0_build.1", reg.oci("ours")).parse()?;
    let ours_bytes = c.fetch_manifest(&our_ref).await?;
    assert_eq!(
        String::from_utf8(ours_bytes.bytes.clone())?,
        String::from_utf8(theirs.bytes.clone())?
    );
    assert_eq!(ours.manifest.digest, theirs.digest);
    assert!(ours.provenance.is_some());
    Ok(())
}

#[tokio::test]
async fn tags_order_matches_helm() -> TestResult {
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = client();
    let target: Target = reg.oci("t").parse()?;
    let versions = [
        "0.1.0",
        "1.0.0",
        "1.0.0-rc.1",
        "1.0.0-alpha",
        "1.2.0",
        "1.2.3+build.1",
        "1.10.0",
        "2.0.0-beta.2",
        "2.0.0-beta.11",
        "0.0.1",
    ];
    for v in versions {
        let chart = crate::support::fake_chart(tmp.path(), "tg", v, 64);
        c.push(&chart, &target, &PushOptions::default()).await?;
    }
    // Tags Helm cannot see.
    let r: Reference = format!("{}/tg", reg.oci("t")).parse()?;
    let m = c.fetch_manifest(&r.with_tag("1.0.0".parse()?)).await?;
    for t in ["latest", "v3.0.0", "1.2"] {
        c.push_manifest(&r.with_tag(t.parse()?), &m.media_type, &m.bytes)
            .await?;
    }
    let ours = c.tags(&format!("{}/tg", reg.oci("t")).parse()?).await?;
    let theirs = helm.tags(&format!("{}/t/tg", reg.host));
    assert_eq!(ours.versions, theirs);
    assert_eq!(ours.skipped.len(), 3, "{:?}", ours.skipped);
    Ok(())
}

/// The version Helm picks for each request (exact versions, `""`, constraints with
/// prereleases and build metadata) against ours: every pick must agree, errors included.
#[tokio::test]
async fn version_pick_matches_helm() -> TestResult {
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let c = client();
    let target: Target = reg.oci("pick").parse()?;
    for v in [
        "0.9.0",
        "1.0.0",
        "1.0.1",
        "1.2.0",
        "1.2.5",
        "1.3.0-rc.1",
        "1.10.0",
        "2.0.0-beta.1",
        "2.0.0",
        "2.1.1+meta",
        "3.0.0-alpha",
    ] {
        let chart = crate::support::fake_chart(tmp.path(), "p", v, 32);
        c.push(&chart, &target, &PushOptions::default()).await?;
    }
    let requests = [
        "",
        "1.0.0",
        "2.1.1+meta",
        "^1.0.0",
        "~1.2.0",
        ">=1.0.0 <2.0.0",
        "1.x",
        "=2.1.1+other",
        "*",
        ">0.0.0-0",
        "1.2 - 1.4",
        ">=1.3.0-0 <1.4",
    ];
    let helm_picks = helm.run(
        "import os, tempfile\nout=[]\nfor v in args['versions']:\n    with tempfile.TemporaryDirectory() as d:\n        try:\n            h.pull(args['ref'], version=(v if v else None), destination=d, plain_http=True)\n            out.append(os.listdir(d)[0])\n        except Exception as e:\n            out.append('error')",
        serde_json::json!({"ref": format!("{}/p", reg.oci("pick")), "versions": requests}),
    );
    let base: ChartRef = format!("{}/p", reg.oci("pick")).parse()?;
    let mut compared = 0;
    for (req, theirs) in requests.iter().zip(helm_picks.as_array().unwrap()) {
        let version = (!req.is_empty()).then_some(*req);
        let ours = match c.resolve(&base, version).await {
            Ok(r) => format!("p-{}.tgz", r.reference.tag().unwrap().to_version()),
            Err(_) => "error".to_owned(),
        };
        assert_eq!(&ours, theirs.as_str().unwrap(), "version request {req:?}");
        compared += 1;
    }
    assert_eq!(compared, requests.len());
    Ok(())
}
