//! A session's record: seven storage slots written once at open, a few
//! updated at accept and close, none per message.

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U96, U256};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageB256, StorageU32, StorageU64, StorageU8, StorageU96},
};

/// Where a session is in its life.
pub mod phase {
    /// No such session.
    pub const NONE: u8 = 0;
    /// Opened; no provider has accepted it yet.
    pub const OPEN: u8 = 1;
    /// A provider accepted it and serves it.
    pub const ACTIVE: u8 = 2;
    /// One side closed it; the other may answer until the window ends.
    pub const CLOSING: u8 = 3;
    /// Settled through the ledger, once.
    pub const SETTLED: u8 = 4;
}

/// Which side acted.
pub mod side {
    /// Nobody yet, or anyone (a close after expiry by a third party).
    pub const ANYONE: u8 = 0;
    /// The payer or the requester that opened the session.
    pub const PAYER: u8 = 1;
    /// The provider that accepted it.
    pub const PROVIDER: u8 = 2;
}

/// One session. Fields are grouped so that each line is one slot.
#[storage]
pub struct Session {
    pub(crate) payer: StorageAddress,
    pub(crate) escrow: StorageU64,
    pub(crate) model: StorageU32,

    pub(crate) requester: StorageAddress,
    pub(crate) expires: StorageU64,
    pub(crate) phase: StorageU8,
    pub(crate) closer: StorageU8,

    pub(crate) provider: StorageAddress,
    pub(crate) closes_at: StorageU64,

    pub(crate) key: StorageAddress,
    pub(crate) cap: StorageU96,

    pub(crate) price_in: StorageU96,
    pub(crate) price_out: StorageU96,
    pub(crate) seq: StorageU64,

    pub(crate) cost: StorageU96,
    pub(crate) usage_period: StorageU64,

    pub(crate) usage_key: StorageB256,
}

impl Session {
    /// The session's phase.
    pub(crate) fn phase(&self) -> u8 {
        self.phase.get().to()
    }

    /// The escrowed cap.
    pub(crate) fn cap(&self) -> U256 {
        U256::from(self.cap.get())
    }

    /// Credits per input and per output token, as priced at open.
    pub(crate) fn prices(&self) -> (U256, U256) {
        (U256::from(self.price_in.get()), U256::from(self.price_out.get()))
    }

    /// The cost of the newest receipt presented.
    pub(crate) fn cost(&self) -> U256 {
        U256::from(self.cost.get())
    }

    /// Stores `cost` (at most the cap, so it fits 96 bits).
    pub(crate) fn set_cost(&mut self, cost: U256) {
        self.cost.set(U96::saturating_from(cost));
    }
}
