//! Criterion benchmarks for `helmoci_core::package` on the three benchmark charts: packaging
//! a directory, and loading the archive back (what `push` checks and `show` reads).

use criterion::{criterion_group, criterion_main, Criterion};
use helmoci_benches::{make_chart, Size};
use helmoci_core::load::LoadOptions;
use helmoci_core::package::{package, PackageOptions, PackagedChart};
use helmoci_core::time::Timestamp;

/// Packaging into `root/out` with a fixed mtime (reproducible archives).
fn options(root: &std::path::Path) -> PackageOptions {
    PackageOptions {
        destination: root.join("out"),
        mtime: Some(Timestamp::from_unix(1_700_000_000)),
        ..PackageOptions::default()
    }
}

fn bench_package(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("package");
    group.sample_size(10);
    for size in Size::ALL {
        let dir = make_chart(tmp.path(), size).expect("make chart");
        let opts = options(tmp.path());
        group.bench_function(size.name(), |b| {
            b.iter(|| package(&dir, &opts).expect("package"))
        });
    }
    group.finish();
}

fn bench_load_archive(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("load_archive");
    group.sample_size(10);
    for size in Size::ALL {
        let dir = make_chart(tmp.path(), size).expect("make chart");
        let archive = package(&dir, &options(tmp.path())).expect("package").path;
        let load = LoadOptions::default();
        group.bench_function(size.name(), |b| {
            b.iter(|| PackagedChart::from_archive(&archive, &load).expect("load"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_package, bench_load_archive);
criterion_main!(benches);
