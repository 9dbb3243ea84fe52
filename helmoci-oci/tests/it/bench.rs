//! A side-by-side timing with Helm on an 80 MiB chart (ignored by default; run with
//! `cargo test --release -p helmoci-oci --test it bench -- --ignored --nocapture`).
//! Not an assertion: numbers for the issue note. Peak RSS is this whole test process.

use std::time::Instant;

use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::RegistryClient;

use crate::require;
use crate::support::helm::Helm;
use crate::support::registry::Registry;
use crate::support::{demo_metadata, packaged, write_chart_dir, TestResult};

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing run for the issue note"]
async fn bench_80mib_chart_side_by_side() -> TestResult {
    let helm = require!(Helm::new());
    let reg = require!(Registry::start());
    let tmp = tempfile::tempdir()?;
    let dir = write_chart_dir(tmp.path(), "big", "1.0.0", 0);
    std::fs::create_dir_all(dir.join("files"))?;
    let mut x: u64 = 0x1234_5678_9abc_def1;
    // Helm caps single files at 5 MiB: twenty 4 MiB files.
    let mut part = Vec::with_capacity(4 << 20);
    for i in 0..20 {
        part.clear();
        while part.len() < 4 << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            part.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(dir.join(format!("files/blob{i:02}.bin")), &part)?;
    }
    drop(part);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    let chart = packaged(&tgz, demo_metadata("big", "1.0.0"));
    let rss_before = peak_rss_mib();
    let c = RegistryClient::builder().plain_http(true).build()?;

    let t = Instant::now();
    c.push(&chart, &reg.oci("ours").parse()?, &PushOptions::default())
        .await?;
    let our_push = t.elapsed();
    let t = Instant::now();
    let from = format!("{}/big:1.0.0", reg.oci("ours")).parse()?;
    c.pull(&from, &PullOptions::into_dir(tmp.path().join("o")))
        .await?;
    let our_pull = t.elapsed();
    let rss_after = peak_rss_mib();

    let v = helm.run(
        "import time\nt=time.monotonic(); h.push(args['tgz'], args['remote'], plain_http=True); a=time.monotonic()-t\nt=time.monotonic(); h.pull(args['ref'], version='1.0.0', destination=args['dest'], plain_http=True); b=time.monotonic()-t\nimport resource\nout=[a,b,resource.getrusage(resource.RUSAGE_SELF).ru_maxrss//1024]",
        serde_json::json!({"tgz": tgz, "remote": reg.oci("helm"), "ref": format!("{}/big", reg.oci("helm")), "dest": tmp.path()}),
    );
    eprintln!(
        "80 MiB chart: helmoci push {our_push:?}, pull {our_pull:?} (test process peak RSS {rss_before} -> {rss_after} MiB); \
         Helm SDK push {:.3}s, pull {:.3}s (peak RSS {} MiB)",
        v[0].as_f64().unwrap(),
        v[1].as_f64().unwrap(),
        v[2]
    );
    Ok(())
}
