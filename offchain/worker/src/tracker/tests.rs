use alloy::primitives::{Address, Bytes, B256};
use proptest::prelude::*;

use super::*;

const ME: Address = Address::repeat_byte(0xAA);
const OTHER: Address = Address::repeat_byte(0xBB);

fn request(id: u64, model: u32, block: u64) -> Event {
    Event::Requested(Box::new(Request {
        id,
        model,
        payer: Address::ZERO,
        requester: Address::ZERO,
        input_tokens: 10,
        max_output_tokens: 50,
        deadline: 1_000,
        redundancy: 1,
        prompt: Bytes::from_static(b"hi"),
        prompt_hash: B256::ZERO,
        prompt_uri: Bytes::new(),
        encrypted: false,
        requester_key: B256::ZERO,
        block,
    }))
}

#[test]
fn happy_path_claim_serve_deliver_end() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(7, 1, 3));
    assert_eq!(t.actions(100, |_, _| true), vec![Action::Claim(7)]);
    t.apply(&Event::LeaseClaimed { id: 7, slot: 0, provider: ME, expires: 400 });
    assert_eq!(t.actions(100, |_, _| true), vec![Action::Serve { id: 7, slot: 0 }]);
    t.apply(&Event::Fulfilled { id: 7, slot: 0, provider: ME });
    assert!(t.actions(100, |_, _| true).is_empty());
    assert_eq!(t.open_from(), Some(3));
    t.apply(&Event::Ended { id: 7 });
    assert!(t.is_empty());
}

#[test]
fn other_models_slow_answers_and_taken_slots_are_skipped() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 2, 1));
    t.apply(&request(2, 1, 1));
    t.apply(&request(3, 1, 1));
    t.apply(&Event::LeaseClaimed { id: 3, slot: 0, provider: OTHER, expires: 400 });
    let actions = t.actions(100, |r, _| r.id != 2);
    assert!(actions.is_empty(), "{actions:?}");
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::OtherModel));
    assert_eq!(t.get(2).unwrap().1, Phase::Skipped(Skip::NoTime));
    assert_eq!(t.get(3).unwrap().1, Phase::Skipped(Skip::SlotsTaken));
    // The other provider's lease lapses: the slot is free again.
    t.apply(&Event::LeaseReopened { id: 3, slot: 0, provider: OTHER });
    assert_eq!(t.actions(100, |_, _| true), vec![Action::Claim(3)]);
}

#[test]
fn an_expired_lease_or_deadline_stops_serving() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 1, 1));
    t.apply(&Event::LeaseClaimed { id: 1, slot: 0, provider: ME, expires: 400 });
    assert!(t.actions(400, |_, _| true).is_empty());
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::NoTime));
    t.apply(&request(2, 1, 1));
    assert!(t.actions(1_000, |_, _| true).is_empty(), "past the deadline");
}

#[test]
fn a_reorg_forgets_later_requests_and_reading_twice_changes_nothing() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 1, 5));
    t.apply(&request(2, 1, 9));
    t.apply(&Event::LeaseClaimed { id: 1, slot: 0, provider: ME, expires: 400 });
    t.apply(&request(1, 1, 5));
    assert_eq!(t.get(1).unwrap().1, Phase::Leased { slot: 0, expires: 400 });
    t.forget_after(8);
    assert!(t.get(2).is_none());
    assert!(t.get(1).is_some());
}

fn event() -> impl Strategy<Value = Event> {
    let id = 0u64..6;
    prop_oneof![
        (id.clone(), 0u64..20).prop_map(|(id, b)| request(id, 1, b)),
        (id.clone(), any::<bool>(), 100u64..600).prop_map(|(id, mine, expires)| {
            Event::LeaseClaimed { id, slot: 0, provider: if mine { ME } else { OTHER }, expires }
        }),
        (id.clone(), any::<bool>()).prop_map(|(id, mine)| Event::LeaseReopened {
            id,
            slot: 0,
            provider: if mine { ME } else { OTHER }
        }),
        (id.clone(), any::<bool>()).prop_map(|(id, mine)| Event::Fulfilled {
            id,
            slot: 0,
            provider: if mine { ME } else { OTHER }
        }),
        id.prop_map(|id| Event::Ended { id }),
    ]
}

proptest! {
    /// Whatever the events: we never serve a request we do not hold a live
    /// lease on, never claim one we hold or delivered, never act on an
    /// ended one or after the deadline, and reading every event twice (a
    /// block read again after a rewind) leaves the same decisions.
    #[test]
    fn actions_are_safe(events in proptest::collection::vec(event(), 0..40), now in 0u64..1_200) {
        let mut t = Tracker::new(ME, 1);
        let mut ended = std::collections::BTreeSet::new();
        for e in &events {
            t.apply(e);
            match e {
                Event::Ended { id } => { ended.insert(*id); }
                Event::Requested(r) => { ended.remove(&r.id); }
                _ => {}
            }
        }
        let mut twice = Tracker::new(ME, 1);
        for e in &events {
            twice.apply(e);
            twice.apply(e);
        }
        for id in 0..6 {
            prop_assert_eq!(t.get(id).map(|(_, p)| p), twice.get(id).map(|(_, p)| p));
        }
        let actions = t.actions(now, |_, _| true);
        for a in &actions {
            match *a {
                Action::Claim(id) => {
                    let (r, phase) = t.get(id).unwrap();
                    prop_assert_eq!(phase, Phase::New);
                    prop_assert!(now < r.deadline);
                    prop_assert!(!ended.contains(&id));
                }
                Action::Serve { id, .. } => {
                    let (r, phase) = t.get(id).unwrap();
                    let Phase::Leased { expires, .. } = phase else { panic!("serving without a lease") };
                    prop_assert!(now < expires && now < r.deadline);
                }
            }
        }
    }
}
