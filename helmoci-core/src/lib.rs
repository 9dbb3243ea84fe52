//! Helm charts without the network: the pure half of helmoci.
//!
//! `helmoci-core` reads and writes everything a Helm chart is made of, exactly as Helm v4
//! does, with no network I/O and no async runtime:
//!
//! - [`metadata`]: the `Chart.yaml` model ([`ChartMetadata`], [`Dependency`], [`Maintainer`])
//!   and Helm's validation rules;
//! - [`ignore`]: `.helmignore` rules with Helm's (not git's) semantics;
//! - [`lint`]: `helm lint`'s checks that need no template rendering, with Helm's messages;
//! - [`version`]: lenient and strict chart versions and Masterminds-compatible constraints;
//! - [`lock`]: `Chart.lock` / `requirements.lock` and Helm's dependency digest;
//! - [`index`]: a chart repository's `index.yaml` (read, query, `helm repo index`);
//! - [`repo`]: `repositories.yaml` and how dependencies name repositories;
//! - [`deps`]: which version `helm dependency update`/`build` would lock, and what to fetch;
//! - [`yaml`] and [`json`]: readers and writers that reproduce the bytes Helm's Go libraries
//!   produce (YAML 1.1 coercions, sorted keys, Go's JSON escaping).
#![doc(html_root_url = "https://docs.rs/helmoci-core")]

pub mod archive;
pub mod chart;
pub mod deps;
pub mod digest;
pub mod error;
pub mod ignore;
pub mod index;
pub mod json;
pub mod lint;
pub mod load;
pub mod lock;
pub mod metadata;
pub mod package;
#[cfg(feature = "provenance")]
pub mod provenance;
pub mod repo;
pub mod show;
pub mod time;
pub mod value;
pub mod values;
pub mod version;
mod walk;
pub mod yaml;

pub use chart::{Chart, ChartFile};
pub use error::{Error, Result};
pub use metadata::{ChartMetadata, Dependency, Maintainer};
pub use package::{package, PackageOptions, PackagedChart};
