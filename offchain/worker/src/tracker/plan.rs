//! Deciding what to do now. A lease that lapses costs part of the bond
//! (H-1), so the worker claims only what it can serve in time after
//! everything it already holds, and gives up a held lease that can no
//! longer make it rather than let it delay the others.

use super::{Action, Phase, Reading, Request, Skip, Tracker};

/// The time the worker plans with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Seconds a lease lasts on the bridge.
    pub lease: u64,
    /// Seconds kept in hand after the last estimated answer (for the
    /// transactions); the backend's estimate already carries a safety
    /// factor per request.
    pub margin: u64,
}

/// A lease we hold, in the order it is served.
struct Held {
    end: u64,
    id: u64,
    slot: u8,
}

impl Tracker {
    /// What to do now, at unix time `now`; `cost(request, input_tokens)` is
    /// the estimated seconds to answer a request (the backend's estimate).
    ///
    /// Held leases are served one after another, the one that ends first
    /// (lease or deadline) first; one that would be answered too late, or
    /// whose prompt cannot be read, is abandoned. A new request is claimed
    /// only once its prompt is ready and answering everything held and it,
    /// in that order, ends before a lease taken now would; one that cannot
    /// make it even alone is skipped, one that waits for room stays new.
    /// Claims come first (they are quick), then the held leases in order.
    pub fn actions(
        &mut self,
        now: u64,
        budget: Budget,
        cost: impl Fn(&Request, u32) -> u64,
    ) -> Vec<Action> {
        self.expire(now, budget.lease);
        let (mut busy_until, held) = self.plan_held(now, budget.margin, &cost);
        // Reveals first: they are quick, and their window is one lease.
        let mut actions: Vec<Action> = self
            .requests
            .iter()
            .filter_map(|(id, t)| match t.phase {
                Phase::Committed { slot } if t.reveal_at != 0 && now >= t.reveal_at => {
                    Some(Action::Reveal { id: *id, slot })
                }
                _ => None,
            })
            .collect();
        for (id, t) in &mut self.requests {
            let Reading::Ready(prompt) = &t.reading else { continue };
            if t.phase != Phase::New {
                continue;
            }
            let end = t.request.deadline.min(now.saturating_add(budget.lease));
            let seconds = cost(&t.request, prompt.input_tokens);
            if now.saturating_add(seconds).saturating_add(budget.margin) >= end {
                t.phase = Phase::Skipped(Skip::NoTime);
            } else if busy_until.saturating_add(seconds).saturating_add(budget.margin) < end {
                busy_until = busy_until.saturating_add(seconds);
                actions.push(Action::Claim(*id));
            }
        }
        actions.extend(held);
        actions
    }

    /// Too late to answer, our lease ran out (anyone may reopen it, and
    /// slash us), or the reveal window (one lease from its opening) closed:
    /// skipped.
    fn expire(&mut self, now: u64, lease: u64) {
        for t in self.requests.values_mut() {
            let over = match t.phase {
                Phase::New => now >= t.request.deadline,
                Phase::Leased { expires, .. } => now >= expires.min(t.request.deadline),
                Phase::Committed { .. } => {
                    t.reveal_at != 0 && now >= t.reveal_at.saturating_add(lease)
                }
                Phase::Delivered | Phase::Skipped(_) => false,
            };
            if over {
                t.phase = Phase::Skipped(Skip::NoTime);
            }
        }
    }

    /// Walks the held leases, earliest end first: returns when the last one
    /// kept would be answered, and the serves and abandons.
    fn plan_held(
        &mut self,
        now: u64,
        margin: u64,
        cost: &impl Fn(&Request, u32) -> u64,
    ) -> (u64, Vec<Action>) {
        let mut held: Vec<Held> = self
            .requests
            .iter()
            .filter_map(|(id, t)| match t.phase {
                Phase::Leased { slot, expires } => {
                    Some(Held { end: expires.min(t.request.deadline), id: *id, slot })
                }
                _ => None,
            })
            .collect();
        held.sort_by_key(|h| (h.end, h.id));
        let mut busy_until = now;
        let mut actions = Vec::new();
        for Held { end, id, slot } in held {
            let Some(t) = self.requests.get_mut(&id) else { continue };
            match &t.reading {
                // Read on the next step; counted at the declared size so
                // that new claims leave it room.
                Reading::Unread => {
                    busy_until =
                        busy_until.saturating_add(cost(&t.request, t.request.input_tokens));
                }
                Reading::Ready(prompt) => {
                    let done = busy_until.saturating_add(cost(&t.request, prompt.input_tokens));
                    if done.saturating_add(margin) < end {
                        busy_until = done;
                        actions.push(Action::Serve { id, slot });
                    } else {
                        t.phase = Phase::Skipped(Skip::Abandoned);
                        actions.push(Action::Abandon { id, slot });
                    }
                }
                Reading::Refused(_) => {
                    t.phase = Phase::Skipped(Skip::Abandoned);
                    actions.push(Action::Abandon { id, slot });
                }
            }
        }
        (busy_until, actions)
    }
}
