//! The oracle bridge's fee formula and time rules, as pure functions shared
//! by the bridge and the inference registry (tested directly:
//! motsu's block time cannot move).
//!
//! A request for `in` input tokens and at most `max_out` output tokens, on a
//! model priced `p_in` and `p_out` credits per token with redundancy `k`,
//! escrows `k * (p_in * in + p_out * max_out)`. Each of the `k` providers
//! whose results agree is paid `p_in * min(in', in) + p_out * min(out', max_out)`
//! for the token counts `in'`, `out'` it reports; the rest goes back to the
//! payer. Prices are those in force when the request was made.

use alloy_primitives::U256;

/// Most results a request can ask for.
pub const MAX_REDUNDANCY: u8 = 5;

/// The cost of one provider's work: input and output tokens at the
/// request's prices. `None` on overflow (prices that large are refused).
pub fn cost(
    price_in: U256,
    price_out: U256,
    input_tokens: u32,
    output_tokens: u32,
) -> Option<U256> {
    let input = price_in.checked_mul(U256::from(input_tokens))?;
    let output = price_out.checked_mul(U256::from(output_tokens))?;
    input.checked_add(output)
}

/// What a request escrows: the maximum cost for each of `redundancy` providers.
pub fn escrow_for(
    price_in: U256,
    price_out: U256,
    input_tokens: u32,
    max_output_tokens: u32,
    redundancy: u8,
) -> Option<U256> {
    cost(price_in, price_out, input_tokens, max_output_tokens)?.checked_mul(U256::from(redundancy))
}

/// What one provider is paid for reported counts: never more than the
/// request allowed, whatever it reports.
pub fn settled_cost(
    price_in: U256,
    price_out: U256,
    (declared_in, max_out): (u32, u32),
    (reported_in, reported_out): (u32, u32),
) -> U256 {
    // Bounded by the escrowed maximum, which did not overflow.
    cost(price_in, price_out, reported_in.min(declared_in), reported_out.min(max_out))
        .unwrap_or(U256::ZERO)
}

/// The period index of `now` for a policy with periods of `period` seconds.
pub fn period_of(now: u64, period: u64) -> u64 {
    now.checked_div(period).unwrap_or(0)
}

/// When a lease claimed at `now` ends: the lease length, but never past the
/// request's deadline.
pub fn lease_end(now: u64, lease_seconds: u64, deadline: u64) -> u64 {
    now.saturating_add(lease_seconds).min(deadline)
}

/// Whether a deadline is acceptable at `now`: in the future and at most
/// `max_ahead` seconds away.
pub fn deadline_ok(deadline: u64, now: u64, max_ahead: u64) -> bool {
    deadline > now && deadline - now <= max_ahead
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn fee_formula() {
        let (p_in, p_out) = (U256::from(2), U256::from(5));
        assert_eq!(cost(p_in, p_out, 10, 20), Some(U256::from(120)));
        assert_eq!(escrow_for(p_in, p_out, 10, 20, 3), Some(U256::from(360)));
        // Over-reported counts are clipped to what the request allowed.
        assert_eq!(settled_cost(p_in, p_out, (10, 20), (50, 500)), U256::from(120));
        assert_eq!(settled_cost(p_in, p_out, (10, 20), (4, 7)), U256::from(43));
        assert_eq!(cost(U256::MAX, U256::ZERO, 2, 0), None);
    }

    #[test]
    fn time_rules() {
        assert_eq!(period_of(100, 30), 3);
        assert_eq!(period_of(100, 0), 0);
        assert_eq!(lease_end(100, 60, 130), 130);
        assert_eq!(lease_end(100, 60, 1_000), 160);
        assert!(deadline_ok(101, 100, 10));
        assert!(!deadline_ok(100, 100, 10));
        assert!(!deadline_ok(111, 100, 10));
    }

    proptest! {
        /// Settled cost never exceeds the escrow's share, so k providers
        /// together never take more than the escrow.
        #[test]
        fn settlement_never_exceeds_escrow(
            p_in in 0u64..1_000_000_000_000, p_out in 0u64..1_000_000_000_000,
            declared_in: u32, max_out: u32, reported_in: u32, reported_out: u32, k in 1u8..=MAX_REDUNDANCY,
        ) {
            let (p_in, p_out) = (U256::from(p_in), U256::from(p_out));
            let escrow = escrow_for(p_in, p_out, declared_in, max_out, k).unwrap();
            let each = settled_cost(p_in, p_out, (declared_in, max_out), (reported_in, reported_out));
            prop_assert!(each * U256::from(k) <= escrow);
        }
    }
}
