#!/usr/bin/env bash
# Runs the standard benchmark suite (the figures in docs/performance.md): builds the host and
# the benchmark driver in release mode, the app's components and the conformance fixtures, then
# runs `fabula-bench suite`. Extra arguments go to the suite, e.g.
#   scripts/bench.sh --duration 3s --out /tmp/bench.md
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true   # also pinned in rust-toolchain.toml

echo "== building the host and the benchmark driver (release)" >&2
cargo build --release -p fabula-host -p fabula-loadgen

echo "== building the app's components (fabula build)" >&2
target/release/fabula build

echo "== building the conformance fixtures" >&2
cargo build --target wasm32-wasip2 --profile component -p conformance-http -p conformance-redis

exec target/release/fabula-bench suite "$@"
