#!/usr/bin/env bash
# Runs every Fabula test on a fresh machine: installs what the tests need, builds the wasm
# side once (all components and test fixtures in one cargo invocation), then runs the native
# tests (host, domain, integration tests) with `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true   # also pinned in rust-toolchain.toml

echo "== building the wasm components (one build)"
cargo build --target wasm32-wasip2 --profile component \
  -p health -p stories-api -p tenants-api -p conformance-http -p conformance-redis

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo test (native: host, domain, adapter, loadgen, integration tests)"
cargo test "$@"
