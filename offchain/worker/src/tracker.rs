//! The per-request state machine, fed by the bridge's events.
//!
//! It only decides; the service acts (claims, runs the model, fulfils) and
//! reports back. What it knows comes from logs, which a restart reads again
//! from the earliest open request, so it is rebuilt from the chain rather
//! than trusted from disk; before any transaction the service still checks
//! the chain's views, and the bridge itself rejects a second fulfilment.
//!
//! ```text
//!            Requested                 claim mined              fulfil mined
//!  (none) ─────────────▶ New ─────────────────────▶ Leased ─────────────────▶ Delivered
//!                                                     │ k > 1: commit mined    ▲
//!                                                     └──────▶ Committed ──────┘ reveal (fulfil
//!                                                                              with the salt) once
//!                                                                              reveals open
//!                         │  ▲   LeaseReopened (ours)  │                          │
//!                         │  └─────────────────────────┤ falls behind             │ Ended
//!                         │ unreadable / under-declared / cannot serve in time /  ▼ (Abandon)
//!                         │ slots full / closed                                  Skipped ...
//!                         └──────────────────────────────────────────▶ Skipped   (removed)
//! ```
//!
//! A request is claimed only once its prompt has been read, opened,
//! decoded and counted ([`Prompt`], kept here so it is read once), and only
//! while everything already held, served one after another, still ends
//! before its lease does ([`Tracker::actions`], in `plan`).

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, Bytes, B256};

/// A request as the bridge announced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its id.
    pub id: u64,
    /// The model asked.
    pub model: u32,
    /// Who pays.
    pub payer: Address,
    /// Who sent the request.
    pub requester: Address,
    /// Prompt tokens the requester declared.
    pub input_tokens: u32,
    /// Most answer tokens paid for.
    pub max_output_tokens: u32,
    /// Unix time after which it cannot be fulfilled.
    pub deadline: u64,
    /// How many providers must agree.
    pub redundancy: u8,
    /// The inline prompt (sealed when `encrypted`), or empty.
    pub prompt: Bytes,
    /// The prompt's hash when given by URI.
    pub prompt_hash: B256,
    /// Where the prompt is when not inline.
    pub prompt_uri: Bytes,
    /// Whether the prompt is sealed to the provider and the answer must be
    /// sealed to `requester_key`.
    pub encrypted: bool,
    /// The requester's X25519 key for a sealed answer.
    pub requester_key: B256,
    /// The providers the request names, one per slot (empty: anyone).
    pub providers: Vec<Address>,
    /// The block of the `Requested` event.
    pub block: u64,
}

/// One of the bridge's events, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new request.
    Requested(Box<Request>),
    /// `provider` holds slot `slot` of request `id` until `expires`.
    LeaseClaimed {
        /// The request.
        id: u64,
        /// The slot.
        slot: u8,
        /// Who claimed it.
        provider: Address,
        /// When the lease ends.
        expires: u64,
    },
    /// The lease of `provider` on slot `slot` lapsed and was reopened, or
    /// was handed back (`LeaseAbandoned`).
    LeaseReopened {
        /// The request.
        id: u64,
        /// The slot.
        slot: u8,
        /// Whose lease it was.
        provider: Address,
    },
    /// `provider` delivered slot `slot`.
    Fulfilled {
        /// The request.
        id: u64,
        /// The slot.
        slot: u8,
        /// Who delivered.
        provider: Address,
    },
    /// `provider` committed to a hidden answer on slot `slot`; reveals open
    /// at `reveal_at` (redundancy above one).
    Committed {
        /// The request.
        id: u64,
        /// The slot.
        slot: u8,
        /// Who committed.
        provider: Address,
        /// When reveals open (as the bridge says after this commitment).
        reveal_at: u64,
    },
    /// The request is settled, refunded or disputed.
    Ended {
        /// The request.
        id: u64,
    },
}

/// Where a tracked request stands for this worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Seen; not claimed by us.
    New,
    /// We hold `slot` until `expires`.
    Leased {
        /// Our slot.
        slot: u8,
        /// When our lease ends.
        expires: u64,
    },
    /// We committed to our answer on `slot` (redundancy above one) and
    /// reveal it once reveals open.
    Committed {
        /// Our slot.
        slot: u8,
    },
    /// We delivered; waiting for the request to end.
    Delivered,
    /// We will not serve it.
    Skipped(Skip),
}

/// Why a request is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Another model than the one served.
    OtherModel,
    /// The model could not answer before the lease or the deadline ends.
    NoTime,
    /// Every slot is leased or delivered by others.
    SlotsTaken,
    /// The chain refused the claim or the fulfilment.
    Refused,
    /// The prompt could not be read: its URI does not answer or does not
    /// match its hash, it is sealed to another key or context, or it is
    /// not UTF-8.
    Unreadable,
    /// The requester declared fewer input tokens than the prompt takes.
    UnderDeclared,
    /// The sealed prompt's `enc` was already seen in another request.
    Replayed,
    /// Held, but it could no longer be served before its lease ends.
    Abandoned,
    /// The request names other providers.
    NotNamed,
}

/// A prompt read, opened, decoded and counted before any claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The user's message, as the model gets it.
    pub user: String,
    /// Its tokens after the chat template (what the worker runs and reports).
    pub input_tokens: u32,
}

/// What is known of a tracked request's prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    /// Not read yet (or reading failed for a reason that may pass).
    Unread,
    /// Ready to run.
    Ready(Prompt),
    /// Never to be served, for this reason.
    Refused(Skip),
}

/// What the service should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Claim a lease on request `id`.
    Claim(u64),
    /// Answer request `id` in our `slot`.
    Serve {
        /// The request.
        id: u64,
        /// Our slot.
        slot: u8,
    },
    /// Reveal our committed answer on `slot` of request `id`: reveals are
    /// open.
    Reveal {
        /// The request.
        id: u64,
        /// Our slot.
        slot: u8,
    },
    /// Give back our lease on `slot` of request `id`: it can no longer be
    /// served before the lease ends.
    Abandon {
        /// The request.
        id: u64,
        /// Our slot.
        slot: u8,
    },
}

#[derive(Debug, Clone)]
struct Tracked {
    request: Request,
    phase: Phase,
    /// Slots others hold or delivered (a set, so that reading an event
    /// twice counts it once).
    taken: BTreeSet<u8>,
    reading: Reading,
    /// When reveals open (zero before any commitment).
    reveal_at: u64,
}

/// Every request this worker still cares about.
#[derive(Debug, Clone)]
pub struct Tracker {
    me: Address,
    model: u32,
    requests: BTreeMap<u64, Tracked>,
}

impl Tracker {
    /// A tracker for the provider `me` serving `model`.
    pub fn new(me: Address, model: u32) -> Self {
        Self { me, model, requests: BTreeMap::new() }
    }

    /// Applies one event (idempotent: reading a block twice changes nothing).
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Requested(request) => {
                let named = &request.providers;
                let phase = if request.model != self.model {
                    Phase::Skipped(Skip::OtherModel)
                } else if !named.is_empty() && !named.contains(&self.me) {
                    Phase::Skipped(Skip::NotNamed)
                } else {
                    Phase::New
                };
                self.requests.entry(request.id).or_insert_with(|| Tracked {
                    request: (**request).clone(),
                    phase,
                    taken: BTreeSet::new(),
                    reading: Reading::Unread,
                    reveal_at: 0,
                });
            }
            Event::LeaseClaimed { id, slot, provider, expires } => {
                let me = self.me;
                if let Some(t) = self.requests.get_mut(id) {
                    if *provider == me {
                        if !matches!(t.phase, Phase::Delivered) {
                            t.phase = Phase::Leased { slot: *slot, expires: *expires };
                        }
                    } else {
                        t.taken.insert(*slot);
                        if t.phase == Phase::New
                            && t.taken.len() >= usize::from(t.request.redundancy)
                        {
                            t.phase = Phase::Skipped(Skip::SlotsTaken);
                        }
                    }
                }
            }
            Event::LeaseReopened { id, slot, provider } => {
                let me = self.me;
                if let Some(t) = self.requests.get_mut(id) {
                    // A lease it handed back itself stays given up.
                    if *provider == me && t.phase != Phase::Skipped(Skip::Abandoned) {
                        t.phase = Phase::New;
                    } else {
                        t.taken.remove(slot);
                        if t.phase == Phase::Skipped(Skip::SlotsTaken) {
                            t.phase = Phase::New;
                        }
                    }
                }
            }
            Event::Fulfilled { id, provider, .. } => {
                if *provider == self.me {
                    if let Some(t) = self.requests.get_mut(id) {
                        t.phase = Phase::Delivered;
                    }
                }
            }
            Event::Committed { id, slot, provider, reveal_at } => {
                if let Some(t) = self.requests.get_mut(id) {
                    // Each commitment carries the request's current time;
                    // the last one read is the latest.
                    t.reveal_at = *reveal_at;
                    if *provider == self.me && !matches!(t.phase, Phase::Delivered) {
                        t.phase = Phase::Committed { slot: *slot };
                    }
                }
            }
            Event::Ended { id } => {
                self.requests.remove(id);
            }
        }
    }

    /// Forgets requests first seen after `block` (their blocks were
    /// replaced by a reorg; reading again brings back those that remain).
    pub fn forget_after(&mut self, block: u64) {
        self.requests.retain(|_, t| t.request.block <= block);
    }

    /// Requests whose prompt is still to be read: new ones, and leases
    /// held without it (after a restart), earliest first.
    pub fn unread(&self) -> Vec<Request> {
        self.requests
            .values()
            .filter(|t| matches!(t.phase, Phase::New | Phase::Leased { .. }))
            .filter(|t| t.reading == Reading::Unread)
            .map(|t| t.request.clone())
            .collect()
    }

    /// Records request `id`'s prompt, read and counted.
    pub fn set_prompt(&mut self, id: u64, prompt: Prompt) {
        if let Some(t) = self.requests.get_mut(&id) {
            t.reading = Reading::Ready(prompt);
        }
    }

    /// Records that request `id` will never be served, for `why`. A new
    /// request is skipped at once; a held lease is abandoned by the next
    /// [`Tracker::actions`].
    pub fn refuse(&mut self, id: u64, why: Skip) {
        if let Some(t) = self.requests.get_mut(&id) {
            t.reading = Reading::Refused(why);
            if t.phase == Phase::New {
                t.phase = Phase::Skipped(why);
            }
        }
    }

    /// Request `id`'s prompt, once read.
    pub fn prompt(&self, id: u64) -> Option<&Prompt> {
        match &self.requests.get(&id)?.reading {
            Reading::Ready(prompt) => Some(prompt),
            Reading::Unread | Reading::Refused(_) => None,
        }
    }

    /// Records the outcome of an action the service took.
    pub fn set_phase(&mut self, id: u64, phase: Phase) {
        if let Some(t) = self.requests.get_mut(&id) {
            t.phase = phase;
        }
    }

    /// A tracked request.
    pub fn get(&self, id: u64) -> Option<(&Request, Phase)> {
        self.requests.get(&id).map(|t| (&t.request, t.phase))
    }

    /// The earliest block of a request not yet ended (where a restart
    /// reads from).
    pub fn open_from(&self) -> Option<u64> {
        self.requests.values().map(|t| t.request.block).min()
    }

    /// Whether we hold a lease we have not delivered on (or an answer not
    /// yet revealed).
    pub fn has_leases(&self) -> bool {
        self.requests
            .values()
            .any(|t| matches!(t.phase, Phase::Leased { .. } | Phase::Committed { .. }))
    }

    /// How many requests are tracked.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }
}

mod plan;
pub use plan::Budget;

#[cfg(test)]
mod tests;
