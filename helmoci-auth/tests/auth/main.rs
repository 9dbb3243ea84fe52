//! Integration tests for helmoci-auth: one binary, one module per concern.

mod helpers;
mod interop;
mod malformed;
mod matching;
mod messages;
mod props;
mod secrets;
mod store;
mod support;
