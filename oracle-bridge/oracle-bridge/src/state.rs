//! What the bridge stores: requests and their leases.

use alloc::{vec, vec::Vec};

use alloy_primitives::U8;
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageB256, StorageBool, StorageU256, StorageU32, StorageU64, StorageU8,
    },
};

/// Where a request is in its life. Each request ends exactly once, as
/// Settled or Refunded; Open and Disputed hold the escrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// No such request.
    None = 0,
    /// Escrowed and waiting for results.
    Open = 1,
    /// Every slot agreed; providers paid, the rest refunded.
    Settled = 2,
    /// The deadline passed; the escrow went back to the payer.
    Refunded = 3,
    /// Results disagreed: the escrow stays held until the arbiter names the
    /// right output (its providers paid, the others slashed) or, once the
    /// dispute window closes unresolved, anyone refunds the payer.
    Disputed = 4,
}

impl Status {
    /// The status stored as `byte`.
    pub fn from_byte(byte: u8) -> Self {
        match byte {
            1 => Self::Open,
            2 => Self::Settled,
            3 => Self::Refunded,
            4 => Self::Disputed,
            _ => Self::None,
        }
    }

    /// Its stored form.
    pub fn byte(self) -> U8 {
        U8::from(self as u8)
    }
}

/// A request for inference.
#[storage]
pub struct Request {
    pub(crate) payer: StorageAddress,
    pub(crate) callback: StorageAddress,
    pub(crate) model: StorageU32,
    pub(crate) status: StorageU8,
    pub(crate) redundancy: StorageU8,
    pub(crate) results: StorageU8,
    pub(crate) agreeing: StorageU8,
    pub(crate) input_tokens: StorageU32,
    pub(crate) max_output: StorageU32,
    pub(crate) deadline: StorageU64,
    /// When a dispute's window closes (zero unless disputed).
    pub(crate) dispute_end: StorageU64,
    pub(crate) escrow: StorageU64,
    /// Prices in force when the request was made.
    pub(crate) price_in: StorageU256,
    pub(crate) price_out: StorageU256,
    /// The first result's hash; the agreed (or arbitrated) hash once
    /// settled. The output itself is in the `Fulfilled` event and the
    /// callback, not in storage: 8 KiB would cost 256 storage slots.
    pub(crate) output_hash: StorageB256,
    /// The usage record charged under a policy (zero when none).
    pub(crate) usage_key: StorageB256,
    pub(crate) usage_period: StorageU64,
}

/// One slot of a request: who holds it, until when, and what it delivered.
#[storage]
pub struct Lease {
    pub(crate) provider: StorageAddress,
    pub(crate) expires: StorageU64,
    pub(crate) done: StorageBool,
    pub(crate) result: StorageB256,
    pub(crate) input_tokens: StorageU32,
    pub(crate) output_tokens: StorageU32,
}
