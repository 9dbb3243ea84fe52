//! Manifests and config blobs as a registry may serve them. Decoding never panics; a chart
//! manifest re-encodes (Helm's bytes) to one that decodes to the same manifest, and its
//! descriptor is that encoding's digest; a config blob decodes like a Chart.yaml.
#![no_main]

use helmoci_core::digest::Digest;
use helmoci_core::metadata::ChartMetadata;
use helmoci_oci::manifest::{decode_manifest, DecodedManifest};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.oci.image.index.v1+json; charset=utf-8"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json"),
];

fuzz_target!(|data: &[u8]| {
    let (selector, bytes) = data.split_first().unwrap_or((&0, data));
    let content_type = CONTENT_TYPES[usize::from(*selector) % CONTENT_TYPES.len()];
    if let Ok(DecodedManifest::Chart(m)) = decode_manifest("fuzz", content_type, bytes) {
        let json = m.to_json();
        match decode_manifest("fuzz", None, json.as_bytes()) {
            Ok(DecodedManifest::Chart(again)) => assert_eq!(again, m, "{json}"),
            other => panic!("our own manifest decodes as {other:?}:\n{json}"),
        }
        let d = m.descriptor();
        assert_eq!(d.digest, Digest::sha256_of(json.as_bytes()));
        assert_eq!(d.size, json.len() as u64);
    }
    let _ = ChartMetadata::from_yaml(bytes, "config.json");
});
