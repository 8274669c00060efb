//! Prints the contract's Solidity interface (`--features export-abi`),
//! completed with the ERC-721 functions, its events and its votes' events.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
/// Unused: the WASM build takes the library, not this binary.
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    key_nft::print_from_args();
    contract_kit::abi_export::print_extra(
        "IKeyNftExtras",
        &[contract_kit::abi_export::ERC721],
        // Its own events and those of the votes it keeps.
        concat!(include_str!("errors.rs"), include_str!("../../../contract-kit/src/votes/mod.rs")),
    );
}
