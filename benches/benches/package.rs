//! Packaging benchmarks (filled in with the packager).
fn main() {}
