//! The receipt's EIP-712 encoding against alloy's, and the pure rules.

use alloy_primitives::U256;
use alloy_sol_types::{sol, SolStruct};
use proptest::prelude::*;

use crate::receipt::{self, Receipt, RECEIPT_TYPE};

sol! {
    /// The receipt as a client declares it (viem, ethers, alloy).
    struct ClientReceipt {
        uint64 session;
        uint64 seq;
        uint64 tokensIn;
        uint64 tokensOut;
        uint256 cost;
    }
}

#[test]
fn the_type_string_is_the_clients() {
    let client = ClientReceipt::eip712_encode_type();
    assert_eq!(client.replace("ClientReceipt", "Receipt"), RECEIPT_TYPE);
}

#[test]
fn signatures_split_into_v_r_s() {
    let mut sig = [7u8; 65];
    sig[64] = 1;
    let (v, r, s) = receipt::split_signature(&sig).unwrap();
    assert_eq!((v, r.0, s.0), (28, [7u8; 32], [7u8; 32]));
    sig[64] = 27;
    assert_eq!(receipt::split_signature(&sig).unwrap().0, 27);
    assert!(receipt::split_signature(&sig[..64]).is_none());
    assert!(receipt::split_signature(&[0u8; 66]).is_none());
}

#[test]
fn priced_counts_both_directions() {
    let prices = (U256::from(3), U256::from(5));
    assert_eq!(receipt::priced(prices, 10, 4), U256::from(50));
    let huge = (U256::MAX, U256::MAX);
    assert_eq!(receipt::priced(huge, 2, 2), U256::MAX, "saturates, never wraps");
}

proptest! {
    /// The contract's `hashStruct` of a receipt is the one any EIP-712
    /// client computes (with the type named `Receipt`): the digest a
    /// wallet signs is the digest the contract checks.
    #[test]
    fn struct_hash_matches_alloy(
        session: u64, seq: u64, tokens_in: u64, tokens_out: u64, cost: [u8; 32],
    ) {
        let cost = U256::from_be_bytes(cost);
        let ours = Receipt { session, seq, tokens_in, tokens_out, cost }.struct_hash();
        let client = ClientReceipt { session, seq, tokensIn: tokens_in, tokensOut: tokens_out, cost };
        // alloy hashes the type string with its own name; rebuild it with
        // the name the contract uses.
        let mut encoded = alloy_primitives::keccak256(RECEIPT_TYPE).to_vec();
        encoded.extend_from_slice(&client.eip712_encode_data());
        prop_assert_eq!(ours, alloy_primitives::keccak256(encoded));
    }
}
