//! The `helmoci` command line.
fn main() {}
