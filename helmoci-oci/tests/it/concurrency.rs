//! 64 concurrent pushes and pulls, of different and identical charts, through one shared
//! `RegistryClient`, to one real registry and to one `oci-layout://` directory: no failure,
//! no lost tag, every pulled archive byte-identical, and a layout that skopeo reads whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use helmoci_core::digest::Digest;
use helmoci_core::package::PackagedChart;
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::RegistryClient;

use crate::require;
use crate::support::registry::Registry;
use crate::support::skopeo::Skopeo;
use crate::support::{fake_chart, TestResult};

/// Tasks per phase.
const TASKS: usize = 64;
/// The whole test (both phases) must finish well within this.
const BOUND: Duration = Duration::from_secs(60);
const CREATED: &str = "2024-01-01T00:00:00Z";

/// The charts of one run: `distinct` charts (own names), `versions` of one name (`multi`),
/// and one chart (`same:1.0.0`) pushed by many tasks at once.
struct Charts {
    distinct: Vec<PackagedChart>,
    versions: Vec<PackagedChart>,
    same: PackagedChart,
}

fn charts(dir: &Path) -> Charts {
    std::fs::create_dir_all(dir).unwrap();
    let distinct = (0..16)
        .map(|i| fake_chart(dir, &format!("d{i}"), "1.0.0", 3_000 + i * 17))
        .collect();
    let versions = (0..32)
        .map(|i| fake_chart(dir, "multi", &format!("1.{i}.0+b{i}"), 5_000 + i * 13))
        .collect();
    let same = fake_chart(dir, "same", "1.0.0", 40_000);
    Charts {
        distinct,
        versions,
        same,
    }
}

/// Phase 1: 64 pushes at once (16 distinct charts, the first 16 versions of `multi`,
/// `same` 32 times). Phase 2: 64 tasks at once, half pulling what phase 1 pushed (into one
/// shared directory for `same`, own directories otherwise) and half pushing the other 16
/// versions of `multi` (and `same` again).
async fn hammer(
    client: &RegistryClient,
    target: &Target,
    charts: &Charts,
    out: &Path,
) -> TestResult {
    let opts = PushOptions::default().created(CREATED);
    let mut phase1 = Vec::new();
    for i in 0..TASKS {
        let chart = match i {
            0..=15 => charts.distinct[i].clone(),
            16..=31 => charts.versions[i - 16].clone(),
            _ => charts.same.clone(),
        };
        let (c, t, o) = (client.clone(), target.clone(), opts.clone());
        phase1.push(tokio::spawn(async move { c.push(&chart, &t, &o).await }));
    }
    let mut same_digest: Option<Digest> = None;
    for h in phase1 {
        let pushed = h.await??;
        if pushed.reference.name() == "same" {
            let d = pushed.manifest.digest.clone();
            assert_eq!(
                *same_digest.get_or_insert(d.clone()),
                d,
                "same chart, same manifest"
            );
        }
    }

    let mut phase2 = Vec::new();
    for i in 0..TASKS {
        let (c, t, o) = (client.clone(), target.clone(), opts.clone());
        let job: (Option<PackagedChart>, Option<(ChartRef, PathBuf, PathBuf)>) = match i {
            0..=15 => {
                let ch = &charts.distinct[i];
                let r = t.chart(&ch.metadata.name, None)?;
                (None, Some((r, out.join(format!("d{i}")), ch.path.clone())))
            }
            16..=31 => {
                let ch = &charts.versions[i - 16];
                let r = t.chart("multi", None)?;
                let dir = out.join(format!("m{i}"));
                (None, Some((r, dir, ch.path.clone())))
            }
            32..=47 => (Some(charts.versions[i - 16].clone()), None),
            48..=55 => (Some(charts.same.clone()), None),
            _ => {
                let r = t.chart("same", None)?;
                (None, Some((r, out.join("same"), charts.same.path.clone())))
            }
        };
        phase2.push(tokio::spawn(async move {
            match job {
                (Some(chart), _) => {
                    c.push(&chart, &t, &o).await?;
                }
                (None, Some((r, dir, source))) => {
                    let version = source
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_suffix(".tgz"))
                        .and_then(|n| n.split_once('-'))
                        .map(|(_, v)| v.to_owned())
                        .expect("fake chart file name is NAME-VERSION.tgz");
                    let pulled = c
                        .pull(&r, &PullOptions::into_dir(&dir).version(version))
                        .await?;
                    assert_eq!(
                        std::fs::read(&pulled.path).unwrap(),
                        std::fs::read(&source).unwrap(),
                        "{r}: pulled bytes differ"
                    );
                }
                (None, None) => unreachable!(),
            }
            Ok::<(), helmoci_oci::Error>(())
        }));
    }
    for h in phase2 {
        h.await??;
    }

    // No lost tag: every pushed version is listed exactly once, and each resolves to its
    // own chart layer.
    let multi = target.chart("multi", None)?;
    let tags = client.tags(&multi).await?;
    let listed: BTreeSet<&str> = tags.versions.iter().map(String::as_str).collect();
    assert_eq!(
        listed.len(),
        tags.versions.len(),
        "duplicate tags: {tags:?}"
    );
    for ch in &charts.versions {
        assert!(
            listed.contains(ch.metadata.version.as_str()),
            "{} lost",
            ch.metadata.version
        );
        let resolved = client.resolve(&multi, Some(&ch.metadata.version)).await?;
        assert_eq!(resolved.chart.chart.digest, ch.digest);
    }
    assert_eq!(tags.versions.len(), charts.versions.len());
    for ch in &charts.distinct {
        let r = target.chart(&ch.metadata.name, None)?;
        assert_eq!(client.tags(&r).await?.versions, ["1.0.0"]);
    }
    let same = client
        .resolve(&target.chart("same", None)?, Some("1.0.0"))
        .await?;
    assert_eq!(Some(&same.manifest.digest), same_digest.as_ref());
    // The shared pull directory holds exactly the one archive, no temp leftovers.
    assert_eq!(
        crate::support::list_dir(&out.join("same")),
        ["same-1.0.0.tgz"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_and_pulls_to_one_registry() -> TestResult {
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let charts = charts(&tmp.path().join("src"));
    let client = RegistryClient::builder().plain_http(true).build()?;
    let target: Target = reg.oci("conc").parse()?;
    let start = Instant::now();
    tokio::time::timeout(
        BOUND,
        hammer(&client, &target, &charts, &tmp.path().join("out")),
    )
    .await
    .map_err(|_| format!("timed out after {BOUND:?}; registry log:\n{}", reg.log()))?
    .map_err(|e| format!("{e}; registry log:\n{}", reg.log()))?;
    eprintln!(
        "registry: 128 concurrent operations in {:?}",
        start.elapsed()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_and_pulls_to_one_layout() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let charts = charts(&tmp.path().join("src"));
    let store = tmp.path().join("store");
    let client = RegistryClient::builder().build()?;
    let target: Target = format!("oci-layout://{}", store.display()).parse()?;
    let start = Instant::now();
    tokio::time::timeout(
        BOUND,
        hammer(&client, &target, &charts, &tmp.path().join("out")),
    )
    .await
    .map_err(|_| format!("timed out after {BOUND:?}"))??;
    eprintln!("layout: 128 concurrent operations in {:?}", start.elapsed());

    // index.json of each chart: every tag exactly once, every manifest and blob it
    // references present with the right digest, and nothing left behind by writers.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ch in charts
        .distinct
        .iter()
        .chain(&charts.versions)
        .chain([&charts.same])
    {
        expected
            .entry(ch.metadata.name.clone())
            .or_default()
            .insert(ch.metadata.version.replace('+', "_"));
    }
    let skopeo = Skopeo::new();
    for (name, tags) in &expected {
        let dir = store.join(name);
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json"))?)?;
        let manifests = index["manifests"].as_array().ok_or("no manifests array")?;
        let mut seen = Vec::new();
        for m in manifests {
            let tag = m["annotations"]["org.opencontainers.image.ref.name"]
                .as_str()
                .ok_or_else(|| format!("{name}: untagged entry {m}"))?;
            seen.push(tag.to_owned());
            let digest: Digest = m["digest"].as_str().ok_or("no digest")?.parse()?;
            let manifest = check_blob(&dir, &digest, m["size"].as_u64())?;
            let manifest: serde_json::Value = serde_json::from_slice(&manifest)?;
            check_blob(
                &dir,
                &manifest["config"]["digest"]
                    .as_str()
                    .ok_or("config")?
                    .parse()?,
                manifest["config"]["size"].as_u64(),
            )?;
            for layer in manifest["layers"].as_array().ok_or("layers")? {
                check_blob(
                    &dir,
                    &layer["digest"].as_str().ok_or("layer")?.parse()?,
                    layer["size"].as_u64(),
                )?;
            }
            if let Some(s) = &skopeo {
                let raw = s.run(&["inspect", "--raw", &format!("oci:{}:{tag}", dir.display())])?;
                assert_eq!(Digest::sha256_of(raw.as_bytes()), digest, "{name}:{tag}");
            }
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{name}: a tag listed twice: {seen:?}"
        );
        assert_eq!(&unique, tags, "{name}: tags");
        let mut leftovers: Vec<String> = crate::support::list_dir(&dir);
        leftovers.retain(|f| !["blobs", "index.json", "oci-layout"].contains(&f.as_str()));
        assert!(leftovers.is_empty(), "{name}: left behind {leftovers:?}");
        let blobs = crate::support::list_dir(&dir.join("blobs/sha256"));
        assert!(
            blobs.iter().all(|b| !b.starts_with('.')),
            "{name}: temp blobs left: {blobs:?}"
        );
    }
    if skopeo.is_none() {
        eprintln!("note: skopeo missing; layout checked without it");
    }
    Ok(())
}

/// Reads blob `digest` of the layout at `dir`, checking it exists with that digest and size.
fn check_blob(dir: &Path, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, String> {
    let path = dir.join("blobs/sha256").join(digest.hex());
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if Digest::sha256_of(&bytes) != *digest {
        return Err(format!("{}: wrong digest", path.display()));
    }
    if Some(bytes.len() as u64) != size {
        return Err(format!(
            "{}: size {} != {size:?}",
            path.display(),
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// The registry race the test above runs into (distribution's filesystem storage answering
/// 400 `DIGEST_INVALID` to a correct manifest PUT while another writer rewrites the same
/// link file) is retried; a digest that really does not match is not.
#[tokio::test]
async fn a_spurious_digest_invalid_on_manifest_put_is_retried() -> TestResult {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use crate::support::http::{Handler, Reply, Request, Server};
    use helmoci_oci::reference::Reference;
    use helmoci_oci::RetryPolicy;

    let puts = Arc::new(AtomicUsize::new(0));
    let p = puts.clone();
    let handler: Handler = Arc::new(move |req: Request| {
        let n = if req.method == "PUT" {
            p.fetch_add(1, Ordering::SeqCst)
        } else {
            usize::MAX
        };
        Box::pin(async move {
            if n == 0 || req.path.contains("/manifests/sha256:") {
                Reply::new(400).json(&serde_json::json!({"errors": [{
                    "code": "DIGEST_INVALID",
                    "message": "provided digest did not match uploaded content"
                }]}))
            } else {
                Reply::new(201)
            }
        })
    });
    let s = Server::start(handler).await;
    let c = RegistryClient::builder()
        .plain_http(true)
        .retry(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()?;
    let body = br#"{"schemaVersion":2}"#;
    let tag: Reference = format!("oci://{}/ns/c:1.0.0", s.host).parse()?;
    let d = c
        .push_manifest(&tag, helmoci_oci::media_type::OCI_MANIFEST, body)
        .await?;
    assert_eq!(d, Digest::sha256_of(body));
    assert_eq!(puts.load(Ordering::SeqCst), 2, "one retry");

    // Claiming another digest than the bytes': our fault, reported at once.
    puts.store(1, Ordering::SeqCst);
    let wrong: Reference =
        format!("oci://{}/ns/c@{}", s.host, Digest::sha256_of(b"other")).parse()?;
    let e = c
        .push_manifest(&wrong, helmoci_oci::media_type::OCI_MANIFEST, body)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert_eq!(puts.load(Ordering::SeqCst), 2, "no retry");
    Ok(())
}
