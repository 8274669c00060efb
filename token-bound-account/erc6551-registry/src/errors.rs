//! The registry's event and error, exactly as ERC-6551 declares them.
#![allow(missing_docs)]

use alloc::vec::Vec;

use alloy_sol_types::{sol, SolError};

sol! {
    /// The account at `account` was created for the token
    /// (`chainId`, `tokenContract`, `tokenId`) with `implementation` and `salt`.
    event ERC6551AccountCreated(address account, address indexed implementation, bytes32 salt, uint256 chainId, address indexed tokenContract, uint256 indexed tokenId);

    /// CREATE2 failed (for instance, out of gas in the deployment).
    #[derive(Debug, PartialEq, Eq)]
    error AccountCreationFailed();
}

impl From<AccountCreationFailed> for Vec<u8> {
    fn from(value: AccountCreationFailed) -> Self {
        value.abi_encode()
    }
}

/// Lists the error in the exported Solidity interface.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for AccountCreationFailed {
    fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
        alloc::vec![stylus_sdk::abi::export::internal::InnerType {
            name: alloc::format!("error {};", <Self as SolError>::SIGNATURE),
            id: core::any::TypeId::of::<Self>(),
        }]
    }
}
