//! Prints the contract's Solidity interface (`--features export-abi`),
//! completed with the functions of its `OpenZeppelin` traits and its events.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
/// Unused: the WASM build takes the library, not this binary.
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    compute_credits::print_from_args();
    contract_kit::abi_export::print_extra(
        "ICreditLedgerExtras",
        &[contract_kit::abi_export::ACCESS_CONTROL],
        include_str!("errors.rs"),
    );
}
