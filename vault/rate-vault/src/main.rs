//! Prints the rate vault's Solidity interface (`--features export-abi`),
//! completed with the functions of its `OpenZeppelin` traits and its events.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
/// Unused: the WASM build takes the library, not this binary.
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    rate_vault::print_from_args();
    contract_kit::abi_export::print_extra(
        "IVaultExtras",
        &[contract_kit::abi_export::ERC20, contract_kit::abi_export::OWNABLE],
        include_str!("../../src/errors.rs"),
    );
}
