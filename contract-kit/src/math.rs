//! Arithmetic on asset amounts, rounded in the protocol's favour.

use alloy_primitives::U256;

/// Basis points in one whole (100 %).
pub const BPS: u64 = 10_000;

/// `a * b`, saturating at `U256::MAX` instead of wrapping. One shared,
/// never-inlined copy: ruint's multiplication is generic, and every crate
/// that multiplies `U256`s itself gets its own ~900-byte instance of it.
#[must_use]
#[inline(never)]
pub fn mul(a: U256, b: U256) -> U256 {
    a.saturating_mul(b)
}

/// `value * bps / 10_000`, rounded down. Saturates instead of overflowing,
/// which cannot happen for `bps <= 10_000` and any real token supply.
#[must_use]
pub fn bps_floor(value: U256, bps: u64) -> U256 {
    mul(value, U256::from(bps)) / U256::from(BPS)
}

/// `value * bps / 10_000`, rounded up.
#[must_use]
pub fn bps_ceil(value: U256, bps: u64) -> U256 {
    mul(value, U256::from(bps)).div_ceil(U256::from(BPS))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rounding_direction() {
        assert_eq!(bps_floor(U256::from(999), 10), U256::ZERO);
        assert_eq!(bps_ceil(U256::from(999), 10), U256::from(1));
        assert_eq!(bps_ceil(U256::from(1000), 10), U256::from(1));
        assert_eq!(bps_floor(U256::from(10_000), 10_000), U256::from(10_000));
    }

    proptest! {
        #[test]
        fn floor_and_ceil_bracket_the_exact_share(value: u128, bps in 0u64..=10_000) {
            let exact = U256::from(value) * U256::from(bps);
            let floor = bps_floor(U256::from(value), bps);
            let ceil = bps_ceil(U256::from(value), bps);
            prop_assert!(floor * U256::from(BPS) <= exact);
            prop_assert!(ceil * U256::from(BPS) >= exact);
            prop_assert!(ceil - floor <= U256::from(1));
        }
    }
}
