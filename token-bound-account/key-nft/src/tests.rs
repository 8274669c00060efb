//! motsu tests of issuing, revoking and (not) transferring keys.

use alloy_primitives::{Address, B256, U256};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc721::IErc721;

use crate::{Error, KeyNft, NotIssuer, NotMinter, Soulbound};

fn word(text: &str) -> B256 {
    B256::right_padding_from(text.as_bytes())
}

fn keys(issuer: Address, soulbound: bool) -> Contract<KeyNft> {
    let keys = Contract::<KeyNft>::from_tag("keys");
    keys.sender(issuer)
        .constructor(word("Community Keys"), word("KEY"), issuer, soulbound)
        .motsu_unwrap();
    keys
}

#[motsu::test]
fn the_issuer_and_its_minters_issue_and_revoke(issuer: Address, desk: Address, member: Address) {
    let keys = keys(issuer, false);
    assert_eq!(keys.sender(member).name(), "Community Keys");
    let err = keys.sender(desk).issue(member).motsu_unwrap_err();
    assert!(matches!(err, Error::NotMinter(NotMinter { caller }) if caller == desk));
    keys.sender(issuer).set_minter(desk, true).motsu_unwrap();
    assert_eq!(keys.sender(desk).issue(member).motsu_unwrap(), U256::from(1));
    assert_eq!(keys.sender(issuer).issue(member).motsu_unwrap(), U256::from(2));
    assert_eq!(keys.sender(member).owner_of(U256::from(1)).motsu_unwrap(), member);
    assert_eq!(keys.sender(member).balance_of(member).motsu_unwrap(), U256::from(2));
    keys.sender(desk).revoke(U256::from(1)).motsu_unwrap();
    assert!(matches!(keys.sender(member).owner_of(U256::from(1)), Err(Error::NonexistentToken(_))));
    keys.sender(issuer).set_minter(desk, false).motsu_unwrap();
    assert!(matches!(keys.sender(desk).issue(member), Err(Error::NotMinter(_))));
    // Only the issuer appoints minters or hands the collection on.
    let err = keys.sender(desk).set_minter(desk, true).motsu_unwrap_err();
    assert!(matches!(err, Error::NotIssuer(NotIssuer { caller }) if caller == desk));
    assert!(matches!(keys.sender(member).transfer_issuer(member), Err(Error::NotIssuer(_))));
    keys.sender(issuer).transfer_issuer(desk).motsu_unwrap();
    assert_eq!(keys.sender(member).issuer(), desk);
    assert!(matches!(keys.sender(issuer).issue(member), Err(Error::NotMinter(_))));
}

#[motsu::test]
fn keys_move_unless_the_collection_is_soulbound(issuer: Address, member: Address, buyer: Address) {
    let free = keys(issuer, false);
    let id = free.sender(issuer).issue(member).motsu_unwrap();
    free.sender(member).transfer_from(member, buyer, id).motsu_unwrap();
    assert_eq!(free.sender(buyer).owner_of(id).motsu_unwrap(), buyer);
}

#[motsu::test]
fn soulbound_keys_stay_with_their_member(issuer: Address, member: Address, buyer: Address) {
    let bound = Contract::<KeyNft>::from_tag("bound");
    bound.sender(issuer).constructor(word("Bound"), word("BND"), issuer, true).motsu_unwrap();
    let id = bound.sender(issuer).issue(member).motsu_unwrap();
    let err = bound.sender(member).transfer_from(member, buyer, id).motsu_unwrap_err();
    assert!(matches!(err, Error::Soulbound(Soulbound { tokenId }) if tokenId == id));
    assert!(matches!(
        bound.sender(member).safe_transfer_from(member, buyer, id),
        Err(Error::Soulbound(_))
    ));
    assert_eq!(bound.sender(member).owner_of(id).motsu_unwrap(), member);
    // The issuer can still take a key back.
    bound.sender(issuer).revoke(id).motsu_unwrap();
    assert_eq!(bound.sender(member).balance_of(member).motsu_unwrap(), U256::ZERO);
}
