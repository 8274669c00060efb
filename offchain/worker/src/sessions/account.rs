//! What the worker has served in one session and what the client has
//! signed for: the rules that bound what either side can lose.
//!
//! - Every answer reserves its most expensive outcome (its prompt and its
//!   output limit at the session's prices) before it runs, and the answers
//!   served plus those reserved never pass the session's cap: the worker
//!   never serves what the escrow cannot pay.
//! - An answer is served only while at most `max_unsigned` answers served
//!   before it lack a receipt: the worker's exposure to a client that stops
//!   signing is that many answers plus those in flight.
//! - Usage is cumulative and priced linearly, so the totals the client
//!   signs after each answer are exactly what the program accepts
//!   (`cost <= priced(tokensIn, tokensOut) <= cap`).

use alloy::primitives::{Address, U256};

use super::receipt::SignedReceipt;

/// A session's terms, as opened on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// The key that signs receipts.
    pub key: Address,
    /// The escrowed cap.
    pub cap: U256,
    /// Credits per input and per output token.
    pub prices: (U256, U256),
    /// When the session expires (unix seconds).
    pub expires: u64,
}

impl Terms {
    /// What `tokens_in` and `tokens_out` cost (saturating).
    pub fn priced(&self, tokens_in: u64, tokens_out: u64) -> U256 {
        let input = self.prices.0.saturating_mul(U256::from(tokens_in));
        input.saturating_add(self.prices.1.saturating_mul(U256::from(tokens_out)))
    }
}

/// Cumulative usage: what the client signs after each answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Answers served.
    pub seq: u64,
    /// Input tokens in all.
    pub tokens_in: u64,
    /// Output tokens in all.
    pub tokens_out: u64,
    /// Credits in all.
    pub cost: U256,
}

/// Why an answer is not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Served and reserved answers would pass the cap.
    CapReached(Box<CapReached>),
    /// Too many answers lack a receipt.
    Unsigned {
        /// Answers served.
        served: u64,
        /// The newest receipt's sequence.
        signed: u64,
    },
}

/// Where the cap stood when an answer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReached {
    /// The session's cap.
    pub cap: U256,
    /// Served so far.
    pub used: U256,
    /// Reserved by answers in flight.
    pub reserved: U256,
    /// What this answer may cost.
    pub needed: U256,
}

/// An answer admitted: what it reserved.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "an admitted answer must be completed or released"]
pub struct Reservation {
    pub(crate) most: U256,
}

/// One session's account at the worker.
#[derive(Debug, Clone)]
pub struct Account {
    /// The session's terms.
    pub terms: Terms,
    used: Usage,
    reserved: U256,
    best: Option<SignedReceipt>,
}

impl Account {
    /// A fresh account under `terms`.
    pub fn new(terms: Terms) -> Self {
        Self { terms, used: Usage::default(), reserved: U256::ZERO, best: None }
    }

    /// An account taken up again after a restart from the newest receipt
    /// kept: what it signed is what counts as served (answers served after
    /// it and not signed are lost with the restart).
    pub fn resumed(terms: Terms, best: SignedReceipt) -> Self {
        let r = &best.receipt;
        let used =
            Usage { seq: r.seq, tokens_in: r.tokensIn, tokens_out: r.tokensOut, cost: r.cost };
        Self { terms, used, reserved: U256::ZERO, best: Some(best) }
    }

    /// Served so far.
    pub fn used(&self) -> Usage {
        self.used
    }

    /// The newest receipt the client signed.
    pub fn best(&self) -> Option<&SignedReceipt> {
        self.best.as_ref()
    }

    /// Keeps `receipt` (already verified) if it is newer than the newest;
    /// returns whether it was.
    pub fn keep(&mut self, receipt: SignedReceipt) -> bool {
        let newer = self.best.as_ref().is_none_or(|b| receipt.receipt.seq > b.receipt.seq);
        if newer {
            self.best = Some(receipt);
        }
        newer
    }

    /// Admits an answer of at most `tokens` (prompt, output limit).
    ///
    /// # Errors
    /// [`Refusal`].
    pub fn admit(&mut self, tokens: (u64, u64), max_unsigned: u64) -> Result<Reservation, Refusal> {
        let signed = self.best.as_ref().map_or(0, |b| b.receipt.seq);
        if self.used.seq.saturating_sub(signed) > max_unsigned {
            return Err(Refusal::Unsigned { served: self.used.seq, signed });
        }
        let most = self.terms.priced(tokens.0, tokens.1);
        let committed = self.used.cost.saturating_add(self.reserved);
        if committed.saturating_add(most) > self.terms.cap {
            return Err(Refusal::CapReached(Box::new(CapReached {
                cap: self.terms.cap,
                used: self.used.cost,
                reserved: self.reserved,
                needed: most,
            })));
        }
        self.reserved += most;
        Ok(Reservation { most })
    }

    /// Records the answer `reservation` admitted, which used `tokens`
    /// (never more than it reserved: the model stops at the limit), and
    /// returns the usage to sign.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "taken by value: a reservation is completed or released once"
    )]
    pub fn complete(&mut self, reservation: Reservation, tokens: (u64, u64)) -> Usage {
        let Reservation { most } = reservation;
        self.reserved = self.reserved.saturating_sub(most);
        let cost = self.terms.priced(tokens.0, tokens.1).min(most);
        self.used.seq += 1;
        self.used.tokens_in += tokens.0;
        self.used.tokens_out += tokens.1;
        self.used.cost += cost;
        self.used
    }

    /// Gives back what a failed answer reserved.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "taken by value: a reservation is completed or released once"
    )]
    pub fn release(&mut self, reservation: Reservation) {
        let Reservation { most } = reservation;
        self.reserved = self.reserved.saturating_sub(most);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn terms(cap: u64) -> Terms {
        Terms {
            key: Address::repeat_byte(1),
            cap: U256::from(cap),
            prices: (U256::from(1u64), U256::from(2u64)),
            expires: u64::MAX,
        }
    }

    fn receipt(seq: u64) -> SignedReceipt {
        let receipt = super::super::receipt::Receipt {
            session: 1,
            seq,
            tokensIn: 0,
            tokensOut: 0,
            cost: U256::ZERO,
        };
        SignedReceipt { receipt, signature: vec![0; 65] }
    }

    #[test]
    fn the_cap_counts_answers_in_flight() {
        let mut a = Account::new(terms(100));
        // 10 in, 20 out: at most 50 each.
        let first = a.admit((10, 20), 1).unwrap();
        let second = a.admit((10, 20), 1).unwrap();
        let refused = a.admit((10, 20), 1).unwrap_err();
        assert!(matches!(refused, Refusal::CapReached(c) if c.needed == U256::from(50u64)));
        // The first used less than it reserved: room for a small one.
        let used = a.complete(first, (10, 5));
        assert_eq!(used, Usage { seq: 1, tokens_in: 10, tokens_out: 5, cost: U256::from(20u64) });
        a.release(second);
        assert!(a.admit((10, 20), 1).is_ok());
    }

    #[test]
    fn a_resumed_account_counts_what_was_signed() {
        let mut signed = receipt(3);
        signed.receipt.tokensIn = 30;
        signed.receipt.tokensOut = 10;
        signed.receipt.cost = U256::from(50u64);
        let mut a = Account::resumed(terms(60), signed);
        assert_eq!(
            a.used(),
            Usage { seq: 3, tokens_in: 30, tokens_out: 10, cost: U256::from(50u64) }
        );
        // Only 10 of the cap are left.
        assert!(matches!(a.admit((5, 5), 1), Err(Refusal::CapReached(_))));
        assert!(a.admit((2, 4), 1).is_ok());
    }

    #[test]
    fn answers_wait_for_receipts() {
        let mut a = Account::new(terms(1_000));
        for _ in 0..2 {
            let r = a.admit((1, 1), 1).unwrap();
            a.complete(r, (1, 1));
        }
        assert_eq!(a.admit((1, 1), 1), Err(Refusal::Unsigned { served: 2, signed: 0 }));
        a.keep(receipt(1));
        a.keep(receipt(0));
        assert_eq!(a.best().unwrap().receipt.seq, 1, "an older receipt never replaces a newer");
        assert!(a.admit((1, 1), 1).is_ok());
    }

    proptest! {
        /// Whatever the order of admissions, completions, releases and
        /// receipts: served plus reserved never passes the cap, the usage
        /// is what was served, and answers lacking a receipt stay within
        /// the limit plus the most answers in flight at once.
        #[test]
        fn served_never_passes_the_cap(
            cap in 0u64..2_000,
            ops in proptest::collection::vec((0u8..4, 0u64..40, 0u64..40), 1..60),
        ) {
            let mut a = Account::new(terms(cap));
            let mut open = Vec::new();
            let (mut priced, mut peak) = (U256::ZERO, 0u64);
            for (op, x, y) in ops {
                match op {
                    0 => if let Ok(r) = a.admit((x, y), 2) {
                        open.push((r, x, y));
                        peak = peak.max(open.len() as u64);
                    },
                    1 => if let Some((r, x, y)) = open.pop() {
                        let (tx, ty) = (x / 2, y / 2);
                        priced += a.terms.priced(tx, ty);
                        a.complete(r, (tx, ty));
                    },
                    2 => if let Some((r, _, _)) = open.pop() { a.release(r); },
                    _ => {
                        a.keep(receipt(a.used().seq.saturating_sub(x % 3)));
                    }
                }
                prop_assert!(a.used().cost + a.reserved <= a.terms.cap);
                prop_assert_eq!(a.used().cost, priced);
                let signed = a.best().map_or(0, |b| b.receipt.seq);
                // At most 2 unsigned when each answer was admitted, plus
                // those admitted alongside it.
                prop_assert!(a.used().seq - signed.min(a.used().seq) <= 2 + peak);
            }
        }
    }
}
