//! Role identifiers shared by the ledger and the contracts that hold roles on
//! it. Each is `keccak256` of the role's name, as in OpenZeppelin's
//! `AccessControl`.

use alloy_primitives::{keccak256, B256};

/// May deposit harvested yield into the ledger and mint credits from it.
pub const VAULT_ROLE_NAME: &str = "VAULT_ROLE";
/// May escrow, settle and refund credits (the oracle bridge).
pub const SPENDER_ROLE_NAME: &str = "SPENDER_ROLE";

/// `keccak256("VAULT_ROLE")`.
#[must_use]
pub fn vault_role() -> B256 {
    keccak256(VAULT_ROLE_NAME)
}

/// `keccak256("SPENDER_ROLE")`.
#[must_use]
pub fn spender_role() -> B256 {
    keccak256(SPENDER_ROLE_NAME)
}
