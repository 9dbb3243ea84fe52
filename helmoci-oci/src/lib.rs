//! Helm charts on OCI registries and OCI image layouts, byte-compatible with Helm v4.
//!
//! - [`reference`](mod@reference): [`Reference`](reference::Reference) (`oci://registry/repo[:tag][@digest]`),
//!   [`Tag`](reference::Tag), push [`Target`](reference::Target)s and pull
//!   [`ChartRef`](reference::ChartRef)s, which may name an OCI image layout
//!   (`oci-layout://DIR`) instead of a registry;
//! - [`manifest`] and [`media_type`]: chart manifests exactly as Helm writes them;
//! - [`registry`]: the [`RegistryClient`] (auth, retries, TLS, blobs, manifests, tags);
//! - [`layout`]: the OCI image layout target;
//! - [`push`], [`pull`] and [`copy`]: the operations, methods of [`RegistryClient`] that work
//!   on both kinds of target;
//! - [`credential`]: where credentials come from (the seam for `helmoci-auth`);
//! - [`progress`]: byte counts of blob uploads and downloads, for progress bars.
//!
//! Pushing to and pulling from a layout needs no server:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use helmoci_core::{digest::Digest, metadata::ChartMetadata, package::PackagedChart};
//! use helmoci_oci::{pull::PullOptions, push::PushOptions, reference::{ChartRef, Target}, RegistryClient};
//! let dir = tempfile::tempdir()?;
//! let tgz = dir.path().join("demo-0.1.0.tgz");
//! std::fs::write(&tgz, b"chart bytes")?;
//! let chart = PackagedChart {
//!     path: tgz,
//!     digest: Digest::sha256_of(b"chart bytes"),
//!     size: 11,
//!     metadata: ChartMetadata { name: "demo".into(), version: "0.1.0+b".into(), ..Default::default() },
//! };
//! let client = RegistryClient::builder().build()?;
//! let target: Target = format!("oci-layout://{}", dir.path().join("store").display()).parse()?;
//! let pushed = client.push(&chart, &target, &PushOptions::default()).await?;
//! assert_eq!(pushed.reference.tag().unwrap().as_str(), "0.1.0_b");
//!
//! let from: ChartRef = format!("oci-layout://{}/demo", dir.path().join("store").display()).parse()?;
//! let out = dir.path().join("out");
//! let pulled = client.pull(&from, &PullOptions::into_dir(&out).version("0.1.0+b")).await?;
//! assert_eq!(pulled.path, out.join("demo-0.1.0+b.tgz"));
//! assert_eq!(std::fs::read(&pulled.path)?, b"chart bytes");
//! assert_eq!(pulled.resolved.manifest.digest, pushed.manifest.digest);
//! # Ok(()) }
//! ```
#![doc(html_root_url = "https://docs.rs/helmoci-oci")]

mod blob_file;
pub mod copy;
pub mod credential;
pub mod deps;
pub mod error;
pub mod layout;
pub mod manifest;
pub mod media_type;
pub mod progress;
pub mod pull;
pub mod push;
pub mod reference;
pub mod registry;
mod store;

pub use error::{Error, RegistryErrorCode, RegistryFailure, Result};
pub use registry::{RegistryClient, RegistryClientBuilder, RetryPolicy};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_and_futures_are_send_sync() {
        fn send_sync<T: Send + Sync + Clone + 'static>() {}
        send_sync::<RegistryClient>();
        fn send<T: Send>(_: &T) {}
        let c = RegistryClient::builder().build().unwrap();
        let chart: reference::ChartRef = "oci://r.example/c:1.0.0".parse().unwrap();
        send(&c.pull(&chart, &pull::PullOptions::default()));
        send(&c.copy(
            &chart,
            &"oci-layout://x".parse().unwrap(),
            &copy::CopyOptions::default(),
        ));
        send(&c.tags(&chart));
    }
}
