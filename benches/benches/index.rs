//! Parsing a 20 MB repository index.yaml (310 charts × 100 versions, as a large public
//! repository has).

use std::fmt::Write;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use helmoci_core::index::IndexFile;

fn big_index() -> String {
    let mut s = String::from("apiVersion: v1\nentries:\n");
    for c in 0..310 {
        let _ = writeln!(s, "  chart{c}:");
        for v in 0..100 {
            let _ = write!(
                s,
                "  - apiVersion: v2\n    appVersion: \"{v}.0\"\n    created: \"2024-01-02T03:04:05.123456789Z\"\n    description: Chart number {c}, a fairly typical description of a chart in a public repository index\n    digest: {:064x}\n    home: https://example.com/chart{c}\n    keywords:\n    - k8s\n    - chart{c}\n    maintainers:\n    - email: team@example.com\n      name: team\n    name: chart{c}\n    sources:\n    - https://github.com/example/chart{c}\n    type: application\n    urls:\n    - https://charts.example.com/chart{c}-1.{v}.0.tgz\n    version: 1.{v}.0\n    annotations:\n      category: Infrastructure\n      licenses: Apache-2.0\n",
                c * 1000 + v
            );
        }
    }
    s.push_str("generated: \"2024-01-02T03:04:05Z\"\n");
    s
}

fn bench_index(c: &mut Criterion) {
    let index = big_index();
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function(format!("parse_{}_mb", index.len() / 1_000_000), |b| {
        b.iter(|| IndexFile::parse(black_box(index.as_bytes()), "index.yaml").unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_index);
criterion_main!(benches);
