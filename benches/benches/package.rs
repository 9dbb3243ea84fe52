//! Criterion benchmarks for `helmoci_core::package` on the three benchmark charts.

use criterion::{criterion_group, criterion_main, Criterion};
use helmoci_benches::{make_chart, Size};
use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;

fn bench_package(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("package");
    group.sample_size(10);
    for size in Size::ALL {
        let dir = make_chart(tmp.path(), size).expect("make chart");
        let opts = PackageOptions {
            destination: tmp.path().join("out"),
            mtime: Some(Timestamp::from_unix(1_700_000_000)),
            ..PackageOptions::default()
        };
        group.bench_function(size.name(), |b| {
            b.iter(|| package(&dir, &opts).expect("package"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_package);
criterion_main!(benches);
