#!/usr/bin/env bash
# Installs the dependencies, builds the debug configuration and runs every test.
# Extra arguments pick another workflow preset: scripts/test.sh asan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --workflow --preset "${1:-dev}"
