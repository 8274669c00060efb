//! What the bridge stores: requests and their leases, packed so that a
//! request with one slot writes three fresh storage slots and its lease one.

use alloc::{vec, vec::Vec};

use alloy_primitives::U8;
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageB256, StorageU32, StorageU64, StorageU8, StorageU96, StorageUint,
    },
};

/// A timestamp in storage: 40 bits reach the year 36812.
pub(crate) type StorageTime = StorageUint<40, 1>;

/// Where a request is in its life. Each request ends exactly once, as
/// Settled or Refunded; Open and Disputed hold the escrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// No such request.
    None = 0,
    /// Escrowed and waiting for results.
    Open = 1,
    /// A majority of the slots agreed (or the arbiter ruled); the providers
    /// that gave the agreed answer were paid, the rest refunded.
    Settled = 2,
    /// Nobody was paid; the escrow went back to the payer.
    Refunded = 3,
    /// Results were revealed but no majority agreed: the escrow stays held
    /// until the arbiter names the right output or, once the dispute window
    /// closes unresolved, anyone refunds the payer.
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

/// Where one slot of a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Phase {
    /// Nobody holds it; any eligible provider may claim it.
    Free = 0,
    /// Reserved for the provider the request names; only it may claim.
    Named = 1,
    /// Claimed: the holder must deliver (k = 1) or commit (k >= 2) before
    /// the lease expires, or hand it back.
    Leased = 2,
    /// The holder committed to a hidden answer and must reveal it.
    Committed = 3,
    /// The answer is in.
    Revealed = 4,
}

impl Phase {
    /// The phase stored as `byte`.
    pub fn from_byte(byte: u8) -> Self {
        match byte {
            1 => Self::Named,
            2 => Self::Leased,
            3 => Self::Committed,
            4 => Self::Revealed,
            _ => Self::Free,
        }
    }

    /// Its stored form.
    pub fn byte(self) -> U8 {
        U8::from(self as u8)
    }
}

/// Request flag: the prompt is sealed to the named provider's key.
pub(crate) const SEALED: u8 = 1;
/// Request flag: only the providers named in the request may claim it.
pub(crate) const NAMED: u8 = 2;

/// A request for inference. Fields are ordered so that they pack: payer to
/// deadline share one slot, callback to input tokens a second, the prices
/// and counters a third; the fourth is written only for redundant, disputed
/// or policy-charged requests.
#[storage]
pub struct Request {
    pub(crate) payer: StorageAddress,
    pub(crate) model: StorageU32,
    pub(crate) status: StorageU8,
    pub(crate) redundancy: StorageU8,
    pub(crate) flags: StorageU8,
    pub(crate) deadline: StorageTime,

    pub(crate) callback: StorageAddress,
    pub(crate) escrow: StorageU64,
    pub(crate) input_tokens: StorageU32,

    /// Prices in force when the request was made.
    pub(crate) price_in: StorageU96,
    pub(crate) price_out: StorageU96,
    pub(crate) max_output: StorageU32,
    pub(crate) committed: StorageU8,
    pub(crate) revealed: StorageU8,

    /// When reveals open (zero until the first commitment).
    pub(crate) reveal_at: StorageTime,
    /// When a dispute's window closes (zero unless disputed).
    pub(crate) dispute_end: StorageTime,
    pub(crate) usage_period: StorageU64,

    /// The agreed (or arbitrated) hash once settled. The output itself is in
    /// the `Fulfilled` event and the callback, not in storage: 8 KiB would
    /// cost 256 storage slots.
    pub(crate) output_hash: StorageB256,
    /// The usage record charged under a policy (zero when none).
    pub(crate) usage_key: StorageB256,
}

/// One slot of a request: who holds it, until when, and what it committed
/// to or revealed.
#[storage]
pub struct Lease {
    pub(crate) provider: StorageAddress,
    pub(crate) expires: StorageTime,
    pub(crate) phase: StorageU8,
    pub(crate) input_tokens: StorageU32,
    /// The commitment while committed, then the revealed answer's digest.
    pub(crate) hash: StorageB256,
    pub(crate) output_tokens: StorageU32,
}
