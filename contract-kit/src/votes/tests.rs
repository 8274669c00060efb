//! The checkpoints and delegations against a model of holdings: after any
//! sequence of mints, burns, transfers and delegations in time, every past
//! lookup returns what the model held then, and the delegates' votes add up
//! to the supply.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use motsu::prelude::*;
use proptest::prelude::*;
use stylus_sdk::prelude::*;

use super::{ERC5805FutureLookup, Votes, VotesError};

unsafe impl TopLevelStorage for Votes {}

#[public]
impl Votes {}

const T0: u64 = 1_800_000_000;

fn account(i: u8) -> Address {
    Address::repeat_byte(i + 1)
}

#[motsu::test]
fn a_member_votes_for_itself_until_it_delegates_and_past_votes_stay(
    votes: Contract<Votes>,
    alice: Address,
) {
    let (a, b) = (account(0), account(1));
    let mut v = votes.sender(alice);
    v.transfer_units(Address::ZERO, a, U256::from(2), T0).unwrap();
    assert_eq!((v.delegates(a), v.get_votes(a)), (a, U256::from(2)));
    v.delegate(a, b, U256::from(2), T0 + 10).unwrap();
    assert_eq!((v.get_votes(a), v.get_votes(b)), (U256::ZERO, U256::from(2)));
    assert_eq!(v.get_past_votes(a, U256::from(T0 + 9), T0 + 11).unwrap(), U256::from(2));
    assert_eq!(v.get_past_votes(b, U256::from(T0 + 10), T0 + 11).unwrap(), U256::from(2));
    // Delegating to oneself (or to zero) returns the votes.
    v.delegate(a, Address::ZERO, U256::from(2), T0 + 20).unwrap();
    assert_eq!((v.delegates(a), v.get_votes(a)), (a, U256::from(2)));
    let future = v.get_past_total_supply(U256::from(T0 + 20), T0 + 20).unwrap_err();
    assert!(matches!(future, VotesError::FutureLookup(ERC5805FutureLookup { .. })));
}

#[motsu::test]
fn the_clock_going_back_is_refused(votes: Contract<Votes>, alice: Address) {
    let mut v = votes.sender(alice);
    v.transfer_units(Address::ZERO, account(0), U256::from(1), T0).unwrap();
    let back = v.transfer_units(Address::ZERO, account(0), U256::from(1), T0 - 1).unwrap_err();
    assert!(matches!(back, VotesError::Unordered(_)));
}

#[motsu::test]
fn a_nonce_is_used_once(votes: Contract<Votes>, alice: Address) {
    let mut v = votes.sender(alice);
    v.use_nonce(alice, U256::ZERO).unwrap();
    assert!(matches!(v.use_nonce(alice, U256::ZERO), Err(VotesError::InvalidNonce(_))));
    assert_eq!(v.nonces(alice), U256::from(1));
}

#[derive(Debug, Clone)]
enum Op {
    Mint(u8, u8),
    Burn(u8, u8),
    Transfer(u8, u8, u8),
    Delegate(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 1u8..4).prop_map(|(a, n)| Op::Mint(a, n)),
        (0u8..5, 1u8..4).prop_map(|(a, n)| Op::Burn(a, n)),
        (0u8..5, 0u8..5, 1u8..4).prop_map(|(a, b, n)| Op::Transfer(a, b, n)),
        (0u8..5, 0u8..6).prop_map(|(a, d)| Op::Delegate(a, d)),
    ]
}

/// Holdings and delegations, kept plainly.
#[derive(Default, Clone)]
struct Model {
    held: BTreeMap<u8, u64>,
    delegate: BTreeMap<u8, u8>,
}

impl Model {
    fn votes_of(&self, who: u8) -> u64 {
        self.held
            .iter()
            .filter(|(a, _)| self.delegate.get(a).copied().unwrap_or(**a) == who)
            .map(|(_, n)| n)
            .sum()
    }
    fn total(&self) -> u64 {
        self.held.values().sum()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any history: the votes of all accounts sum to the supply, now and at
    /// every past second, and each account's past votes are what it was
    /// delegated then (never more than the units delegated to it).
    #[test]
    fn past_votes_and_supply_match_the_history(steps in proptest::collection::vec((op(), 0u64..3), 1..30)) {
        let votes = Contract::<Votes>::new();
        let caller = Address::repeat_byte(0xcc);
        let mut model = Model::default();
        let mut history: Vec<(u64, Model)> = Vec::new();
        let mut now = T0;
        for (step, gap) in steps {
            now += gap;
            let mut v = votes.sender(caller);
            match step {
                Op::Mint(a, n) => {
                    v.transfer_units(Address::ZERO, account(a), U256::from(n), now).unwrap();
                    *model.held.entry(a).or_default() += u64::from(n);
                }
                Op::Burn(a, n) => {
                    let n = u64::from(n).min(model.held.get(&a).copied().unwrap_or(0));
                    v.transfer_units(account(a), Address::ZERO, U256::from(n), now).unwrap();
                    *model.held.entry(a).or_default() -= n;
                }
                Op::Transfer(a, b, n) => {
                    let n = u64::from(n).min(model.held.get(&a).copied().unwrap_or(0));
                    v.transfer_units(account(a), account(b), U256::from(n), now).unwrap();
                    *model.held.entry(a).or_default() -= n;
                    *model.held.entry(b).or_default() += n;
                }
                Op::Delegate(a, d) => {
                    let units = U256::from(model.held.get(&a).copied().unwrap_or(0));
                    let to = if d == 5 { Address::ZERO } else { account(d) };
                    v.delegate(account(a), to, units, now).unwrap();
                    if d == 5 || d == a { model.delegate.remove(&a); } else { model.delegate.insert(a, d); }
                }
            }
            history.retain(|(t, _)| *t != now);
            history.push((now, model.clone()));
            let sum: U256 = (0..6).map(|i| v.get_votes(account(i))).sum();
            prop_assert_eq!(sum, U256::from(model.total()));
            prop_assert_eq!(v.total_supply(), U256::from(model.total()));
        }
        let later = now + 1;
        let v = votes.sender(caller);
        for (t, then) in &history {
            prop_assert_eq!(v.get_past_total_supply(U256::from(*t), later).unwrap(), U256::from(then.total()));
            for i in 0..6 {
                let got = v.get_past_votes(account(i), U256::from(*t), later).unwrap();
                prop_assert_eq!(got, U256::from(then.votes_of(i)));
            }
        }
    }
}
