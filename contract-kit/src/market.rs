//! The inference market's rules that the bridge and the registry must agree
//! on: how much bond a lease reserves, what each way of ending a lease takes
//! from it, the majority that settles a redundant request, and the
//! commitment a provider makes before revealing its answer.
//!
//! A lease on a slot whose work may cost `c` credits at most reserves
//! `collateral(c) = ceil(c * collateral_bps / 10_000)` of the provider's
//! bond. Delivering frees it all; handing the lease back (abandon) takes
//! `ceil(reserved * abandon_bps / 10_000)`; missing the lease, failing to
//! reveal, or losing a majority takes all of it. What is taken goes to the
//! registry's treasury, never to the payer, so a payer cannot profit from
//! making a request nobody can serve.

use alloy_primitives::{keccak256, Address, B256, U256};

use crate::math::bps_ceil;

/// How a lease ended, as the bridge tells the registry.
pub mod outcome {
    /// Delivered (or on the winning side): the reservation is freed.
    pub const DELIVERED: u8 = 0;
    /// Handed back before it expired: the abandon penalty is taken.
    pub const ABANDONED: u8 = 1;
    /// Missed, unrevealed or outvoted: the whole reservation is taken.
    pub const SLASHED: u8 = 2;
}

/// The bond a lease reserves for work that may cost `cost`.
#[must_use]
pub fn collateral(cost: U256, collateral_bps: u64) -> U256 {
    bps_ceil(cost, collateral_bps)
}

/// What ending a lease that reserved `reserved` takes from the bond.
#[must_use]
pub fn penalty(reserved: U256, outcome: u8, abandon_bps: u64) -> U256 {
    match outcome {
        outcome::DELIVERED => U256::ZERO,
        outcome::ABANDONED => bps_ceil(reserved, abandon_bps).min(reserved),
        _ => reserved,
    }
}

/// Results that must agree for a request of redundancy `k` to settle
/// without the arbiter: a strict majority of the slots.
#[must_use]
pub fn majority(k: u8) -> u8 {
    k / 2 + 1
}

/// What a provider commits before revealing: `keccak256(digest ‖ provider ‖
/// salt)`. Binding the provider stops one provider from reusing another's
/// commitment; the salt stops anyone from testing guesses of the digest.
#[must_use]
pub fn commitment(digest: B256, provider: Address, salt: B256) -> B256 {
    let mut preimage = [0u8; 84];
    preimage[..32].copy_from_slice(digest.as_slice());
    preimage[32..52].copy_from_slice(provider.as_slice());
    preimage[52..].copy_from_slice(salt.as_slice());
    keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn majorities() {
        assert_eq!([1, 2, 3, 4, 5].map(majority), [1, 2, 2, 3, 3]);
    }

    #[test]
    fn a_commitment_binds_digest_provider_and_salt() {
        let (d, p, s) = (B256::repeat_byte(1), Address::repeat_byte(2), B256::repeat_byte(3));
        let c = commitment(d, p, s);
        assert_ne!(c, commitment(B256::repeat_byte(9), p, s));
        assert_ne!(c, commitment(d, Address::repeat_byte(9), s));
        assert_ne!(c, commitment(d, p, B256::repeat_byte(9)));
        let mut preimage = d.to_vec();
        preimage.extend_from_slice(p.as_slice());
        preimage.extend_from_slice(s.as_slice());
        assert_eq!(c, keccak256(preimage));
    }

    proptest! {
        /// Abandoning never costs more than missing, and neither takes more
        /// than was reserved.
        #[test]
        fn penalties_are_ordered_and_bounded(cost: u128, collateral_bps in 0u64..100_000, abandon_bps in 0u64..=20_000) {
            let reserved = collateral(U256::from(cost), collateral_bps);
            let abandon = penalty(reserved, outcome::ABANDONED, abandon_bps);
            let slash = penalty(reserved, outcome::SLASHED, abandon_bps);
            prop_assert_eq!(penalty(reserved, outcome::DELIVERED, abandon_bps), U256::ZERO);
            prop_assert!(abandon <= slash);
            prop_assert_eq!(slash, reserved);
        }

        /// Two majorities of the same request cannot disagree.
        #[test]
        fn one_majority_at_most(k in 1u8..=5) {
            prop_assert!(2 * u16::from(majority(k)) > u16::from(k));
        }
    }
}
