//! Prints the contract's Solidity interface (`--features export-abi`),
//! completed with its events.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
/// Unused: the WASM build takes the library, not this binary.
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    inference_sessions::print_from_args();
    contract_kit::abi_export::print_extra(
        "IInferenceSessionsExtras",
        &[],
        include_str!("errors.rs"),
    );
}
