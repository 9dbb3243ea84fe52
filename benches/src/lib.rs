//! Shared helpers for helmoci's benchmarks.
