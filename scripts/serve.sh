#!/usr/bin/env bash
# Installs the dependencies, builds the optimised server and runs it in the
# foreground with its defaults (seed-compatible listener on 127.0.0.1:1234).
# Arguments go to the server: scripts/serve.sh --host 0.0.0.0 --log-level debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target chat-server
exec build/release/server/chat-server "$@"
