//! Prints the contract's Solidity interface (`--features export-abi`),
//! completed with its events.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
/// Unused: the WASM build takes the library, not this binary.
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    token_bound_account::print_from_args();
    // stylus-sdk's export (and so the exported ABI) leaves out the
    // `#[receive]` function that ERC-6551 requires; the account has it.
    contract_kit::abi_export::print_extra(
        "ITokenBoundAccountExtras",
        &[],
        include_str!("errors.rs"),
    );
}
