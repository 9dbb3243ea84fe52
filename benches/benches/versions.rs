//! Constraint resolution over 10,000 tags, as `pull --version '^5.0.0'` does it.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use helmoci_core::version::{select_tag, VersionReq};

fn bench_versions(c: &mut Criterion) {
    let tags: Vec<String> = (0..10_000)
        .map(|i| match i % 10 {
            0 => format!("{}.{}.{}-rc.{}", i / 1000, (i / 10) % 100, i % 7, i % 3),
            1 => format!("v{}.{}.{}", i / 1000, (i / 10) % 100, i % 7),
            _ => format!("{}.{}.{}", i / 1000, (i / 10) % 100, i),
        })
        .collect();
    c.bench_function("select_tag_10k_caret", |b| {
        b.iter(|| select_tag(tags.iter().map(String::as_str), black_box("^5.0.0"), false).unwrap())
    });
    c.bench_function("select_tag_10k_range_or", |b| {
        b.iter(|| {
            select_tag(
                tags.iter().map(String::as_str),
                black_box(">=2.1 <3 || ~7.5"),
                false,
            )
            .unwrap()
        })
    });
    c.bench_function("constraint_parse", |b| {
        b.iter(|| {
            black_box(">=1.1 <2 !=1.2.3 || >= 3, ~4.x")
                .parse::<VersionReq>()
                .unwrap()
        })
    });
}

criterion_group!(benches, bench_versions);
criterion_main!(benches);
