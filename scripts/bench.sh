#!/usr/bin/env bash
# Runs a benchmark against a release build of the host (the figures in docs/performance.md).
#
#   scripts/bench.sh [suite args]       the standard suite: builds the host and the benchmark
#                                       driver (release), the app's components and the
#                                       conformance fixtures, then runs `fabula-bench suite`,
#                                       e.g. scripts/bench.sh --duration 3s --out /tmp/bench.md
#   scripts/bench.sh pipeline [args]    novel generation end to end: builds the host, the driver
#                                       and the app's components, then runs
#                                       `fabula-bench pipeline`, e.g.
#                                       scripts/bench.sh pipeline --chapters 5,10,20 --runs 2
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true   # also pinned in rust-toolchain.toml

command=suite
if [[ "${1:-}" == pipeline ]]; then
    command=pipeline
    shift
fi

echo "== building the host and the benchmark driver (release)" >&2
cargo build --release -p fabula-host -p fabula-loadgen

echo "== building the app's components (fabula build)" >&2
target/release/fabula build

if [[ "$command" == suite ]]; then
    echo "== building the conformance fixtures" >&2
    cargo build --target wasm32-wasip2 --profile component -p conformance-http -p conformance-redis
fi

exec target/release/fabula-bench "$command" "$@"
