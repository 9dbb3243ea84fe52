//! A 20 MB `index.yaml` (the size of the largest public repositories): parses, sorted,
//! and a pick works. Timing and peak memory are printed (not asserted); run with
//! `cargo test --release -p helmoci-core --test index_large -- --nocapture`.

use std::fmt::Write;
use std::time::Instant;

use helmoci_core::index::IndexFile;

/// An index of `charts` charts with `versions` versions each, entries as Helm writes them.
fn big_index(charts: usize, versions: usize) -> String {
    let mut s = String::from("apiVersion: v1\nentries:\n");
    for c in 0..charts {
        let _ = writeln!(s, "  chart-{c}:");
        for v in 0..versions {
            let _ = write!(
                s,
                "  - annotations:\n      category: Infrastructure\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: {v}.4.1\n    created: \"2024-01-02T03:04:05.123456789Z\"\n    dependencies:\n    - name: common\n      repository: oci://registry-1.docker.io/bitnamicharts\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    description: Chart number {c} is a web server that does many useful things for the people who install it.\n    digest: 3df7cd029188a819fe747fa799ca33058968a26efabfd9c1863b29fae1c54645\n    home: https://bitnami.com\n    icon: https://bitnami.com/assets/stacks/chart-{c}/img/chart-{c}-stack-220x234.png\n    keywords:\n    - web\n    - http\n    maintainers:\n    - name: Broadcom, Inc. All Rights Reserved.\n      url: https://github.com/bitnami/charts\n    name: chart-{c}\n    sources:\n    - https://github.com/bitnami/charts/tree/main/bitnami/chart-{c}\n    urls:\n    - https://charts.bitnami.com/bitnami/chart-{c}-{}.{}.{v}.tgz\n    version: {}.{}.{v}\n",
                v % 7, v % 3, v % 7, v % 3
            );
        }
    }
    s.push_str("generated: \"2024-01-02T03:04:05.123456789Z\"\n");
    s
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn parses_a_20_mb_index() {
    // Full size in release builds; a tenth in debug builds, which are ~10x slower.
    let charts = if cfg!(debug_assertions) { 20 } else { 200 };
    let text = big_index(charts, 100);
    let mb = text.len() as f64 / 1e6;
    assert!(text.len() > charts * 90_000, "{mb} MB");
    let before = peak_rss_kib();
    let start = Instant::now();
    let index = IndexFile::parse(text.as_bytes(), "index.yaml").unwrap();
    let elapsed = start.elapsed();
    eprintln!(
        "index.yaml {mb:.1} MB: parsed in {elapsed:?}; peak RSS {:?} KiB (before {:?} KiB)",
        peak_rss_kib(),
        before
    );
    assert_eq!(index.entries.len(), charts);
    assert_eq!(index.entries["chart-7"].len(), 100);
    assert_eq!(
        index.get("chart-7", "^6.2").unwrap().metadata.version,
        "6.2.83"
    );
    let json = index.to_json();
    let start = Instant::now();
    let again = IndexFile::parse(json.as_bytes(), "index.json").unwrap();
    eprintln!(
        "index.json {:.1} MB: parsed in {:?}",
        json.len() as f64 / 1e6,
        start.elapsed()
    );
    assert_eq!(again.entries.len(), charts);
}
