//! Integration tests against the real registry, Helm, skopeo and a lying server.

#[path = "../support/chartrepo.rs"]
mod chartrepo;
#[cfg(feature = "provenance")]
#[path = "../../../helmoci-core/tests/provenance_keys/mod.rs"]
mod provenance_keys;
#[path = "../support/mod.rs"]
mod support;

mod auth;
mod bounds;
mod concurrency;
mod deps;
mod deps_faults;
mod deps_http;
#[cfg(feature = "provenance")]
mod deps_verify;
mod faults;
mod helm_interop;
mod layout;
mod progress;
mod push_archive;
mod registry;
mod second_registry;
