//! Unit and property tests of the pure accrual functions.

use alloy_primitives::U256;
use proptest::prelude::*;

use super::*;

fn u(x: u128) -> U256 {
    U256::from(x)
}

#[test]
fn surplus_keeps_principal_and_buffer() {
    // 100 principal, 1 % buffer: nothing above 101 is surplus.
    assert_eq!(surplus(u(101), u(100), 100), U256::ZERO);
    assert_eq!(surplus(u(105), u(100), 100), u(4));
    // A loss is not a negative surplus.
    assert_eq!(surplus(u(90), u(100), 100), U256::ZERO);
    // The buffer rounds up, in the protocol's favour.
    assert_eq!(surplus(u(102), u(150), 1), u(102).saturating_sub(u(151)));
    assert_eq!(surplus(u(152), u(150), 1), u(1));
}

#[test]
fn payout_is_principal_unless_the_source_lost_value() {
    assert_eq!(payout(u(40), u(100), u(100)), u(40));
    assert_eq!(payout(u(40), u(150), u(100)), u(40));
    assert_eq!(payout(u(40), u(90), u(100)), u(36));
    // Rounds down.
    assert_eq!(payout(u(1), u(99), u(100)), U256::ZERO);
}

#[test]
fn tip_is_capped() {
    assert_eq!(tip(u(10_000), 50, u(1_000)), u(50));
    assert_eq!(tip(u(10_000_000), 50, u(1_000)), u(1_000));
    assert_eq!(tip(u(10_000), 0, u(1_000)), U256::ZERO);
}

#[test]
fn locks_only_extend() {
    assert_eq!(unlock_after(0, 1_000, 60), 1_060);
    assert_eq!(unlock_after(5_000, 1_000, 60), 5_000);
    assert_eq!(unlock_after(0, u64::MAX, 60), u64::MAX);
}

#[test]
fn running_example_shares_exactly() {
    // 2000 members of 0.1 ETH, 10 ETH of credits: each earns 0.005 ETH.
    let member = u(100_000_000_000_000_000);
    let active = member * u(2000);
    let (inc, rem) = distribute(u(10_000_000_000_000_000_000), U256::ZERO, active);
    assert_eq!(rem, U256::ZERO);
    assert_eq!(earned(member, U256::ZERO, inc), u(5_000_000_000_000_000));
}

proptest! {
    /// Credits handed out across many distributions never exceed what was
    /// distributed, and fall short by less than one unit per holder per
    /// distribution: the remainder is carried, not lost.
    #[test]
    fn distribution_conserves_credits(
        holders in proptest::collection::vec(1u128..1_000_000_000_000_000_000_000, 1..8),
        amounts in proptest::collection::vec(0u128..1_000_000_000_000_000_000_000, 1..12),
    ) {
        let active: U256 = holders.iter().map(|h| u(*h)).fold(U256::ZERO, |a, b| a + b);
        let (mut acc, mut rem) = (U256::ZERO, U256::ZERO);
        let mut total = U256::ZERO;
        for a in &amounts {
            let (inc, r) = distribute(u(*a), rem, active);
            acc += inc;
            rem = r;
            total += u(*a);
        }
        let paid: U256 = holders.iter().map(|h| earned(u(*h), U256::ZERO, acc)).fold(U256::ZERO, |a, b| a + b);
        prop_assert!(paid <= total);
        // Short by at most one unit per holder (the final floor), plus what
        // is still carried in the remainder (less than one unit in total).
        prop_assert!(total - paid <= u(holders.len() as u128) + U256::from(1));
        prop_assert!(rem < active);
    }

    /// Earning is additive over checkpoints up to rounding: checkpointing
    /// more often never pays more than checkpointing once.
    #[test]
    fn checkpoints_never_inflate(p in 1u128..u128::MAX / 2, a in 0u128..u128::MAX, b in 0u128..u128::MAX) {
        let (lo, hi) = if a <= b { (u(a), u(b)) } else { (u(b), u(a)) };
        let once = earned(u(p), U256::ZERO, hi);
        let twice = earned(u(p), U256::ZERO, lo) + earned(u(p), lo, hi);
        prop_assert!(twice <= once);
        prop_assert!(once - twice <= U256::from(1));
    }

    /// A withdrawal never pays more than the principal, and pays exactly the
    /// principal while the source has not lost value.
    #[test]
    fn payout_bounded_by_principal(amount in 0u128..1u128 << 100, extra in 0u128..1u128 << 100, value in 0u128..1u128 << 101) {
        let principal = u(amount) + u(extra);
        let paid = payout(u(amount), u(value), principal);
        prop_assert!(paid <= u(amount));
        if u(value) >= principal {
            prop_assert_eq!(paid, u(amount));
        }
    }

    /// Harvesting the surplus leaves at least principal plus buffer behind.
    #[test]
    fn surplus_never_touches_principal(value in 0u128..1u128 << 120, principal in 0u128..1u128 << 120, bps in 0u16..=500) {
        let s = surplus(u(value), u(principal), bps);
        prop_assert!(u(value) - s >= u(principal) || s.is_zero());
        if !s.is_zero() {
            prop_assert!(u(value) - s >= u(principal) + contract_kit::math::bps_ceil(u(principal), u64::from(bps)));
        }
    }
}
