//! The inference market's security findings that need time to pass (lapses,
//! windows, deadlines) or real gas (callbacks), on the devnode with the
//! contracts built to WASM; a property test of the market over adversarial
//! histories; and gas per request lifecycle for redundancy 1 and 3.
//! The findings that need no clock are proven under motsu
//! (`tests/tests/it/market_findings.rs`).

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolError};
use bindings::{IComputeCredits, IInferenceRegistry, IOracleBridge};
use e2e::{fixture, ALICE, BOB};

use crate::bridge::{
    ask, claim, commit, commitment_of, fulfil, request_call, sent, status, world, IProbe, IToken,
    World, BOND, CAROL, COLLATERAL, DAVE, LEASE, PAYER, TREASURY,
};

const NO_KEY: (Address, U256) = (Address::ZERO, U256::ZERO);

fn asset(w: &mut World, who: Address) -> U256 {
    w.chain.view(w.token, &IToken::balanceOfCall { who })
}

fn bond(w: &mut World, provider: Address) -> U256 {
    w.chain.view(w.registry, &IInferenceRegistry::providerCall { provider }).bond
}

fn send(w: &mut World, from: Address, call: &impl SolCall) -> Result<(), Bytes> {
    sent(w.chain.send(from, TxKind::Call(w.bridge), call.abi_encode(), U256::ZERO))
}

#[test]
fn l1_refunding_a_request_slashes_the_lease_that_lapsed_on_it() {
    let mut w = world(1);
    let id = ask(&mut w, PAYER, Address::ZERO, NO_KEY).unwrap();
    // BOB claims and sits on the lease until the deadline, then races
    // `reopen` with `refund`: the refund slashes it just the same.
    claim(&mut w, BOB, id).unwrap();
    w.chain.timestamp += 1_001;
    send(&mut w, BOB, &IOracleBridge::refundCall { id }).unwrap();
    assert_eq!(status(&mut w, id), 3);
    assert_eq!(bond(&mut w, BOB), U256::from(BOND - COLLATERAL));
    assert_eq!(asset(&mut w, TREASURY), U256::from(COLLATERAL));
    let locked = w.chain.view(w.registry, &IInferenceRegistry::providerCall { provider: BOB });
    assert_eq!(locked.locked, U256::ZERO, "the collateral is no longer held");
}

#[test]
fn l5_a_callback_gets_its_promised_gas_or_the_ending_reverts() {
    let mut w = world(1);
    let probe = w.chain.deploy(ALICE, fixture("CallbackProbe"));
    let id = ask(&mut w, PAYER, probe, NO_KEY).unwrap();
    let slot = claim(&mut w, BOB, id).unwrap();
    let call = IOracleBridge::fulfilCall {
        id,
        slot,
        output: b"an answer".to_vec().into(),
        outputHash: B256::ZERO,
        outputUri: Bytes::new(),
        inputTokens: 8,
        outputTokens: 20,
        salt: B256::ZERO,
    };
    // Enough gas for the settlement but not for the callback's 400,000:
    // before, the callback ran starved and failed for good; now the whole
    // fulfilment reverts and can be sent again with enough gas.
    let starved =
        w.chain.send_with_gas(BOB, TxKind::Call(w.bridge), call.abi_encode(), U256::ZERO, 300_000);
    assert!(!starved.success);
    assert_eq!(&starved.output[..4], IOracleBridge::CallbackGasTooLow::SELECTOR);
    assert_eq!(status(&mut w, id), 1, "nothing settled");
    assert_eq!(w.chain.view(probe, &IProbe::callsCall {}), U256::ZERO);
    send(&mut w, BOB, &call).unwrap();
    assert_eq!(status(&mut w, id), 2);
    assert_eq!(w.chain.view(probe, &IProbe::callsCall {}), U256::from(1));
    // A refund tells the callback too (with a zero digest).
    let unserved = ask(&mut w, PAYER, probe, NO_KEY).unwrap();
    w.chain.timestamp += 1_001;
    send(&mut w, ALICE, &IOracleBridge::refundCall { id: unserved }).unwrap();
    assert_eq!(w.chain.view(probe, &IProbe::lastIdCall {}), unserved);
    assert_eq!(w.chain.view(probe, &IProbe::lastHashCall {}), B256::ZERO);
}

#[test]
fn h1_a_lease_is_handed_back_only_while_it_runs_and_costs_a_tenth() {
    let mut w = world(1);
    let id = ask(&mut w, PAYER, Address::ZERO, NO_KEY).unwrap();
    let slot = claim(&mut w, BOB, id).unwrap();
    send(&mut w, BOB, &IOracleBridge::abandonCall { id, slot }).unwrap();
    assert_eq!(bond(&mut w, BOB), U256::from(BOND - COLLATERAL / 10));
    // CAROL takes it at once, then lets it run out: too late to hand back.
    let slot = claim(&mut w, CAROL, id).unwrap();
    w.chain.timestamp += LEASE;
    let err = send(&mut w, CAROL, &IOracleBridge::abandonCall { id, slot }).unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::NoLease { id, slot }.abi_encode());
    send(&mut w, ALICE, &IOracleBridge::reopenCall { id, slot }).unwrap();
    assert_eq!(bond(&mut w, CAROL), U256::from(BOND - COLLATERAL));
    assert_eq!(asset(&mut w, TREASURY), U256::from(COLLATERAL + COLLATERAL / 10));
}

#[test]
fn m4_reveals_wait_for_every_commitment_or_the_commit_window() {
    let mut w = world(2);
    let id = ask(&mut w, PAYER, Address::ZERO, NO_KEY).unwrap();
    let slot = claim(&mut w, BOB, id).unwrap();
    commit(&mut w, BOB, id, slot, b"Paris").unwrap();
    // Alone, BOB cannot reveal yet: a second provider could still commit.
    let err = fulfil(&mut w, BOB, id, slot, b"Paris").unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::WrongPhase { id, slot }.abi_encode());
    // The commit window closes one lease after the first commitment: no
    // one claims after that (they could copy revealed answers).
    w.chain.timestamp += LEASE;
    let err = claim(&mut w, CAROL, id).unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::DeadlinePassed { id }.abi_encode());
    // Every commitment is revealed: the tally runs at once. One answer of
    // two is no majority, so the request goes to the arbiter, who pays BOB.
    fulfil(&mut w, BOB, id, slot, b"Paris").unwrap();
    assert_eq!(status(&mut w, id), 4);
    let ruling =
        IOracleBridge::resolveCall { id, outputHash: alloy_primitives::keccak256("Paris") };
    send(&mut w, ALICE, &ruling).unwrap();
    assert_eq!(status(&mut w, id), 2);
    assert_eq!(bond(&mut w, BOB), U256::from(BOND));
}

#[test]
fn m4_a_provider_that_commits_and_never_reveals_is_slashed_and_the_majority_paid() {
    let mut w = world(3);
    let id = ask(&mut w, PAYER, Address::ZERO, NO_KEY).unwrap();
    let mut slots = Vec::new();
    for p in [BOB, CAROL, DAVE] {
        let slot = claim(&mut w, p, id).unwrap();
        commit(&mut w, p, id, slot, b"Paris").unwrap();
        slots.push(slot);
    }
    fulfil(&mut w, BOB, id, slots[0], b"Paris").unwrap();
    fulfil(&mut w, CAROL, id, slots[1], b"Paris").unwrap();
    // DAVE keeps its answer back (hoping to hold payment hostage).
    let early = send(&mut w, ALICE, &IOracleBridge::refundCall { id }).unwrap_err();
    assert_eq!(early.as_ref(), IOracleBridge::DeadlineNotReached { id }.abi_encode());
    w.chain.timestamp += LEASE;
    send(&mut w, ALICE, &IOracleBridge::refundCall { id }).unwrap();
    assert_eq!(status(&mut w, id), 2, "two of three settle without the arbiter");
    assert_eq!(bond(&mut w, DAVE), U256::from(BOND - COLLATERAL));
    assert_eq!((bond(&mut w, BOB), bond(&mut w, CAROL)), (U256::from(BOND), U256::from(BOND)));
}

/// One step of an adversarial market history on redundancy 2. BOB is the
/// honest provider: it claims only what it can commit to at once and
/// reveals as soon as reveals open. CAROL and DAVE are one adversary's
/// Sybils: they claim, commit right, wrong or a copy of BOB's commitment,
/// reveal or not, and abandon. The payer asks; anyone reopens and refunds;
/// the arbiter rules honestly or not at all.
#[derive(Clone, Debug)]
enum Step {
    Ask,
    BobClaims { pick: usize },
    SybilClaims { dave: bool, pick: usize },
    SybilCommits { dave: bool, pick: usize, how: u8 },
    SybilReveals { dave: bool, pick: usize, agree: bool },
    SybilAbandons { dave: bool, pick: usize },
    Wait(u64),
    Reopen { pick: usize, slot: u8 },
    Refund { pick: usize },
    Resolve { pick: usize },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let who = || (any::<bool>(), any::<usize>());
    prop_oneof![
        3 => Just(Step::Ask),
        3 => any::<usize>().prop_map(|pick| Step::BobClaims { pick }),
        3 => who().prop_map(|(dave, pick)| Step::SybilClaims { dave, pick }),
        3 => (who(), 0u8..3).prop_map(|((dave, pick), how)| Step::SybilCommits { dave, pick, how }),
        2 => (who(), any::<bool>())
            .prop_map(|((dave, pick), agree)| Step::SybilReveals { dave, pick, agree }),
        1 => who().prop_map(|(dave, pick)| Step::SybilAbandons { dave, pick }),
        2 => (1u64..900).prop_map(Step::Wait),
        1 => (any::<usize>(), 0u8..2).prop_map(|(pick, slot)| Step::Reopen { pick, slot }),
        1 => any::<usize>().prop_map(|pick| Step::Refund { pick }),
        1 => any::<usize>().prop_map(|pick| Step::Resolve { pick }),
    ]
}

/// The slot `who` holds on request `id` and its phase, if any.
fn held(w: &mut World, who: Address, id: u64) -> Option<(u8, u8)> {
    (0..2u8).find_map(|slot| {
        let lease = w.chain.view(w.bridge, &IOracleBridge::leaseOfCall { id, slot });
        (lease.provider == who && lease.phase >= 2).then_some((slot, lease.phase))
    })
}

/// BOB's duty: reveal every committed answer whose reveals are open (a
/// refusal means they are not open yet).
fn bob_reveals(w: &mut World, ids: &[u64]) {
    for &id in ids {
        if let Some((slot, 3)) = held(w, BOB, id) {
            let _ = fulfil(w, BOB, id, slot, b"same");
        }
    }
}

fn apply(w: &mut World, ids: &mut Vec<u64>, step: &Step) {
    let pick = |ids: &Vec<u64>, n: usize| (!ids.is_empty()).then(|| ids[n % ids.len()]);
    let sybil = |dave: bool| if dave { DAVE } else { CAROL };
    match *step {
        Step::Ask => ids.extend(ask(w, PAYER, Address::ZERO, NO_KEY).ok()),
        Step::BobClaims { pick: n } => {
            let Some(id) = pick(ids, n) else { return };
            // Only while nobody has committed (so its lease cannot be cut
            // short by a commit window) and the deadline is not close.
            let deadline = w.chain.view(w.bridge, &IOracleBridge::requestOfCall { id }).deadline;
            let committed = (0..2u8).any(|slot| {
                w.chain.view(w.bridge, &IOracleBridge::leaseOfCall { id, slot }).phase >= 3
            });
            if committed || deadline < w.chain.timestamp + 20 {
                return;
            }
            if let Ok(slot) = claim(w, BOB, id) {
                commit(w, BOB, id, slot, b"same").expect("BOB commits within its lease");
            }
        }
        Step::SybilClaims { dave, pick: n } => {
            if let Some(id) = pick(ids, n) {
                let _ = claim(w, sybil(dave), id);
            }
        }
        Step::SybilCommits { dave, pick: n, how } => {
            let Some(id) = pick(ids, n) else { return };
            let who = sybil(dave);
            let Some((slot, 2)) = held(w, who, id) else { return };
            let hidden = match how {
                0 => commitment_of(who, b"same"),
                1 => commitment_of(who, b"evil"),
                // A lazy copier: BOB's commitment, byte for byte.
                _ => held(w, BOB, id).map_or(B256::ZERO, |(s, _)| {
                    w.chain.view(w.bridge, &IOracleBridge::leaseOfCall { id, slot: s }).hash
                }),
            };
            let _ = send(w, who, &IOracleBridge::commitCall { id, slot, commitment: hidden });
        }
        Step::SybilReveals { dave, pick: n, agree } => {
            let Some(id) = pick(ids, n) else { return };
            let who = sybil(dave);
            if let Some((slot, 3)) = held(w, who, id) {
                let _ = fulfil(w, who, id, slot, if agree { b"same" } else { b"evil" });
            }
        }
        Step::SybilAbandons { dave, pick: n } => {
            let Some(id) = pick(ids, n) else { return };
            let who = sybil(dave);
            if let Some((slot, _)) = held(w, who, id) {
                let _ = send(w, who, &IOracleBridge::abandonCall { id, slot });
            }
        }
        Step::Wait(secs) => {
            // In ticks, BOB doing its duty at each: it is online.
            let mut left = secs;
            while left > 0 {
                let tick = left.min(40);
                w.chain.timestamp += tick;
                left -= tick;
                bob_reveals(w, ids);
            }
        }
        Step::Reopen { pick: n, slot } => {
            if let Some(id) = pick(ids, n) {
                let _ = send(w, PAYER, &IOracleBridge::reopenCall { id, slot });
            }
        }
        Step::Refund { pick: n } => {
            if let Some(id) = pick(ids, n) {
                let _ = send(w, PAYER, &IOracleBridge::refundCall { id });
            }
        }
        Step::Resolve { pick: n } => {
            if let Some(id) = pick(ids, n) {
                let ruling = alloy_primitives::keccak256("same");
                let _ = send(w, ALICE, &IOracleBridge::resolveCall { id, outputHash: ruling });
            }
        }
    }
    bob_reveals(w, ids);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 12, ..Default::default() })]

    /// Over any history of adversarial requests, Sybil providers, lazy
    /// copiers, abandons, lapses, reopens, refunds and rulings: the honest
    /// provider never loses bond; the payer never ends with more asset than
    /// it had (no profit from slashes); credits are conserved (spendable +
    /// earned + escrowed) and so are bonds (bonds + treasury); each escrow
    /// ends once and never changes after; the ledger stays fully backed.
    #[test]
    fn an_honest_provider_never_loses_and_nobody_profits_from_slashes(
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        let mut w = world(2);
        let credits = |w: &mut World| {
            let earned = [BOB, CAROL, DAVE].into_iter().fold(U256::ZERO, |sum, account| {
                sum + w.chain.view(w.ledger, &IComputeCredits::earnedOfCall { account })
            });
            let escrowed = w.chain.view(w.ledger, &IComputeCredits::totalEscrowedCall {});
            crate::bridge::spendable(w, PAYER) + earned + escrowed
        };
        let (start, payer_asset) = (credits(&mut w), asset(&mut w, PAYER));
        let mut ids = Vec::new();
        let mut ended = std::collections::HashMap::new();
        for step in &steps {
            apply(&mut w, &mut ids, step);
            proptest::prop_assert_eq!(bond(&mut w, BOB), U256::from(BOND), "after {:?}", step);
            proptest::prop_assert_eq!(asset(&mut w, PAYER), payer_asset);
            proptest::prop_assert_eq!(credits(&mut w), start);
            let bonds = bond(&mut w, BOB) + bond(&mut w, CAROL) + bond(&mut w, DAVE);
            proptest::prop_assert_eq!(bonds + asset(&mut w, TREASURY), U256::from(3 * BOND));
            for &id in &ids {
                let now = status(&mut w, id);
                if let Some(&first) = ended.get(&id) {
                    proptest::prop_assert_eq!(now, first, "request {} changed after ending", id);
                } else if now == 2 || now == 3 {
                    ended.insert(id, now);
                }
            }
            let backing = w.chain.view(w.ledger, &IComputeCredits::backingCall {});
            proptest::prop_assert!(backing.held >= backing.owed);
        }
    }
}

/// Gas of each step of one request's life on a world of redundancy `k`:
/// request, then per provider claim (and commit for k >= 2), then per
/// provider fulfil (the last one settles).
pub(crate) fn lifecycle_gas(w: &mut World, k: u8) -> Vec<(&'static str, u64)> {
    let call = request_call(w, Address::ZERO, NO_KEY);
    let asked = w.chain.exec(PAYER, w.bridge, &call);
    let id = IOracleBridge::requestCall::abi_decode_returns(&asked.output).unwrap();
    let mut gas = vec![("request", asked.gas_used)];
    let providers = &[BOB, CAROL, DAVE][..usize::from(k)];
    let answer = b"Curiosity, care, and shared compute.";
    let mut slots = Vec::new();
    for &p in providers {
        let r = w.chain.exec(p, w.bridge, &IOracleBridge::claimCall { id });
        slots.push(IOracleBridge::claimCall::abi_decode_returns(&r.output).unwrap());
        gas.push(("claim", r.gas_used));
        if k > 1 {
            let hidden = commitment_of(p, answer);
            let slot = *slots.last().unwrap();
            let r = w.chain.exec(
                p,
                w.bridge,
                &IOracleBridge::commitCall { id, slot, commitment: hidden },
            );
            gas.push(("commit", r.gas_used));
        }
    }
    for (&p, &slot) in providers.iter().zip(&slots) {
        let call = IOracleBridge::fulfilCall {
            id,
            slot,
            output: answer.to_vec().into(),
            outputHash: B256::ZERO,
            outputUri: Bytes::new(),
            inputTokens: 8,
            outputTokens: 20,
            salt: if k > 1 { crate::bridge::salt(p) } else { B256::ZERO },
        };
        let r = w.chain.exec(p, w.bridge, &call);
        gas.push((if k > 1 { "reveal" } else { "fulfil+settle" }, r.gas_used));
    }
    assert_eq!(status(w, id), 2);
    gas
}

/// Prints the gas of every step of a request's life for redundancy 1 and
/// 3 (`cargo test -p e2e --test it market::gas -- --nocapture`), measured
/// after a first request has written the counters from zero; and checks
/// that the figures do not grow with the number of requests.
#[test]
fn gas_per_request_lifecycle_k1_and_k3() {
    for k in [1u8, 3] {
        let mut w = world(k);
        lifecycle_gas(&mut w, k);
        let steps = lifecycle_gas(&mut w, k);
        let total: u64 = steps.iter().map(|(_, g)| g).sum();
        println!("gas per request lifecycle, redundancy {k}: {steps:?}, total {total}");
        for _ in 0..5 {
            lifecycle_gas(&mut w, k);
        }
        assert_eq!(lifecycle_gas(&mut w, k), steps, "gas does not grow with requests");
    }
}
