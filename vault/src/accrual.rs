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
use interfaces::math::{bps_ceil, mul_div_floor};

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
    mul_div_floor(principal, to.saturating_sub(from), ACC_SCALE).unwrap_or(U256::MAX)
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
        mul_div_floor(amount, value, principal).unwrap_or(U256::ZERO)
    }
}

/// The harvest tip: `tip_bps` of what was skimmed, at most `max_tip`.
#[must_use]
pub fn tip(harvested: U256, tip_bps: u16, max_tip: U256) -> U256 {
    interfaces::math::bps_floor(harvested, u64::from(tip_bps)).min(max_tip)
}

/// The unlock time after a deposit locked for `lock` seconds at `now`: locks
/// only ever extend.
#[must_use]
pub fn unlock_after(current: u64, now: u64, lock: u64) -> u64 {
    current.max(now.saturating_add(lock))
}

#[cfg(test)]
mod tests;
