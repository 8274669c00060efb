//! Vault parameters and their time-locked changes.
//!
//! Parameters that move members' money (the harvest tip, the loss buffer, the
//! deposit cap) change only through propose, delay, execute: members see the
//! proposal on chain and can leave before it applies.

use alloc::{vec, vec::Vec};

use alloy_primitives::{U16, U256, U64};
use stylus_sdk::{
    prelude::*,
    storage::{StorageU16, StorageU256, StorageU64},
};

use crate::{BufferTooHigh, Error, TipTooHigh};

/// Highest harvest tip: 1 % of the harvest.
pub const MAX_TIP_BPS: u16 = 100;
/// Highest loss buffer: 5 % of principal.
pub const MAX_BUFFER_BPS: u16 = 500;
/// Shortest parameter delay: 1 day, so members always see a change coming
/// (review L-2).
pub const MIN_DELAY: u64 = 24 * 60 * 60;
/// Longest parameter delay: 30 days.
pub const MAX_DELAY: u64 = 30 * 24 * 60 * 60;
/// Longest deposit lock: 4 years.
pub const MAX_LOCK: u64 = 4 * 365 * 24 * 60 * 60;

/// One set of parameter values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Tip paid to the harvester, in basis points of the harvest.
    pub tip_bps: u16,
    /// Cap on the tip, in asset units.
    pub max_tip: U256,
    /// Principal kept in the source as a loss buffer, in basis points.
    pub buffer_bps: u16,
    /// Highest total principal; zero means no cap.
    pub deposit_cap: U256,
}

impl Params {
    /// Checks the values against the hard limits.
    ///
    /// # Errors
    /// [`TipTooHigh`] or [`BufferTooHigh`].
    pub fn validate(&self) -> Result<(), Error> {
        if self.tip_bps > MAX_TIP_BPS {
            return Err(TipTooHigh { bps: self.tip_bps, max: MAX_TIP_BPS }.into());
        }
        if self.buffer_bps > MAX_BUFFER_BPS {
            return Err(BufferTooHigh { bps: self.buffer_bps, max: MAX_BUFFER_BPS }.into());
        }
        Ok(())
    }

    /// Whether a deposit taking total principal to `total` fits the cap.
    pub fn allows_total(&self, total: U256) -> bool {
        self.deposit_cap.is_zero() || total <= self.deposit_cap
    }
}

/// Stored parameters.
#[storage]
pub struct StoredParams {
    tip_bps: StorageU16,
    buffer_bps: StorageU16,
    max_tip: StorageU256,
    deposit_cap: StorageU256,
}

impl StoredParams {
    /// Reads the values.
    pub fn read(&self) -> Params {
        Params {
            tip_bps: self.tip_bps.get().to(),
            max_tip: self.max_tip.get(),
            buffer_bps: self.buffer_bps.get().to(),
            deposit_cap: self.deposit_cap.get(),
        }
    }

    /// Writes the values.
    pub fn write(&mut self, p: &Params) {
        self.tip_bps.set(U16::from(p.tip_bps));
        self.max_tip.set(p.max_tip);
        self.buffer_bps.set(U16::from(p.buffer_bps));
        self.deposit_cap.set(p.deposit_cap);
    }
}

/// A proposed change and when it may apply (`eta` zero: nothing proposed).
#[storage]
pub struct PendingChange {
    /// The proposed values.
    pub params: StoredParams,
    eta: StorageU64,
}

impl PendingChange {
    /// When the proposed change may apply; zero when none is proposed.
    pub fn eta(&self) -> u64 {
        self.eta.get().to()
    }

    /// Records a proposal that may apply from `eta`.
    pub fn propose(&mut self, p: &Params, eta: u64) {
        self.params.write(p);
        self.eta.set(U64::from(eta));
    }

    /// Forgets the proposal.
    pub fn clear(&mut self) {
        self.params.write(&Params {
            tip_bps: 0,
            max_tip: U256::ZERO,
            buffer_bps: 0,
            deposit_cap: U256::ZERO,
        });
        self.eta.set(U64::ZERO);
    }
}

/// The time a change proposed at `now` may apply with a delay of `delay`.
/// Never zero, so that zero can mean "nothing proposed".
#[must_use]
pub fn eta_of(now: u64, delay: u64) -> u64 {
    now.saturating_add(delay).max(1)
}

/// Whether a change with this `eta` may apply at `now`.
#[must_use]
pub fn is_ready(eta: u64, now: u64) -> bool {
    eta != 0 && now >= eta
}
