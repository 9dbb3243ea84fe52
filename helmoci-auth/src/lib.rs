//! Registry credentials as Helm, Docker and Podman store them.
//!
//! `helmoci-auth` finds the credential for a registry where `helm registry login`,
//! `docker login` and `podman login` left it, and stores or erases credentials the way
//! `helm registry login`/`logout` do, byte for byte. It reads files and runs
//! `docker-credential-*` helpers; it never talks to a registry (verifying a login is
//! helmoci-oci's job) and has no async runtime.
//!
//! - [`CredentialStore`]: lookup ([`CredentialStore::lookup`], order documented there),
//!   [`login`](CredentialStore::login) and [`logout`](CredentialStore::logout);
//! - [`Credential`] and its redacting [`Secret`]: nothing here prints a password or token;
//! - [`ConfigLocations`]: which files, from the environment or given explicitly;
//! - [`ConfigFile`]: the Docker-format file (Helm, Docker, Podman) with Helm's exact writer;
//! - [`CredentialHelper`]: the `get|store|erase|list` protocol with a timeout and output cap.
//!
//! # Lookup order
//!
//! 1. explicit credentials, for their registry only;
//! 2. Helm's registry config;
//! 3. Docker's `config.json`;
//! 4. Podman's `auth.json` files (repository-scoped keys, longest prefix wins);
//! 5. anonymous.
//!
//! In the Helm and Docker files: `credHelpers[key]`, else `credsStore`, else `auths` (exact
//! key, then `http(s)://` and path stripped); Docker Hub's key is
//! `https://index.docker.io/v1/`. Details in [`CredentialStore::lookup`].
//!
//! # Deviation from Helm
//!
//! Helm reads neither Podman's files nor `$REGISTRY_AUTH_FILE`, and a failing credential
//! helper aborts its whole lookup. Here a helper that is missing, fails, hangs (killed after
//! a timeout) or prints garbage becomes a [`Warning`] and the lookup goes on. Writing is
//! byte-identical to Helm's.
//!
//! ```
//! use helmoci_auth::{ConfigLocations, Credential, CredentialStore, Registry};
//! let dir = tempfile::tempdir()?;
//! let docker = dir.path().join("config.json");
//! std::fs::write(&docker, r#"{"auths":{"https://ghcr.io/":{"auth":"dTpw"}}}"#)?;
//! let store = CredentialStore::new(ConfigLocations { docker: Some(docker), ..Default::default() });
//! let found = store.lookup(&"ghcr.io".parse::<Registry>()?, None)?;
//! assert_eq!(found.credential, Credential::basic("u", "p"));
//! assert!(found.warnings.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![doc(html_root_url = "https://docs.rs/helmoci-auth")]

pub mod config;
pub mod credential;
pub mod error;
pub mod helper;
mod indent;
pub mod locations;
pub mod lookup;
pub mod registry;
pub mod store;

pub use config::ConfigFile;
pub use credential::{Credential, Secret};
pub use error::{Error, Result};
pub use helper::{CredentialHelper, HelperAction, HelperError, HelperOptions};
pub use locations::{ConfigKind, ConfigLocations};
pub use lookup::{Lookup, Source, Warning};
pub use registry::Registry;
pub use store::{CredentialStore, DefaultHelper, Location, Logout, StoreTarget};
