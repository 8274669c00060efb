//! The security review's market findings (H-1, M-4, L-7, I-1), each proven
//! fixed under motsu with the real contracts. motsu's clock stands still, so
//! findings that need time to pass (L-1, L-5, lapses) are proven on the
//! devnode (`offchain/e2e/tests/it/market.rs`).

use alloy_primitives::{keccak256, Address, B256, U256};
use contract_kit::{delay::ChangeQueued, market::commitment};
use inference_registry::InferenceRegistry;
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::IErc20;
use oracle_bridge::{
    CommitmentMismatch, Ended, Error, InvalidProviders, NoFreeSlot, OracleBridge,
    ProviderIneligible, SealedRedundancy,
};

use crate::{
    bridge::{cost, salt, Market, BOND, COLLATERAL, MAX_COST, MIN_BOND, NOW, TOKENS, UNBOND_DELAY},
    common,
};

const NO_KEY: (Address, U256) = (Address::ZERO, U256::ZERO);

#[test]
fn h1_one_bond_cannot_back_unlimited_leases() {
    let _serial = common::serial();
    let m = Market::deploy(1, 10_000);
    let worker = m.provider("worker");
    // 1,000 bonded, 100 must stay free: nine leases of 100 collateral each.
    let leases = (BOND - MIN_BOND) / COLLATERAL;
    let ids: Vec<u64> = (0..=leases).map(|_| m.ask(m.payer, NO_KEY).motsu_unwrap()).collect();
    for &id in &ids[..9] {
        m.bridge.sender(worker).claim(id).motsu_unwrap();
    }
    assert_eq!(m.locked(worker), U256::from(leases * COLLATERAL));
    let err = m.bridge.sender(worker).claim(ids[9]).motsu_unwrap_err();
    assert!(matches!(err, Error::ProviderIneligible(ProviderIneligible { provider, model: 1 })
        if provider == worker));
    // Reserved collateral cannot be unbonded either.
    let free = U256::from(BOND - leases * COLLATERAL);
    assert!(m.registry.sender(worker).start_unbond(free + U256::ONE).is_err());
    // Delivering frees the lease's collateral, and the worker can take the
    // next one.
    let id = ids[0];
    m.bridge
        .sender(worker)
        .fulfil(
            id,
            0,
            b"Paris".to_vec().into(),
            B256::ZERO,
            Vec::new().into(),
            TOKENS.0,
            3,
            B256::ZERO,
        )
        .motsu_unwrap();
    assert_eq!(m.locked(worker), U256::from((leases - 1) * COLLATERAL));
    m.bridge.sender(worker).claim(ids[9]).motsu_unwrap();
    assert_eq!(m.bond(worker), U256::from(BOND), "delivering costs nothing");
}

#[test]
fn h1_a_slash_is_sized_by_the_request_and_never_pays_the_payer() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    let [honest, liar] = [m.provider("honest"), m.provider("liar")];
    let payer_asset = m.asset_of(m.payer);
    let id = m.ask(m.payer, NO_KEY).motsu_unwrap();
    m.answer_all(id, &[(honest, b"Paris", 4), (liar, b"Lyon", 4)]).motsu_unwrap();
    m.bridge.sender(m.arbiter).resolve(id, keccak256(b"Paris")).motsu_unwrap();
    // The loser loses this lease's collateral (twice the slot's most
    // cost), not a share of its whole bond, and it goes to the treasury.
    assert_eq!(m.bond(liar), U256::from(BOND - 2 * MAX_COST));
    assert_eq!(m.asset_of(m.treasury), U256::from(2 * MAX_COST));
    assert_eq!(m.asset_of(m.payer), payer_asset);
}

#[test]
fn h1_the_payer_cannot_serve_its_own_request() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    // The payer registers as a provider and tries to take a slot of its own
    // request (the free option of review M-4: its own slash came back to it).
    m.env.asset.sender(m.payer).mint(m.payer, U256::from(BOND)).motsu_unwrap();
    m.env.asset.sender(m.payer).approve(m.registry.address(), U256::MAX).motsu_unwrap();
    m.registry
        .sender(m.payer)
        .register_provider(U256::from(BOND), B256::ZERO, String::new())
        .motsu_unwrap();
    m.registry.sender(m.payer).set_serving(1, true).motsu_unwrap();
    let id = m.ask(m.payer, NO_KEY).motsu_unwrap();
    let err = m.bridge.sender(m.payer).claim(id).motsu_unwrap_err();
    assert!(
        matches!(err, Error::ProviderIneligible(ProviderIneligible { provider, model: 1 }) if provider == m.payer)
    );
    // Nor can it be named.
    let other = m.provider("other");
    let err = m.ask_of(m.payer, NO_KEY, vec![other, m.payer]).motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidProviders(InvalidProviders {})));
}

#[test]
fn h1_a_lease_handed_back_costs_a_small_penalty_and_reopens_at_once() {
    let _serial = common::serial();
    let m = Market::deploy(1, 1_000);
    let [holder, fast] = [m.provider("holder"), m.provider("fast")];
    let id = m.ask(m.payer, NO_KEY).motsu_unwrap();
    let slot = m.bridge.sender(holder).claim(id).motsu_unwrap();
    assert!(matches!(m.bridge.sender(fast).claim(id), Err(Error::NoFreeSlot(NoFreeSlot { .. }))));
    // Only the holder hands its lease back.
    assert!(matches!(m.bridge.sender(fast).abandon(id, slot), Err(Error::NoLease(_))));
    m.bridge.sender(holder).abandon(id, slot).motsu_unwrap();
    // A tenth of the collateral, to the treasury; the rest is free again.
    assert_eq!(m.bond(holder), U256::from(BOND - COLLATERAL / 10));
    assert_eq!(m.locked(holder), U256::ZERO);
    assert_eq!(m.asset_of(m.treasury), U256::from(COLLATERAL / 10));
    assert!(matches!(m.bridge.sender(holder).abandon(id, slot), Err(Error::NoLease(_))));
    m.serve(fast, id, b"Paris", 2).motsu_unwrap();
    assert_eq!(m.earned(fast), cost(2));
}

#[test]
fn h1_a_request_names_who_may_serve_it() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    let [p, q, stranger] = [m.provider("p"), m.provider("q"), m.provider("stranger")];
    let id = m.ask_of(m.payer, NO_KEY, vec![p, q]).motsu_unwrap();
    assert!(matches!(m.bridge.sender(stranger).claim(id), Err(Error::NoFreeSlot(_))));
    assert_eq!(m.bridge.sender(q).claim(id).motsu_unwrap(), 1, "each named provider has its slot");
    assert!(matches!(m.bridge.sender(q).claim(id), Err(Error::NoFreeSlot(_))));
    assert_eq!(m.bridge.sender(p).claim(id).motsu_unwrap(), 0);
    // A handed-back slot stays reserved for its named provider.
    m.bridge.sender(p).abandon(id, 0).motsu_unwrap();
    assert!(matches!(m.bridge.sender(stranger).claim(id), Err(Error::NoFreeSlot(_))));
    assert_eq!(m.bridge.sender(p).claim(id).motsu_unwrap(), 0);
    // Names are one per slot, distinct and non-zero.
    for bad in [vec![p], vec![p, p], vec![p, Address::ZERO], vec![p, q, stranger]] {
        let err = m.ask_of(m.payer, NO_KEY, bad).motsu_unwrap_err();
        assert!(matches!(err, Error::InvalidProviders(_)));
    }
}

#[test]
fn m4_sealed_prompts_need_redundancy_one_and_their_provider() {
    let _serial = common::serial();
    let sealed = |m: &Market, providers: Vec<Address>| {
        m.bridge.sender(m.payer).request(
            1,
            m.payer,
            vec![7u8; 80].into(),
            B256::ZERO,
            Vec::new().into(),
            TOKENS.0,
            TOKENS.1,
            NOW + 3_600,
            true,
            B256::repeat_byte(9),
            Address::ZERO,
            Address::ZERO,
            U256::ZERO,
            providers,
        )
    };
    let m = Market::deploy(2, 1_000);
    let p = m.provider("p");
    let q = m.provider("q");
    let err = sealed(&m, vec![p, q]).motsu_unwrap_err();
    assert!(matches!(err, Error::SealedRedundancy(SealedRedundancy { redundancy: 2 })));
    drop(m);
    let m = Market::deploy(1, 1_000);
    let p = m.provider("p");
    let q = m.provider("q");
    // Sealed to someone: that someone must be named, so nobody else claims
    // what it cannot open.
    assert!(matches!(sealed(&m, Vec::new()), Err(Error::InvalidProviders(_))));
    let id = sealed(&m, vec![p]).motsu_unwrap();
    assert!(matches!(m.bridge.sender(q).claim(id), Err(Error::NoFreeSlot(_))));
    m.bridge.sender(p).claim(id).motsu_unwrap();
}

#[test]
fn m4_a_majority_settles_without_the_arbiter() {
    let _serial = common::serial();
    let m = Market::deploy(3, 1_000);
    let [a, b, c] = [m.provider("a"), m.provider("b"), m.provider("c")];
    let id = m.ask(m.payer, NO_KEY).motsu_unwrap();
    m.answer_all(id, &[(a, b"Paris", 3), (b, b"Lyon", 3), (c, b"Paris", 5)]).motsu_unwrap();
    // One dissenter no longer freezes payment: two of three settle.
    assert_eq!(m.status(id), 2);
    assert_eq!(m.bridge.sender(m.admin).result(id), (2, keccak256(b"Paris")));
    assert_eq!((m.earned(a), m.earned(c), m.earned(b)), (cost(3), cost(5), U256::ZERO));
    assert_eq!(m.bond(b), U256::from(BOND - COLLATERAL));
    assert_eq!((m.bond(a), m.bond(c)), (U256::from(BOND), U256::from(BOND)));
    let refunded = U256::from(3 * MAX_COST) - cost(3) - cost(5);
    assert!(m.bridge.emitted(&Ended {
        id,
        status: 2,
        outputHash: keccak256(b"Paris"),
        paid: cost(3) + cost(5),
        refunded,
    }));
    assert_eq!(m.escrowed(), U256::ZERO);
    m.env.assert_backed();
}

#[test]
fn m4_a_copied_commitment_cannot_be_revealed() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    let [honest, copier] = [m.provider("honest"), m.provider("copier")];
    let id = m.ask(m.payer, NO_KEY).motsu_unwrap();
    let slot = m.commit(honest, id, b"Paris").motsu_unwrap();
    // The copier commits the honest provider's commitment, byte for byte.
    let stolen = m.bridge.sender(honest).lease_of(id, slot).3;
    let copier_slot = m.bridge.sender(copier).claim(id).motsu_unwrap();
    m.bridge.sender(copier).commit(id, copier_slot, stolen).motsu_unwrap();
    m.reveal(honest, (id, slot), b"Paris", 3).motsu_unwrap();
    // Even with the answer and the salt now public, the commitment binds
    // the honest provider's address: the copier cannot open it.
    let err = m
        .bridge
        .sender(copier)
        .fulfil(
            id,
            copier_slot,
            b"Paris".to_vec().into(),
            B256::ZERO,
            Vec::new().into(),
            TOKENS.0,
            3,
            salt(honest),
        )
        .motsu_unwrap_err();
    assert!(matches!(err, Error::CommitmentMismatch(CommitmentMismatch { .. })));
    // Before every slot committed, nobody could reveal (so nothing to copy).
    let next = m.ask(m.payer, NO_KEY).motsu_unwrap();
    let s = m.commit(honest, next, b"Paris").motsu_unwrap();
    assert!(matches!(m.reveal(honest, (next, s), b"Paris", 3), Err(Error::WrongPhase(_))));
    assert_eq!(
        commitment(keccak256(b"Paris"), honest, salt(honest)),
        m.bridge.sender(honest).lease_of(next, s).3
    );
}

#[test]
fn l7_a_registry_that_unbonds_faster_than_slashes_land_is_refused() {
    let _serial = common::serial();
    let m = Market::deploy(1, 0);
    let admin = m.admin;
    // Unbonding in one day, but a request may run a day plus the reveal and
    // dispute windows: a loser could leave before its slash.
    let short = Contract::<InferenceRegistry>::new();
    short
        .sender(admin)
        .constructor(
            m.env.asset.address(),
            admin,
            m.arbiter,
            m.treasury,
            86_400,
            20_000,
            1_000,
            U256::ONE,
        )
        .motsu_unwrap();
    let bridge = Contract::<OracleBridge>::new();
    let err = bridge
        .sender(admin)
        .constructor(
            m.env.ledger.address(),
            short.address(),
            m.access.address(),
            600,
            86_400,
            100_000,
            3_600,
        )
        .motsu_unwrap_err();
    assert!(matches!(err, Error::InvalidParams(_)));
}

#[test]
fn i1_an_arbiter_change_waits_the_unbonding_delay() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    let successor = common::tag("successor");
    let err = m.registry.sender(successor).set_arbiter(successor).motsu_unwrap_err();
    assert!(matches!(err, inference_registry::Error::NotArbiter(_)));
    m.registry.sender(m.arbiter).set_arbiter(successor).motsu_unwrap();
    assert!(m.registry.emitted(&ChangeQueued { value: successor, eta: NOW + UNBOND_DELAY }));
    assert_eq!(m.registry.sender(m.admin).arbiter(), m.arbiter, "still the old arbiter");
    let [a, b] = [m.provider("a"), m.provider("b")];
    let id = m.ask(m.payer, NO_KEY).motsu_unwrap();
    m.answer_all(id, &[(a, b"Paris", 1), (b, b"Lyon", 1)]).motsu_unwrap();
    let err = m.bridge.sender(successor).resolve(id, keccak256(b"Lyon")).motsu_unwrap_err();
    assert!(matches!(err, Error::NotArbiter(_)));
    m.bridge.sender(m.arbiter).resolve(id, keccak256(b"Paris")).motsu_unwrap();
}
