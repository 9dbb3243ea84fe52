//! Chart manifests: encoding exactly as Helm does (HELM-FACTS §8.3, §8.4) and tolerant
//! decoding of what registries hold.
//!
//! ```
//! use helmoci_core::{digest::Digest, metadata::ChartMetadata};
//! use helmoci_oci::manifest::{chart_annotations, ChartManifest, Descriptor};
//! use helmoci_oci::media_type;
//! let md = ChartMetadata { name: "demo".into(), version: "0.1.0".into(), ..Default::default() };
//! let config = md.to_config_json();
//! let m = ChartManifest {
//!     config: Descriptor::new(media_type::CHART_CONFIG, Digest::sha256_of(config.as_bytes()), config.len() as u64),
//!     chart: Descriptor::new(media_type::CHART_CONTENT, Digest::sha256_of(b"tgz"), 3),
//!     provenance: None,
//!     annotations: chart_annotations(&md, "2023-11-14T22:13:20Z"),
//! };
//! assert!(m.to_json().starts_with(r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json""#));
//! ```

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use helmoci_core::digest::Digest;
use helmoci_core::json::JsonWriter;
use helmoci_core::metadata::ChartMetadata;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::media_type;

/// The largest manifest accepted (Helm/ORAS: 4 MiB).
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

/// `org.opencontainers.image.created`
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// `org.opencontainers.image.title`
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// `org.opencontainers.image.version`
pub const ANNOTATION_VERSION: &str = "org.opencontainers.image.version";
/// `org.opencontainers.image.description`
pub const ANNOTATION_DESCRIPTION: &str = "org.opencontainers.image.description";
/// `org.opencontainers.image.url`
pub const ANNOTATION_URL: &str = "org.opencontainers.image.url";
/// `org.opencontainers.image.source`
pub const ANNOTATION_SOURCE: &str = "org.opencontainers.image.source";
/// `org.opencontainers.image.authors`
pub const ANNOTATION_AUTHORS: &str = "org.opencontainers.image.authors";
/// `org.opencontainers.image.ref.name` (the tag of a manifest in an image layout index)
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A content descriptor as Helm writes it: media type, digest and size only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The media type.
    pub media_type: String,
    /// The content digest.
    pub digest: Digest,
    /// The size in bytes.
    pub size: u64,
}

impl Descriptor {
    /// A descriptor.
    pub fn new(media_type: &str, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest,
            size,
        }
    }

    /// The descriptor of `bytes`.
    pub fn of_bytes(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor::new(media_type, Digest::sha256_of(bytes), bytes.len() as u64)
    }

    pub(crate) fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        w.key("mediaType");
        w.string(&self.media_type);
        w.key("digest");
        w.string(self.digest.as_str());
        w.key("size");
        w.int(i64::try_from(self.size).unwrap_or(i64::MAX));
        w.end_object();
    }
}

/// A Helm chart manifest: config, chart layer, optional provenance layer, annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartManifest {
    /// The config blob (`application/vnd.cncf.helm.config.v1+json`).
    pub config: Descriptor,
    /// The chart archive layer (current or legacy media type).
    pub chart: Descriptor,
    /// The provenance layer, if any.
    pub provenance: Option<Descriptor>,
    /// Manifest annotations (sorted, as Go writes a map).
    pub annotations: BTreeMap<String, String>,
}

impl ChartManifest {
    /// The manifest JSON exactly as Helm writes it: `schemaVersion`, `config`, `layers` sorted
    /// by digest string, `annotations` (omitted when empty); no `mediaType` field.
    pub fn to_json(&self) -> String {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.key("schemaVersion");
        w.int(2);
        w.key("config");
        self.config.write_json(&mut w);
        w.key("layers");
        w.begin_array();
        let mut layers: Vec<&Descriptor> = std::iter::once(&self.chart)
            .chain(self.provenance.as_ref())
            .collect();
        layers.sort_by(|a, b| a.digest.as_str().cmp(b.digest.as_str()));
        for l in layers {
            l.write_json(&mut w);
        }
        w.end_array();
        if !self.annotations.is_empty() {
            w.key("annotations");
            w.begin_object();
            for (k, v) in &self.annotations {
                w.key(k);
                w.string(v);
            }
            w.end_object();
        }
        w.end_object();
        w.finish()
    }

    /// The manifest's descriptor (media type OCI manifest, digest and size of [`to_json`](Self::to_json)).
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::of_bytes(media_type::OCI_MANIFEST, self.to_json().as_bytes())
    }

    /// The chart version from the `org.opencontainers.image.version` annotation, if any.
    pub fn version(&self) -> Option<&str> {
        self.annotations.get(ANNOTATION_VERSION).map(String::as_str)
    }

    /// True when the chart layer has Helm 3.0–3.6's `application/tar+gzip` type.
    pub fn is_legacy(&self) -> bool {
        self.chart.media_type == media_type::LEGACY_CHART_CONTENT
    }
}

/// The manifest annotations Helm generates for `metadata` (HELM-FACTS §8.4): description,
/// title, version, url, created, source and authors when not blank, then every chart
/// annotation except title and version (chart annotations win).
pub fn chart_annotations(metadata: &ChartMetadata, created: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut add = |k: &str, v: &str| {
        if !v.trim().is_empty() {
            out.insert(k.to_owned(), v.to_owned());
        }
    };
    add(ANNOTATION_DESCRIPTION, &metadata.description);
    add(ANNOTATION_TITLE, &metadata.name);
    add(ANNOTATION_VERSION, &metadata.version);
    add(ANNOTATION_URL, &metadata.home);
    add(ANNOTATION_CREATED, created);
    if let Some(src) = metadata.sources.first() {
        add(ANNOTATION_SOURCE, src);
    }
    if !metadata.maintainers.is_empty() {
        let authors: Vec<String> = metadata
            .maintainers
            .iter()
            .map(|m| {
                let mut s = m.name.clone();
                if !m.email.is_empty() {
                    s.push_str(&format!(" ({})", m.email));
                }
                s
            })
            .collect();
        add(ANNOTATION_AUTHORS, &authors.join(", "));
    }
    for (k, v) in &metadata.annotations {
        if k != ANNOTATION_TITLE && k != ANNOTATION_VERSION {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// RFC 3339 UTC with second precision (`2023-11-14T22:13:20Z`) for seconds since the epoch.
pub fn rfc3339_utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The default `created` value: `SOURCE_DATE_EPOCH` when set to an integer, else now (UTC).
pub fn default_created() -> String {
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return rfc3339_utc(epoch);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    rfc3339_utc(now)
}

/// What a fetched manifest turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedManifest {
    /// A Helm chart.
    Chart(ChartManifest),
    /// An image index (or Docker manifest list): its child manifests, charts first.
    Index(Vec<Descriptor>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: Option<String>,
    size: Option<i64>,
    artifact_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<i64>,
    media_type: Option<String>,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    blobs: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
    annotations: Option<BTreeMap<String, String>>,
    artifact_type: Option<String>,
}

impl RawDescriptor {
    fn parse(&self, reference: &str, what: &str) -> Result<Descriptor> {
        let bad = |reason: String| Error::InvalidManifest {
            reference: reference.to_owned(),
            reason,
        };
        let digest = self
            .digest
            .as_deref()
            .ok_or_else(|| bad(format!("{what} has no digest")))?;
        let digest = digest
            .parse::<Digest>()
            .map_err(|_| bad(format!("{what} has an unsupported digest {digest:?}")))?;
        let size = self
            .size
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| bad(format!("{what} has no valid size")))?;
        Ok(Descriptor {
            media_type: self.media_type.clone().unwrap_or_default(),
            digest,
            size,
        })
    }
}

/// Decodes a manifest fetched for `reference` (used in messages), tolerantly: Helm 3.0–3.6
/// legacy layers are accepted, an index yields its children, and anything that is not a chart
/// gets [`Error::NotAChart`] saying what it is.
///
/// # Errors
/// [`Error::InvalidManifest`], [`Error::NotAChart`], [`Error::TooLarge`].
pub fn decode_manifest(
    reference: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<DecodedManifest> {
    if bytes.len() as u64 > MAX_MANIFEST_SIZE {
        return Err(Error::TooLarge {
            what: "manifest",
            reference: reference.to_owned(),
            limit: MAX_MANIFEST_SIZE,
        });
    }
    let raw: RawManifest = serde_json::from_slice(bytes).map_err(|e| Error::InvalidManifest {
        reference: reference.to_owned(),
        reason: format!("not JSON: {e}"),
    })?;
    let declared = raw
        .media_type
        .as_deref()
        .or(content_type.map(|c| c.split(';').next().unwrap_or(c).trim()));
    if raw.schema_version.is_some_and(|v| v != 2) {
        return Err(Error::NotAChart {
            reference: reference.to_owned(),
            kind: format!(
                "a schema version {} manifest",
                raw.schema_version.unwrap_or(0)
            ),
        });
    }
    if let Some(children) = &raw.manifests {
        let mut out = Vec::new();
        for (i, c) in children.iter().enumerate() {
            let mut d = c.parse(reference, &format!("index entry {i}"))?;
            if c.artifact_type.as_deref() == Some(media_type::CHART_CONFIG) {
                out.insert(0, d);
            } else {
                if d.media_type.is_empty() {
                    d.media_type = media_type::OCI_MANIFEST.to_owned();
                }
                out.push(d);
            }
        }
        return Ok(DecodedManifest::Index(out));
    }
    if matches!(
        declared,
        Some(media_type::OCI_INDEX | media_type::DOCKER_MANIFEST_LIST)
    ) {
        return Ok(DecodedManifest::Index(Vec::new()));
    }
    if raw.blobs.is_some() || declared == Some(media_type::OCI_ARTIFACT_MANIFEST) {
        return Err(Error::NotAChart {
            reference: reference.to_owned(),
            kind: format!(
                "an OCI artifact manifest (artifactType {})",
                raw.artifact_type.as_deref().unwrap_or("unset")
            ),
        });
    }
    let config = raw
        .config
        .as_ref()
        .ok_or_else(|| Error::InvalidManifest {
            reference: reference.to_owned(),
            reason: "manifest has no config".into(),
        })?
        .parse(reference, "config")?;
    let layers = raw.layers.as_deref().unwrap_or_default();
    if config.media_type != media_type::CHART_CONFIG {
        let kind = match config.media_type.as_str() {
            media_type::OCI_IMAGE_CONFIG | media_type::DOCKER_CONTAINER_CONFIG => format!(
                "a container image (config {}, {} layers)",
                config.media_type,
                layers.len()
            ),
            other => format!(
                "an artifact with config media type {other:?}{}",
                raw.artifact_type
                    .as_deref()
                    .map(|a| format!(" and artifactType {a:?}"))
                    .unwrap_or_default()
            ),
        };
        return Err(Error::NotAChart {
            reference: reference.to_owned(),
            kind,
        });
    }
    let mut chart = None;
    let mut provenance = None;
    for (i, l) in layers.iter().enumerate() {
        let d = l.parse(reference, &format!("layer {i}"))?;
        match d.media_type.as_str() {
            media_type::CHART_CONTENT => chart = Some(d),
            media_type::LEGACY_CHART_CONTENT if chart.is_none() => chart = Some(d),
            media_type::CHART_PROVENANCE => provenance = Some(d),
            _ => {}
        }
    }
    let chart = chart.ok_or_else(|| Error::NotAChart {
        reference: reference.to_owned(),
        kind: format!(
            "a manifest with a Helm config but no layer with media type {}",
            media_type::CHART_CONTENT
        ),
    })?;
    Ok(DecodedManifest::Chart(ChartManifest {
        config,
        chart,
        provenance,
        annotations: raw.annotations.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use helmoci_core::metadata::Maintainer;

    fn demo() -> ChartMetadata {
        ChartMetadata {
            name: "demo".into(),
            version: "0.1.0".into(),
            description: "A Helm chart for Kubernetes".into(),
            api_version: "v2".into(),
            app_version: "1.16.0".into(),
            chart_type: "application".into(),
            ..Default::default()
        }
    }

    const DEMO_MANIFEST: &str = r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:ff1a5b6b030beb6d80ed19ee6573edf7de40803ef73c8502cffb6f2a10ba39d7","size":138},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:b6bd578c35008da82214ad2769a9dcbadc53b8cc085f89186f831b7e568996fd","size":392}],"annotations":{"org.opencontainers.image.created":"2023-11-14T22:13:20Z","org.opencontainers.image.description":"A Helm chart for Kubernetes","org.opencontainers.image.title":"demo","org.opencontainers.image.version":"0.1.0"}}"#;

    fn demo_manifest() -> ChartManifest {
        let md = demo();
        let config = md.to_config_json();
        ChartManifest {
            config: Descriptor::of_bytes(media_type::CHART_CONFIG, config.as_bytes()),
            chart: Descriptor::new(
                media_type::CHART_CONTENT,
                "sha256:b6bd578c35008da82214ad2769a9dcbadc53b8cc085f89186f831b7e568996fd"
                    .parse()
                    .unwrap(),
                392,
            ),
            provenance: None,
            annotations: chart_annotations(&md, &rfc3339_utc(1_700_000_000)),
        }
    }

    #[test]
    fn demo_manifest_is_byte_identical_to_helms() {
        let json = demo_manifest().to_json();
        assert_eq!(json, DEMO_MANIFEST);
        assert_eq!(json.len(), 578);
        assert_eq!(
            Digest::sha256_of(json.as_bytes()).as_str(),
            "sha256:27bd6e69bd4ae05adabb1e25cc8a3713de29ecd770a5d9455bf35b1801224282"
        );
    }

    #[test]
    fn decodes_what_it_encodes() {
        let m = demo_manifest();
        let back = decode_manifest("r", None, m.to_json().as_bytes()).unwrap();
        assert_eq!(back, DecodedManifest::Chart(m));
    }

    #[test]
    fn layers_sorted_by_digest() {
        let mut m = demo_manifest();
        m.provenance = Some(Descriptor::new(
            media_type::CHART_PROVENANCE,
            format!("sha256:{}", "0".repeat(64)).parse().unwrap(),
            10,
        ));
        let json = m.to_json();
        assert!(json.find("provenance").unwrap() < json.find("content").unwrap());
    }

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn annotations_follow_helm() {
        let mut md = demo();
        md.home = " ".into();
        md.sources = vec!["https://src".into(), "x".into()];
        md.maintainers = vec![
            Maintainer {
                name: "A".into(),
                email: "a@x".into(),
                url: "u".into(),
            },
            Maintainer {
                name: "".into(),
                email: "b@x".into(),
                url: "".into(),
            },
            Maintainer {
                name: "C".into(),
                ..Default::default()
            },
        ];
        md.annotations
            .insert(ANNOTATION_TITLE.into(), "nope".into());
        md.annotations.insert(ANNOTATION_CREATED.into(), "".into());
        md.annotations.insert("x".into(), "y".into());
        let a = chart_annotations(&md, "T");
        assert_eq!(a[ANNOTATION_AUTHORS], "A (a@x),  (b@x), C");
        assert_eq!(a[ANNOTATION_SOURCE], "https://src");
        assert_eq!(a[ANNOTATION_TITLE], "demo");
        assert_eq!(a[ANNOTATION_CREATED], "");
        assert_eq!(a["x"], "y");
        assert!(!a.contains_key(ANNOTATION_URL));
    }

    #[test]
    fn legacy_layer_is_accepted() {
        let json = DEMO_MANIFEST.replace(media_type::CHART_CONTENT, "application/tar+gzip");
        let DecodedManifest::Chart(m) = decode_manifest("r", None, json.as_bytes()).unwrap() else {
            panic!("not a chart")
        };
        assert!(m.is_legacy());
    }

    #[test]
    fn container_image_is_named() {
        let json = DEMO_MANIFEST.replace(media_type::CHART_CONFIG, media_type::OCI_IMAGE_CONFIG);
        let err = decode_manifest("r/x:1", None, json.as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("r/x:1: not a Helm chart: a container image"),
            "{err}"
        );
    }

    #[test]
    fn index_lists_children_charts_first() {
        let d1 = Digest::sha256_of(b"1");
        let d2 = Digest::sha256_of(b"2");
        let json = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{d1}","size":1}},{{"mediaType":"{}","digest":"{d2}","size":2,"artifactType":"{}"}}]}}"#,
            media_type::OCI_INDEX,
            media_type::OCI_MANIFEST,
            media_type::OCI_MANIFEST,
            media_type::CHART_CONFIG
        );
        let DecodedManifest::Index(children) = decode_manifest("r", None, json.as_bytes()).unwrap()
        else {
            panic!("not an index")
        };
        assert_eq!(children[0].digest, d2);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b"{"[..],
            b"[]",
            b"{\"config\":{}}",
            b"\xff",
            b"{\"schemaVersion\":1}",
        ] {
            assert!(decode_manifest("r", None, bad).is_err());
        }
    }
}
