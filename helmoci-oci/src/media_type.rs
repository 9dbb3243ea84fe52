//! Media types Helm and OCI use (HELM-FACTS §8.2).

/// The OCI image manifest: Content-Type of every chart manifest Helm pushes.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The (withdrawn) OCI artifact manifest, still listed in Helm's `Accept` header.
pub const OCI_ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";
/// Docker's schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The OCI image config (a container image, not a chart).
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker's container config (a container image, not a chart).
pub const DOCKER_CONTAINER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// A chart's config blob: its `Chart.yaml` metadata as JSON.
pub const CHART_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// A chart's content layer: the `.tgz` archive.
pub const CHART_CONTENT: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// A chart's provenance layer: the `.prov` file.
pub const CHART_PROVENANCE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";
/// The chart layer type Helm 3.0–3.6 pushed; accepted on pull only.
pub const LEGACY_CHART_CONTENT: &str = "application/tar+gzip";

/// The `Accept` header Helm sends for manifests (HELM-FACTS §8.6), in Helm's order.
pub const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.artifact.manifest.v1+json";
