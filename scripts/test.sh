#!/usr/bin/env bash
# Runs every helmoci test on this machine, installing what the tests need first:
#   - Debian: docker-registry (CNCF distribution), skopeo, apache2-utils (htpasswd), openssl,
#     gnupg (test keys for provenance), bsdutils (`script`: a pseudo-terminal for the
#     progress-bar test)
#   - a Python venv (.venv) with helm-python-sdk, the official Helm v4 SDK, for interop tests
# Then: cargo fmt --check, clippy -D warnings, cargo test --workspace.
# With CI=true, tests whose real dependency is missing fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

need_apt=()
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v skopeo >/dev/null || need_apt+=(skopeo)
command -v htpasswd >/dev/null || need_apt+=(apache2-utils)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v gpg >/dev/null || need_apt+=(gnupg)
command -v script >/dev/null || need_apt+=(bsdutils)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (apt)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: ${need_apt[*]} missing and not root; install them with apt-get" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

venv=${HELMOCI_VENV:-$root/.venv}
if ! "$venv/bin/python" -c 'import helm_python' 2>/dev/null; then
  echo "== creating $venv with helm-python-sdk"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'helm-python-sdk==0.2.2'
fi
export HELMOCI_PYTHON="$venv/bin/python"
export HELMOCI_REGISTRY_BIN="$(command -v docker-registry)"
export HELMOCI_SKOPEO_BIN="$(command -v skopeo)"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace
