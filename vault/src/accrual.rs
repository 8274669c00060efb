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
use contract_kit::math::bps_ceil;

/// Fixed-point scale of the accumulator.
pub const ACC_SCALE: U256 = uint!(1_000_000_000_000_000_000_000_000_000_U256);

/// Adds `amount` credits shared over `active` principal to the accumulator.
/// Returns `(increment, new_remainder)`, where the remainder is carried to
/// the next distribution. `active` must not be zero.
#[must_use]
pub fn distribute(amount: U256, remainder: U256, active: U256) -> (U256, U256) {
    let numerator = amount * ACC_SCALE + remainder;
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
    principal.saturating_mul(to.saturating_sub(from)) / ACC_SCALE
}

/// Yield that can be harvested: what the source's shares are worth above the
/// principal and a loss buffer of `buffer_bps` of the principal (rounded up).
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
        amount.saturating_mul(value) / principal
    }
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
