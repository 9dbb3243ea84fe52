//! Helm charts on OCI registries and OCI image layouts.
