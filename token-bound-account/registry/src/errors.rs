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
