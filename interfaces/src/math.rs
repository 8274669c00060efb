//! Arithmetic on asset amounts, rounded in the protocol's favour.

use alloy_primitives::{ruint::UintTryFrom, U256, U512};

/// Basis points in one whole (100 %).
pub const BPS: u64 = 10_000;

/// `value * bps / 10_000`, rounded down. Saturates instead of overflowing,
/// which cannot happen for `bps <= 10_000` and any real token supply.
#[must_use]
pub fn bps_floor(value: U256, bps: u64) -> U256 {
    value.saturating_mul(U256::from(bps)) / U256::from(BPS)
}

/// `value * bps / 10_000`, rounded up.
#[must_use]
pub fn bps_ceil(value: U256, bps: u64) -> U256 {
    let product = value.saturating_mul(U256::from(bps));
    product.div_ceil(U256::from(BPS))
}

/// `a * b / d` with a 512-bit intermediate, rounded down; `None` when `d` is
/// zero or the result does not fit in 256 bits.
#[must_use]
pub fn mul_div_floor(a: U256, b: U256, d: U256) -> Option<U256> {
    if d.is_zero() {
        return None;
    }
    let product: U512 = a.widening_mul(b);
    U256::uint_try_from(product / U512::from(d)).ok()
}

/// `a * b / d` with a 512-bit intermediate, rounded up; `None` when `d` is
/// zero or the result does not fit in 256 bits.
#[must_use]
pub fn mul_div_ceil(a: U256, b: U256, d: U256) -> Option<U256> {
    if d.is_zero() {
        return None;
    }
    let product: U512 = a.widening_mul(b);
    let d = U512::from(d);
    let (q, r) = product.div_rem(d);
    let q = if r.is_zero() { q } else { q + U512::from(1u8) };
    U256::uint_try_from(q).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn rounding_direction() {
        assert_eq!(mul_div_floor(u(10), u(1), u(3)), Some(u(3)));
        assert_eq!(mul_div_ceil(u(10), u(1), u(3)), Some(u(4)));
        assert_eq!(mul_div_ceil(u(9), u(1), u(3)), Some(u(3)));
        assert_eq!(bps_floor(u(999), 10), u(0));
        assert_eq!(bps_ceil(u(999), 10), u(1));
        assert_eq!(mul_div_floor(u(1), u(1), U256::ZERO), None);
        assert_eq!(mul_div_floor(U256::MAX, U256::MAX, u(1)), None);
        assert_eq!(mul_div_floor(U256::MAX, U256::MAX, U256::MAX), Some(U256::MAX));
    }

    proptest! {
        #[test]
        fn floor_and_ceil_bracket_the_exact_quotient(a: u128, b: u128, d in 1u128..) {
            let exact = u(a) * u(b);
            let floor = mul_div_floor(u(a), u(b), u(d)).unwrap();
            let ceil = mul_div_ceil(u(a), u(b), u(d)).unwrap();
            prop_assert!(floor * u(d) <= exact);
            prop_assert!(exact < (floor + u(1)) * u(d));
            prop_assert!(ceil * u(d) >= exact);
            prop_assert!(ceil - floor <= u(1));
        }
    }
}
