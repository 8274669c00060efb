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
        providers: Vec::new(),
        block,
    }))
}

const BUDGET: Budget = Budget { lease: 300, margin: 5 };

/// Every request takes 10 s.
fn ten(_: &Request, _: u32) -> u64 {
    10
}

fn prompt() -> Prompt {
    Prompt { user: "hi".into(), input_tokens: 10 }
}

/// Reads every unread prompt, as the service does before deciding.
fn read_all(t: &mut Tracker) {
    for r in t.unread() {
        t.set_prompt(r.id, prompt());
    }
}

#[test]
fn happy_path_claim_serve_deliver_end() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(7, 1, 3));
    assert!(t.actions(100, BUDGET, ten).is_empty(), "nothing is claimed before its prompt is read");
    assert_eq!(t.unread().iter().map(|r| r.id).collect::<Vec<_>>(), vec![7]);
    read_all(&mut t);
    assert!(t.unread().is_empty());
    assert_eq!(t.actions(100, BUDGET, ten), vec![Action::Claim(7)]);
    t.apply(&Event::LeaseClaimed { id: 7, slot: 0, provider: ME, expires: 400 });
    assert_eq!(t.actions(100, BUDGET, ten), vec![Action::Serve { id: 7, slot: 0 }]);
    assert_eq!(t.prompt(7), Some(&prompt()));
    t.apply(&Event::Fulfilled { id: 7, slot: 0, provider: ME });
    assert!(t.actions(100, BUDGET, ten).is_empty());
    assert_eq!(t.open_from(), Some(3));
    t.apply(&Event::Ended { id: 7 });
    assert!(t.is_empty());
}

#[test]
fn m4_a_redundant_request_is_committed_then_revealed_once_reveals_open() {
    let mut t = Tracker::new(ME, 1);
    let Event::Requested(mut r) = request(9, 1, 3) else { unreachable!() };
    r.redundancy = 3;
    t.apply(&Event::Requested(r));
    read_all(&mut t);
    assert_eq!(t.actions(100, BUDGET, ten), vec![Action::Claim(9)]);
    t.apply(&Event::LeaseClaimed { id: 9, slot: 1, provider: ME, expires: 400 });
    assert_eq!(t.actions(100, BUDGET, ten), vec![Action::Serve { id: 9, slot: 1 }]);
    // Another provider committed first: reveals open at 410.
    t.apply(&Event::Committed { id: 9, slot: 0, provider: OTHER, reveal_at: 410 });
    t.apply(&Event::Committed { id: 9, slot: 1, provider: ME, reveal_at: 410 });
    assert_eq!(t.get(9).unwrap().1, Phase::Committed { slot: 1 });
    assert!(t.has_leases(), "an answer to reveal keeps a shutdown waiting");
    assert!(t.actions(200, BUDGET, ten).is_empty(), "not before reveals open");
    // The last commitment opens reveals at once.
    t.apply(&Event::Committed { id: 9, slot: 2, provider: OTHER, reveal_at: 250 });
    assert_eq!(t.actions(250, BUDGET, ten), vec![Action::Reveal { id: 9, slot: 1 }]);
    // The reveal window is one lease: after it, nothing is left to do.
    assert!(t.actions(250 + 300, BUDGET, ten).is_empty());
    assert_eq!(t.get(9).unwrap().1, Phase::Skipped(Skip::NoTime));
}

#[test]
fn other_models_slow_answers_and_taken_slots_are_skipped() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 2, 1));
    t.apply(&request(2, 1, 1));
    t.apply(&request(3, 1, 1));
    t.apply(&Event::LeaseClaimed { id: 3, slot: 0, provider: OTHER, expires: 400 });
    read_all(&mut t);
    let slow = |r: &Request, _| if r.id == 2 { 1_000 } else { 10 };
    let actions = t.actions(100, BUDGET, slow);
    assert!(actions.is_empty(), "{actions:?}");
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::OtherModel));
    assert_eq!(t.get(2).unwrap().1, Phase::Skipped(Skip::NoTime));
    assert_eq!(t.get(3).unwrap().1, Phase::Skipped(Skip::SlotsTaken));
    // The other provider's lease lapses: the slot is free again.
    t.apply(&Event::LeaseReopened { id: 3, slot: 0, provider: OTHER });
    read_all(&mut t);
    assert_eq!(t.actions(100, BUDGET, ten), vec![Action::Claim(3)]);
}

#[test]
fn an_expired_lease_or_deadline_stops_serving() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 1, 1));
    t.apply(&Event::LeaseClaimed { id: 1, slot: 0, provider: ME, expires: 400 });
    read_all(&mut t);
    assert!(t.actions(400, BUDGET, ten).is_empty());
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::NoTime));
    t.apply(&request(2, 1, 1));
    read_all(&mut t);
    assert!(t.actions(1_000, BUDGET, ten).is_empty(), "past the deadline");
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
        let before: Vec<_> = (0..6).map(|id| t.get(id).map(|(_, p)| p)).collect();
        read_all(&mut t);
        let actions = t.actions(now, BUDGET, ten);
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
                Action::Reveal { id, .. } => {
                    let phase = t.get(id).unwrap().1;
                    prop_assert!(matches!(phase, Phase::Committed { .. }), "{phase:?}");
                }
                Action::Abandon { id, .. } => {
                    let held = before[usize::try_from(id).unwrap()];
                    prop_assert!(matches!(held, Some(Phase::Leased { .. })), "{held:?}");
                    prop_assert_eq!(t.get(id).unwrap().1, Phase::Skipped(Skip::Abandoned));
                }
            }
        }
    }
}

#[test]
fn h1_claims_only_what_it_can_serve_within_a_lease() {
    let mut t = Tracker::new(ME, 1);
    for id in 1..=40 {
        t.apply(&request(id, 1, 1));
    }
    read_all(&mut t);
    // 10 s each, 5 s margin, a 100 s lease: nine fit one after another.
    let budget = Budget { lease: 100, margin: 5 };
    let claims = t.actions(0, budget, ten);
    assert_eq!(claims, (1..=9).map(Action::Claim).collect::<Vec<_>>());
    for id in 1..=9 {
        t.apply(&Event::LeaseClaimed { id, slot: 0, provider: ME, expires: 100 });
    }
    assert_eq!(t.get(10).unwrap().1, Phase::New, "waits for room, not skipped");
    // Held leases come first: nothing more fits until some are served.
    let actions = t.actions(0, budget, ten);
    assert_eq!(actions, (1..=9).map(|id| Action::Serve { id, slot: 0 }).collect::<Vec<_>>());
    for id in 1..=5 {
        t.apply(&Event::Fulfilled { id, slot: 0, provider: ME });
    }
    // 50 s later, four held (40 s of work): a lease taken now ends at 150,
    // so five more fit after them.
    let actions = t.actions(50, budget, ten);
    let claims: Vec<_> = actions.iter().filter(|a| matches!(a, Action::Claim(_))).collect();
    assert_eq!(claims, (10..=14).map(Action::Claim).collect::<Vec<_>>().iter().collect::<Vec<_>>());
}

#[test]
fn h1_a_held_lease_that_can_no_longer_make_it_is_abandoned() {
    let mut t = Tracker::new(ME, 1);
    for (id, expires) in [(1, 40), (2, 30), (3, 200)] {
        t.apply(&request(id, 1, 1));
        t.apply(&Event::LeaseClaimed { id, slot: 0, provider: ME, expires });
    }
    read_all(&mut t);
    // Earliest end first: #2 (ends 30) is done at 10, #1 (ends 40) at 20,
    // #3 at 30. A slower model (20 s each) finishes #1 at 40: too late.
    assert_eq!(
        t.actions(0, BUDGET, ten),
        vec![
            Action::Serve { id: 2, slot: 0 },
            Action::Serve { id: 1, slot: 0 },
            Action::Serve { id: 3, slot: 0 }
        ]
    );
    let actions = t.actions(0, BUDGET, |_, _| 20);
    assert_eq!(
        actions,
        vec![
            Action::Serve { id: 2, slot: 0 },
            Action::Abandon { id: 1, slot: 0 },
            Action::Serve { id: 3, slot: 0 }
        ]
    );
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::Abandoned));
    assert!(!t.actions(0, BUDGET, |_, _| 20).contains(&Action::Abandon { id: 1, slot: 0 }), "once");
}

#[test]
fn h1_unreadable_prompts_are_never_claimed_and_held_ones_are_abandoned() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 1, 1));
    t.apply(&request(2, 1, 1));
    t.apply(&Event::LeaseClaimed { id: 2, slot: 0, provider: ME, expires: 400 });
    t.refuse(1, Skip::Unreadable);
    t.refuse(2, Skip::Unreadable);
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::Unreadable));
    assert!(t.unread().is_empty());
    assert_eq!(t.actions(100, BUDGET, ten), vec![Action::Abandon { id: 2, slot: 0 }]);
    assert!(t.actions(100, BUDGET, ten).is_empty());
}

#[test]
fn i3_an_under_declared_request_is_skipped() {
    let mut t = Tracker::new(ME, 1);
    t.apply(&request(1, 1, 1));
    t.refuse(1, Skip::UnderDeclared);
    assert!(t.actions(100, BUDGET, ten).is_empty());
    assert_eq!(t.get(1).unwrap().1, Phase::Skipped(Skip::UnderDeclared));
}
