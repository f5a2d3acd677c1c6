#!/usr/bin/env bash
# Installs what the test suite needs beyond Rust, from Debian's packages, only when missing:
#   redis-server  (the external-queue tests run a real Redis on loopback)
#   epubcheck     (the EPUB export test validates a generated book; Java, pulls in a JRE)
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v epubcheck >/dev/null 2>&1 || need+=(epubcheck)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing test dependencies: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian package starts a service on :6379; the tests start their own servers instead.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop redis-server >/dev/null 2>&1 || true; fi
