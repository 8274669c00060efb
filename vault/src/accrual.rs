//! The arithmetic of yield sharing, as pure functions so that it can be
//! tested on its own and in property tests.
//!
//! Yield is shared by principal through one accumulator: `acc` is the credits
//! earned per unit of principal, scaled by [`ACC_SCALE`]. A member's credits
//! since their last checkpoint are `principal * (acc - snapshot) / ACC_SCALE`.
//! Each distribution adds `amount * ACC_SCALE / active` to `acc` and carries
//! the remainder of that division into the next one, so that no credit is
//! lost to rounding across harvests; a member's share rounds down, so the
//! vault never promises more than it delivered.

use alloy_primitives::{uint, U256};
use contract_kit::math::{bps_ceil, mul};

/// Fixed-point scale of the accumulator.
pub const ACC_SCALE: U256 = uint!(1_000_000_000_000_000_000_000_000_000_U256);

/// Adds `amount` credits shared over `active` principal to the accumulator.
/// Returns `(increment, new_remainder)`, where the remainder is carried to
/// the next distribution. `active` must not be zero.
#[must_use]
pub fn distribute(amount: U256, remainder: U256, active: U256) -> (U256, U256) {
    let numerator = mul(amount, ACC_SCALE) + remainder;
    (numerator / active, numerator % active)
}

/// Credits earned by `principal` while the accumulator moved from `from` to
/// `to`, rounded down.
#[must_use]
pub fn earned(principal: U256, from: U256, to: U256) -> U256 {
    // `principal * delta` is bounded by the yield ever distributed times
    // ACC_SCALE (a member's principal never exceeds the active principal a
    // delta was divided by), far below 2^256 for any real asset; 256-bit math
    // keeps the contract small.
    mul(principal, to.saturating_sub(from)) / ACC_SCALE
}

/// What the vault's source shares are worth, a bound on what one source
/// share is worth (the most any single rounding of the source can move), and
/// whether some of the value is set aside to be delivered.
///
/// Every exact amount taken out of the source (an exact exit, the delivery
/// of the yield owed) or counted in (an exact deposit) may round against the
/// vault by one source share. The vault keeps room for that: while nothing
/// is owed, one share above principal; while something is, a second one for
/// its delivery, so an exact exit never spends the room the delivery needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    /// The shares' value in the asset (`previewRedeem`, rounded down), less
    /// what is set aside.
    pub value: U256,
    /// At least one source share's value plus the rounding of the price
    /// itself: `value / shares + 3`.
    pub one_share: U256,
    /// Whether some of the value is set aside (owed, tips held): its
    /// delivery is still to round.
    pub owes: bool,
}

impl Holding {
    /// The holding of `shares` source shares worth `value`.
    #[must_use]
    pub fn new(value: U256, shares: U256) -> Self {
        let per_share = value.checked_div(shares).unwrap_or_default();
        Self { value, one_share: per_share.saturating_add(U256::from(3u64)), owes: false }
    }

    /// The holding with `held` more of its value set aside (owed to the
    /// ledger): what is left for the principal and new yield.
    #[must_use]
    pub fn less(self, held: U256) -> Self {
        Self { value: self.value.saturating_sub(held), owes: self.owes || !held.is_zero(), ..self }
    }

    /// Whether the value above `principal` can absorb one rounding of the
    /// source against the vault, besides the delivery of what is set aside,
    /// so that a deposit or an exit can be exact without anyone else paying
    /// for it.
    #[must_use]
    pub fn covers_rounding(&self, principal: U256) -> bool {
        let room = if self.owes { self.one_share << 1 } else { self.one_share };
        self.value.saturating_sub(principal) >= room
    }

    /// Yield that can be shared out: the value above the principal, a loss
    /// buffer of `buffer_bps` of the principal (rounded up), and two source
    /// shares kept back, one for the rounding of delivering it and one so
    /// that the next exit can still be exact.
    #[must_use]
    pub fn surplus(&self, principal: U256, buffer_bps: u16) -> U256 {
        surplus(self.value, principal, buffer_bps).saturating_sub(self.one_share << 1)
    }
}

/// What the source's shares are worth above the principal and a loss buffer
/// of `buffer_bps` of the principal (rounded up).
#[must_use]
pub fn surplus(value: U256, principal: U256, buffer_bps: u16) -> U256 {
    let floor = principal + bps_ceil(principal, u64::from(buffer_bps));
    value.saturating_sub(floor)
}

/// What burning `amount` of principal pays while the source is worth `value`
/// against `principal` in total: the principal itself, or its pro-rata share
/// of the value (rounded down) once the source has lost value.
#[must_use]
pub fn payout(amount: U256, value: U256, principal: U256) -> U256 {
    if value >= principal {
        amount
    } else {
        // amount <= principal and value < principal, both asset amounts: the
        // product fits in 256 bits for any real asset supply.
        mul(amount, value) / principal
    }
}

/// Whether a source that was given `assets` and credited the vault with
/// `credited` of value did its job: it may lose rounding dust (one part in
/// 8,192, plus two units for the two roundings of a deposit and a
/// `previewRedeem`), no more.
#[must_use]
pub fn credited_enough(assets: U256, credited: U256) -> bool {
    credited.saturating_add((assets >> 13) + U256::from(2u64)) >= assets
}

/// The harvest tip: `tip_bps` of what was skimmed, at most `max_tip`.
#[must_use]
pub fn tip(harvested: U256, tip_bps: u16, max_tip: U256) -> U256 {
    contract_kit::math::bps_floor(harvested, u64::from(tip_bps)).min(max_tip)
}

/// The unlock time after a deposit locked for `lock` seconds at `now`: locks
/// only ever extend.
#[must_use]
pub fn unlock_after(current: u64, now: u64, lock: u64) -> u64 {
    current.max(now.saturating_add(lock))
}

#[cfg(test)]
mod tests;
