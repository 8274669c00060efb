//! What the gateway agrees to sign. A provider reports the cumulative
//! usage of a session after each answer; the gateway signs it for the payer
//! only when it could be true: the next sequence, token counts that never
//! fall and never pass what the gateway forwarded (the prompts' bytes plus
//! an allowance for the chat template and the AI's instructions, and the
//! output tokens it asked for), and a cost that the session's prices give
//! for those tokens and the cap covers. A provider cannot inflate a bill
//! through the gateway beyond what it was asked to do.

use alloy::primitives::U256;
use bindings::receipt::Receipt;
use thiserror::Error;

/// Why a reported usage was not signed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Unsignable {
    /// For another session.
    #[error("the usage is for session {got}, not {expected}")]
    OtherSession {
        /// The session asked about.
        expected: u64,
        /// The session reported.
        got: u64,
    },
    /// Token counts fell, or passed what was forwarded.
    #[error("the usage reports {reported:?} tokens (in, out); at most {allowed:?} were forwarded and {signed:?} signed")]
    Tokens {
        /// Reported.
        reported: (u64, u64),
        /// Forwarded so far.
        allowed: (u64, u64),
        /// Signed before.
        signed: (u64, u64),
    },
    /// The cost is not what the prices give, or passes the cap.
    #[error("the usage costs {cost}, but its tokens cost {priced} and the cap is {cap}")]
    Cost {
        /// Reported.
        cost: U256,
        /// What the tokens cost at the session's prices.
        priced: U256,
        /// The session's cap.
        cap: U256,
    },
}

/// One session's terms and what the gateway has forwarded and signed.
#[derive(Debug, Clone)]
pub struct Meter {
    /// The session.
    pub session: u64,
    /// Credits per input token and per output token.
    pub prices: (U256, U256),
    /// The session's cap.
    pub cap: U256,
    /// Tokens forwarded so far (input bound, output asked).
    pub allowed: (u64, u64),
    /// The newest receipt signed (none yet: zeros).
    pub signed: Option<Receipt>,
}

/// Outcome of a usage report.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Newer than anything signed, and believable: sign it.
    Sign,
    /// Not newer than what was signed (answers that finished out of
    /// order): nothing to do.
    Older,
}

impl Meter {
    /// Counts a forwarded request: `bound_in` input tokens at most and
    /// `max_out` output tokens asked for.
    pub fn forward(&mut self, bound_in: u64, max_out: u64) {
        self.allowed.0 = self.allowed.0.saturating_add(bound_in);
        self.allowed.1 = self.allowed.1.saturating_add(max_out);
    }

    /// Judges a reported cumulative usage.
    ///
    /// # Errors
    /// [`Unsignable`].
    pub fn judge(&self, usage: &Receipt) -> Result<Verdict, Unsignable> {
        if usage.session != self.session {
            return Err(Unsignable::OtherSession { expected: self.session, got: usage.session });
        }
        let signed = self.signed.as_ref();
        if usage.seq <= signed.map_or(0, |s| s.seq) {
            return Ok(Verdict::Older);
        }
        let before = signed.map_or((0, 0), |s| (s.tokensIn, s.tokensOut));
        let reported = (usage.tokensIn, usage.tokensOut);
        let falls = reported.0 < before.0 || reported.1 < before.1;
        if falls || reported.0 > self.allowed.0 || reported.1 > self.allowed.1 {
            return Err(Unsignable::Tokens { reported, allowed: self.allowed, signed: before });
        }
        let priced = self
            .prices
            .0
            .saturating_mul(U256::from(reported.0))
            .saturating_add(self.prices.1.saturating_mul(U256::from(reported.1)));
        let cost_before = signed.map_or(U256::ZERO, |s| s.cost);
        if usage.cost > priced || usage.cost > self.cap || usage.cost < cost_before {
            return Err(Unsignable::Cost { cost: usage.cost, priced, cap: self.cap });
        }
        Ok(Verdict::Sign)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn meter() -> Meter {
        Meter {
            session: 4,
            prices: (U256::from(10u64), U256::from(30u64)),
            cap: U256::from(100_000u64),
            allowed: (0, 0),
            signed: None,
        }
    }

    fn usage(seq: u64, tokens_in: u64, tokens_out: u64, cost: u64) -> Receipt {
        Receipt {
            session: 4,
            seq,
            tokensIn: tokens_in,
            tokensOut: tokens_out,
            cost: U256::from(cost),
        }
    }

    #[test]
    fn an_honest_report_is_signed_and_an_older_one_is_skipped() {
        let mut m = meter();
        m.forward(100, 20);
        assert_eq!(m.judge(&usage(1, 60, 20, 1_200)), Ok(Verdict::Sign));
        m.signed = Some(usage(1, 60, 20, 1_200));
        m.forward(100, 20);
        assert_eq!(m.judge(&usage(1, 60, 20, 1_200)), Ok(Verdict::Older));
        assert_eq!(m.judge(&usage(2, 150, 35, 2_550)), Ok(Verdict::Sign));
    }

    #[test]
    fn inflated_tokens_costs_and_other_sessions_are_not_signed() {
        let mut m = meter();
        m.forward(100, 20);
        let tokens =
            |r: (u64, u64)| Unsignable::Tokens { reported: r, allowed: (100, 20), signed: (0, 0) };
        assert_eq!(m.judge(&usage(1, 101, 20, 0)), Err(tokens((101, 20))));
        assert_eq!(m.judge(&usage(1, 50, 21, 0)), Err(tokens((50, 21))));
        let over = Unsignable::Cost {
            cost: U256::from(1_101u64),
            priced: U256::from(1_100u64),
            cap: m.cap,
        };
        assert_eq!(m.judge(&usage(1, 50, 20, 1_101)), Err(over));
        let mut other = usage(1, 1, 1, 1);
        other.session = 5;
        assert_eq!(m.judge(&other), Err(Unsignable::OtherSession { expected: 4, got: 5 }));
        // Falling counts after a signed receipt.
        m.signed = Some(usage(1, 50, 20, 1_100));
        m.forward(100, 20);
        assert!(matches!(m.judge(&usage(2, 49, 30, 1_390)), Err(Unsignable::Tokens { .. })));
        // Over the cap.
        m.cap = U256::from(1_500u64);
        assert!(matches!(m.judge(&usage(2, 60, 30, 1_500 + 1)), Err(Unsignable::Cost { .. })));
    }

    proptest! {
        /// Whatever a provider reports, a signed receipt never costs more
        /// than the forwarded tokens at the session's prices, nor the cap.
        #[test]
        fn a_signed_usage_never_passes_what_was_forwarded(
            forwards in proptest::collection::vec((0u64..500, 0u64..200), 1..8),
            reports in proptest::collection::vec((1u64..10, 0u64..4_000, 0u64..1_600, 0u64..200_000), 1..8),
        ) {
            let mut m = meter();
            for ((bound_in, max_out), (seq, tin, tout, cost)) in forwards.iter().zip(&reports) {
                m.forward(*bound_in, *max_out);
                let r = usage(*seq, *tin, *tout, *cost);
                if m.judge(&r) == Ok(Verdict::Sign) {
                    m.signed = Some(r);
                }
            }
            if let Some(s) = &m.signed {
                let forwarded = m.prices.0 * U256::from(m.allowed.0) + m.prices.1 * U256::from(m.allowed.1);
                prop_assert!(s.cost <= forwarded && s.cost <= m.cap);
                prop_assert!(s.tokensIn <= m.allowed.0 && s.tokensOut <= m.allowed.1);
            }
        }
    }
}
