//! Config blob and manifest encoding (Go-exact JSON), and Chart.yaml parse + re-marshal.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use helmoci_core::digest::Digest;
use helmoci_core::metadata::{ChartMetadata, Maintainer};
use helmoci_oci::manifest::{chart_annotations, ChartManifest, Descriptor};
use helmoci_oci::media_type;

fn metadata() -> ChartMetadata {
    ChartMetadata {
        name: "bench".into(),
        version: "1.2.3".into(),
        description: "A chart with <html> & annotations".into(),
        api_version: "v2".into(),
        app_version: "4.5.6".into(),
        kube_version: ">=1.22.0-0".into(),
        home: "https://example.com".into(),
        sources: vec!["https://github.com/example/bench".into()],
        keywords: (0..10).map(|i| format!("kw{i}")).collect(),
        maintainers: (0..3)
            .map(|i| Maintainer {
                name: format!("m{i}"),
                email: format!("m{i}@example.com"),
                url: String::new(),
            })
            .collect(),
        annotations: (0..20)
            .map(|i| (format!("example.com/a{i}"), format!("v{i}")))
            .collect(),
        ..Default::default()
    }
}

fn bench_encoding(c: &mut Criterion) {
    let md = metadata();
    c.bench_function("config_json", |b| {
        b.iter(|| black_box(&md).to_config_json())
    });
    let config = md.to_config_json();
    let manifest = ChartManifest {
        config: Descriptor::of_bytes(media_type::CHART_CONFIG, config.as_bytes()),
        chart: Descriptor::new(
            media_type::CHART_CONTENT,
            Digest::sha256_of(b"chart"),
            12_345,
        ),
        provenance: None,
        annotations: chart_annotations(&md, "2023-11-14T22:13:20Z"),
    };
    c.bench_function("manifest_json", |b| {
        b.iter(|| black_box(&manifest).to_json())
    });
    let yaml = md.to_yaml();
    c.bench_function("chart_yaml_parse_and_marshal", |b| {
        b.iter(|| {
            let (m, _) =
                ChartMetadata::from_yaml(black_box(yaml.as_bytes()), "Chart.yaml").unwrap();
            m.to_yaml()
        })
    });
}

criterion_group!(benches, bench_encoding);
criterion_main!(benches);
