//! Integration tests against the real registry, Helm, skopeo and a lying server.

#[path = "../support/chartrepo.rs"]
mod chartrepo;
#[path = "../support/mod.rs"]
mod support;

mod auth;
mod bench;
mod bounds;
mod concurrency;
mod deps;
mod deps_faults;
mod deps_http;
mod faults;
mod helm_interop;
mod layout;
mod push_archive;
mod registry;
mod second_registry;
