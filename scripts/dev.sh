#!/usr/bin/env bash
# Runs Fabula locally on its embedded default (SQLite + key-value under .spin/, the embedded
# durable queue, the offline LLM provider, no network): builds the host and the components,
# then serves on :3000. The sweeper runs every 30 s (`--publish-every fabula.sweep=30s`; see
# docs/operations.md). Extra arguments go to `fabula up` (e.g. --listen 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --release -p fabula-host
exec target/release/fabula up --build --publish-every fabula.sweep=30s "$@"
