#!/usr/bin/env bash
# Runs every Fabula test on a fresh machine: installs what the tests need, builds the wasm
# side once (all components and test fixtures in one cargo invocation), then runs the native
# tests (host, domain, integration tests) with `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true   # also pinned in rust-toolchain.toml

echo "== building the wasm components (one build)"
# Keep this list in step with WASM_PACKAGES in tests/src/lib.rs.
cargo build --target wasm32-wasip2 --profile component \
  -p health -p stories-api -p tenants-api -p generations-api \
  -p stage-premise -p stage-outline -p stage-chapter -p stage-quality -p stage-assembly \
  -p sweeper -p books-api \
  -p provider-offline -p provider-openai \
  -p conformance-http -p conformance-redis -p llm-probe

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo test (native: host, domain, adapter, loadgen, integration tests)"
cargo test "$@"
