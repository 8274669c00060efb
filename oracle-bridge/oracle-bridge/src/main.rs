//! Prints the contract's Solidity interface (`--features export-abi`),
//! completed with its events.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
/// Unused: the WASM build takes the library, not this binary.
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    oracle_bridge::print_from_args();
    contract_kit::abi_export::print_extra("IOracleBridgeExtras", &[], include_str!("errors.rs"));
}
