//! Role identifiers shared by the ledger and the contracts that hold roles on
//! it. Each is `keccak256` of the role's name, as in `OpenZeppelin`'s
//! `AccessControl`, computed at compile time.

use keccak_const::Keccak256;

/// May deposit harvested yield into the ledger and mint credits from it.
pub const VAULT_ROLE: [u8; 32] = Keccak256::new().update(b"VAULT_ROLE").finalize();
/// May escrow, release and close escrows of credits (the oracle bridge).
pub const SPENDER_ROLE: [u8; 32] = Keccak256::new().update(b"SPENDER_ROLE").finalize();

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;

    #[test]
    fn roles_are_keccak_of_their_names() {
        assert_eq!(super::VAULT_ROLE, keccak256("VAULT_ROLE").0);
        assert_eq!(super::SPENDER_ROLE, keccak256("SPENDER_ROLE").0);
        assert_ne!(super::VAULT_ROLE, super::SPENDER_ROLE);
    }
}
