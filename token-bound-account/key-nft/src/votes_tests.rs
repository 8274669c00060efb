//! motsu tests of the keys' votes: one key one vote, delegation (also by
//! signature, with a replay and an expired signature refused), votes moving
//! with transfers and revocations. Votes over time are covered by the
//! property test of `contract_kit::votes` (motsu's clock stands still).

use alloy_primitives::{Address, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{eip712_domain, sol, SolStruct};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc721::IErc721;

use crate::{Error, KeyNft};

sol! {
    struct Delegation {
        address delegatee;
        uint256 nonce;
        uint256 expiry;
    }
}

fn keys(issuer: Address, soulbound: bool) -> Contract<KeyNft> {
    let keys = Contract::<KeyNft>::from_tag("keys");
    let name = B256::right_padding_from(b"Community Keys");
    keys.sender(issuer)
        .constructor(name, B256::right_padding_from(b"KEY"), issuer, soulbound)
        .motsu_unwrap();
    keys
}

/// `signer`'s signature of a delegation to `delegatee`, as a wallet makes
/// it from the collection's `eip712Domain()`: (v, r, s).
fn signed(
    keys: &Contract<KeyNft>,
    signer: &PrivateKeySigner,
    delegatee: Address,
    nonce: u64,
    expiry: U256,
) -> (u8, B256, B256) {
    let (_, name, version, chain, contract, _, _) = keys.sender(signer.address()).eip712_domain();
    assert_eq!((name.as_str(), version.as_str()), ("Compute-Fi Keys", "1"));
    let domain = eip712_domain! { name: name, version: version, chain_id: chain.to::<u64>(), verifying_contract: contract, };
    let delegation = Delegation { delegatee, nonce: U256::from(nonce), expiry };
    let signature = signer.sign_hash_sync(&delegation.eip712_signing_hash(&domain)).unwrap();
    (27 + u8::from(signature.v()), signature.r().into(), signature.s().into())
}

#[motsu::test]
fn each_key_is_one_vote_that_moves_with_the_key(issuer: Address, alice: Address, bob: Address) {
    let keys = keys(issuer, false);
    keys.sender(issuer).issue(alice).motsu_unwrap();
    keys.sender(issuer).issue(alice).motsu_unwrap();
    assert_eq!(
        keys.sender(alice).get_votes(alice),
        U256::from(2),
        "a member votes without delegating"
    );
    assert_eq!(keys.sender(alice).clock_mode(), "mode=timestamp");
    keys.sender(alice).transfer_from(alice, bob, U256::from(1)).motsu_unwrap();
    assert_eq!(
        (keys.sender(bob).get_votes(alice), keys.sender(bob).get_votes(bob)),
        (U256::from(1), U256::from(1))
    );
    keys.sender(issuer).revoke(U256::from(2)).motsu_unwrap();
    assert_eq!(keys.sender(bob).get_votes(alice), U256::ZERO, "a revoked key's vote is gone");
    // A transfer by someone who does not hold the key moves nothing.
    assert!(matches!(
        keys.sender(alice).transfer_from(alice, bob, U256::from(1)),
        Err(Error::InsufficientApproval(_))
    ));
    assert_eq!(keys.sender(bob).get_votes(bob), U256::from(1));
}

#[motsu::test]
fn a_member_delegates_and_a_soulbound_key_still_can(issuer: Address, alice: Address, bob: Address) {
    let keys = keys(issuer, true);
    keys.sender(issuer).issue(alice).motsu_unwrap();
    keys.sender(alice).delegate(bob).motsu_unwrap();
    assert_eq!(keys.sender(alice).delegates(alice), bob);
    assert_eq!(
        (keys.sender(alice).get_votes(alice), keys.sender(alice).get_votes(bob)),
        (U256::ZERO, U256::from(1))
    );
    // A key issued later follows the delegation.
    keys.sender(issuer).issue(alice).motsu_unwrap();
    assert_eq!(keys.sender(alice).get_votes(bob), U256::from(2));
    keys.sender(alice).delegate(Address::ZERO).motsu_unwrap();
    assert_eq!(
        (keys.sender(alice).get_votes(alice), keys.sender(alice).get_votes(bob)),
        (U256::from(2), U256::ZERO)
    );
}

#[motsu::test]
fn a_delegation_by_signature_counts_once_and_not_after_expiry(
    issuer: Address,
    relayer: Address,
    bob: Address,
) {
    let keys = keys(issuer, false);
    let holder = PrivateKeySigner::random();
    keys.sender(issuer).issue(holder.address()).motsu_unwrap();
    let expiry = U256::from(u64::MAX);
    let (v, r, s) = signed(&keys, &holder, bob, 0, expiry);
    keys.sender(relayer).delegate_by_sig(bob, U256::ZERO, expiry, v, r, s).motsu_unwrap();
    assert_eq!(keys.sender(relayer).get_votes(bob), U256::from(1));
    assert_eq!(keys.sender(relayer).nonces(holder.address()), U256::from(1));
    let replay =
        keys.sender(relayer).delegate_by_sig(bob, U256::ZERO, expiry, v, r, s).motsu_unwrap_err();
    assert!(matches!(replay, Error::InvalidAccountNonce(_)), "{replay:?}");
    let past = U256::from(1u64);
    let (v, r, s) = signed(&keys, &holder, relayer, 1, past);
    let expired = keys
        .sender(relayer)
        .delegate_by_sig(relayer, U256::from(1), past, v, r, s)
        .motsu_unwrap_err();
    assert!(matches!(expired, Error::ExpiredSignature(_)), "{expired:?}");
    // A signature of other terms recovers to someone without the nonce.
    let (v, r, s) = signed(&keys, &holder, relayer, 1, expiry);
    let forged = keys.sender(relayer).delegate_by_sig(bob, U256::from(1), expiry, v, r, s);
    assert!(forged.is_err());
    assert_eq!(keys.sender(relayer).delegates(holder.address()), bob);
}
