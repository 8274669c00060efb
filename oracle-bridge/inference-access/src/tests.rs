//! motsu tests of the access contract's own rules: wiring, approvals and
//! policy settings. Authorizing against a key collection and booking quotas
//! need the bridge and an ERC-721: see `tests/tests/bridge.rs`.

use alloy_primitives::{Address, U256};
use motsu::prelude::*;

use crate::{Error, InferenceAccess, InvalidParams, NotAdmin, NotBridge, PolicySet, ZeroAddress};

fn access(admin: Address) -> Contract<InferenceAccess> {
    let access = Contract::<InferenceAccess>::from_tag("access");
    access.sender(admin).constructor(admin).motsu_unwrap();
    access
}

#[motsu::test]
fn i1_the_admin_names_the_bridge_and_a_replacement_waits(
    admin: Address,
    bridge: Address,
    next: Address,
) {
    let access = access(admin);
    let err = access.sender(bridge).set_bridge(bridge).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAdmin(NotAdmin { caller }) if caller == bridge));
    assert!(matches!(access.sender(admin).set_bridge(Address::ZERO), Err(Error::ZeroAddress(_))));
    access.sender(admin).set_bridge(bridge).motsu_unwrap();
    assert_eq!(access.sender(admin).wiring(), (admin, bridge));

    access.sender(admin).transfer_admin(next).motsu_unwrap();
    assert!(matches!(access.sender(admin).set_bridge(admin), Err(Error::NotAdmin(_))));
    // A replacement bridge is only queued: a bridge books every sponsor's
    // quotas, so it takes over after `BRIDGE_CHANGE_DELAY` (review I-1).
    access.sender(next).set_bridge(next).motsu_unwrap();
    assert_eq!(access.sender(next).wiring(), (next, bridge));
    let eta = stylus_sdk::block::timestamp() + crate::BRIDGE_CHANGE_DELAY;
    assert!(access.emitted(&contract_kit::delay::ChangeQueued { value: next, eta }));
}

#[motsu::test]
fn a_zero_admin_is_refused() {
    let access = Contract::<InferenceAccess>::from_tag("access");
    let err = access.sender(Address::repeat_byte(1)).constructor(Address::ZERO).motsu_unwrap_err();
    assert!(matches!(err, Error::ZeroAddress(ZeroAddress {})));
}

#[motsu::test]
fn only_the_bridge_authorizes(admin: Address, bridge: Address, payer: Address) {
    let access = access(admin);
    access.sender(admin).set_bridge(bridge).motsu_unwrap();
    let call = |who: Address| {
        access.sender(who).authorize(payer, payer, 1, Address::ZERO, U256::ZERO, U256::ONE)
    };
    assert!(matches!(call(admin), Err(Error::NotBridge(NotBridge { caller })) if caller == admin));
    // The payer itself is always allowed, with nothing booked.
    let verdict = call(bridge).motsu_unwrap();
    assert_eq!(verdict.0, contract_kit::calls::verdict::ALLOWED);
    assert!(verdict.2.is_zero());
}

#[motsu::test]
fn payers_set_policies_and_approvals(admin: Address, payer: Address, friend: Address) {
    let access = access(admin);
    let keys = Address::repeat_byte(0x6B);
    let quota = U256::from(500);
    assert!(matches!(
        access.sender(payer).set_policy(Address::ZERO, quota, 60, true),
        Err(Error::ZeroAddress(_))
    ));
    assert!(matches!(
        access.sender(payer).set_policy(keys, quota, 0, true),
        Err(Error::InvalidParams(InvalidParams {}))
    ));
    access.sender(payer).set_policy(keys, quota, 60, false).motsu_unwrap();
    assert!(access.emitted(&PolicySet {
        payer,
        collection: keys,
        quota,
        period: 60,
        allModels: false,
    }));
    assert_eq!(access.sender(admin).policy(payer, keys), (quota, 60, false));
    assert_eq!(access.sender(admin).quota_left(payer, keys, U256::from(7)), quota);
    assert!(!access.sender(admin).policy_allows(payer, keys, 3));
    access.sender(payer).set_policy_model(keys, 3, true);
    assert!(access.sender(admin).policy_allows(payer, keys, 3));
    // Policies belong to their payer.
    assert_eq!(access.sender(admin).policy(friend, keys), (U256::ZERO, 0, false));

    assert!(!access.sender(admin).is_approved(payer, friend));
    access.sender(payer).approve_requester(friend, true);
    assert!(access.sender(admin).is_approved(payer, friend));
    assert!(!access.sender(admin).is_approved(friend, payer));
}
