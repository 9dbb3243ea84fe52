//! Registry credentials as Helm, Docker and Podman store them.
