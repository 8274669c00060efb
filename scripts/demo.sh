#!/usr/bin/env bash
# The main job. Until the local demo lands (devnode, deploy, worker), it
# builds every contract to Stylus WASM, checks it offline against Stylus's
# activation rules and prints the size table. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo xtask wasm "$@"
