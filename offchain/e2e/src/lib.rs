//! The end-to-end harness of Compute-Fi: the project's real Stylus contracts
//! (built by `cargo xtask wasm`), the EVM test doubles (compiled from the
//! repository's `fixtures/TestDoubles.sol`), a minimal in-process chain over
//! the devnode's executor ([`Chain`]) for tests that exercise execution
//! without JSON-RPC, JSON-RPC helpers for tests that drive a node as a dApp
//! would ([`rpc`]), outside programs run with a time limit
//! ([`command`]), and the TypeScript client built and its suites run
//! ([`ts_client`]).
//!
//! The contracts' end-to-end tests live in this crate (`tests/it`); the
//! devnode's own node tests and the deploy tool's tests use the harness too.
// A harness panics on purpose: a failed step is a failed test.
#![allow(clippy::missing_panics_doc)]

mod chain;
pub mod command;
pub mod rpc;
pub mod ts_client;

pub use chain::{Chain, Receipt};

use std::path::PathBuf;

use alloy_primitives::{address, hex, keccak256, Address, B256};

/// The chain id of every test chain.
pub const CHAIN_ID: u64 = 412_346;
/// A funded account.
pub const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
/// Another funded account.
pub const BOB: Address = address!("0000000000000000000000000000000000000b0b");

/// The directory `cargo xtask wasm` writes the contracts to (always the
/// repository's `target/stylus`, wherever cargo's target directory is).
pub fn stylus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus")
}

/// The WASM of one of the project's contracts, e.g. `"vault"`.
///
/// # Panics
/// When the contracts have not been built: the message says how.
pub fn contract_wasm(name: &str) -> Vec<u8> {
    let path = stylus_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; build the contracts first with `cargo xtask wasm`", path.display())
    })
}

/// Init code of an EVM test double, e.g. `"TestToken"`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/{name}.bin"));
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    hex::decode(text.trim()).expect("fixture is hex")
}

/// Init code that deploys a Stylus program.
pub fn stylus_init_code(wasm: &[u8]) -> Vec<u8> {
    stylus_check::init_code(&stylus_check::deployable_code(wasm))
}

/// A short text as a left-aligned `bytes32` (the contracts' names and symbols).
pub fn word(text: &str) -> B256 {
    B256::right_padding_from(text.as_bytes())
}

/// Calldata of a Stylus constructor call with ABI-encoded `args`
/// (`(a, b, ..).abi_encode_params()`).
pub fn constructor_call(args: &[u8]) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(args);
    data
}

/// Shows the devnode's debug logs (program traps) when `RUST_LOG` asks.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
