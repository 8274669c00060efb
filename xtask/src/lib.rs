//! Library half of `cargo xtask`: checks and conversions that other crates
//! (the devnode, deploy tooling) reuse without the CLI.
//!
//! - [`check`]: offline check of a WASM module against Stylus's activation
//!   rules ([`check::check_program`]), plus the deployable-code encoding.
//! - [`solidity`] (feature `abi`): the Solidity interface printed by
//!   stylus-sdk's `export-abi`, turned into a JSON ABI.

pub mod check;
#[cfg(feature = "abi")]
pub mod solidity;
