//! Closing a session: receipts presented, the challenge window, and the
//! one settlement.

use alloy_primitives::{Address, U64, U8};
use contract_kit::{
    access,
    calls::{ICreditLedger, IInferenceRegistry},
    events::emit,
    market::outcome,
};
use openzeppelin_stylus::utils::{cryptography::eip712::IEip712, precompiles::Precompiles};

use crate::{
    open::send, phase, receipt, side, AlreadyClosing, BadReceiptSignature, Error,
    InferenceSessions, LedgerCallFailed, NoProvider, NotParty, Receipt, ReceiptOverCap,
    ReceiptOverPrice, RegistryCallFailed, SessionClosed, SessionClosing, SessionSettled,
    StaleReceipt, WrongWindow,
};

impl InferenceSessions {
    /// Which side `caller` speaks for in session `id`.
    fn side_of(&self, id: u64, caller: Address) -> u8 {
        let s = self.sessions.get(id);
        if caller == s.payer.get() || caller == s.requester.get() {
            side::PAYER
        } else if caller == s.provider.get() && s.phase() >= phase::ACTIVE {
            side::PROVIDER
        } else {
            side::ANYONE
        }
    }

    /// The body of `close()`.
    pub(crate) fn close_session(
        &mut self,
        caller: Address,
        receipt: &Receipt,
        signature: &[u8],
        now: u64,
    ) -> Result<(), Error> {
        let id = receipt.session;
        let s = self.sessions.get(id);
        let (phase, expires) = (s.phase(), s.expires.get().to::<u64>());
        let (closer, closes_at) = (s.closer.get().to::<u8>(), s.closes_at.get().to::<u64>());
        if phase == phase::NONE || phase == phase::SETTLED {
            return Err(SessionClosed { id }.into());
        }
        let by = self.side_of(id, caller);
        if by == side::ANYONE && now < expires {
            return Err(NotParty { id, caller }.into());
        }
        if phase == phase::OPEN {
            // Nobody serves it: nothing to pay, nobody to wait for.
            if receipt.seq != 0 {
                return Err(NoProvider { id }.into());
            }
            return self.settle(id, false);
        }
        if phase == phase::CLOSING {
            if now >= closes_at {
                return Err(WrongWindow { id, closesAt: closes_at }.into());
            }
            if by == closer {
                return Err(AlreadyClosing { id }.into());
            }
            if by == side::ANYONE {
                return Err(NotParty { id, caller }.into());
            }
        }
        if receipt.seq != 0 {
            self.present(receipt, signature)?;
        }
        if phase == phase::CLOSING && closer != side::ANYONE {
            // Both sides have spoken: no one is left to wait for.
            return self.settle(id, true);
        }
        let closes_at = if phase == phase::ACTIVE {
            now.saturating_add(self.challenge_seconds.get().to())
        } else {
            closes_at
        };
        let mut s = self.sessions.setter(id);
        s.phase.set(U8::from(phase::CLOSING));
        s.closer.set(U8::from(by));
        s.closes_at.set(U64::from(closes_at));
        let (seq, cost) = (s.seq.get().to(), s.cost());
        emit(SessionClosing { id, by: caller, seq, cost, closesAt: closes_at });
        Ok(())
    }

    /// Checks `receipt` against its session (newer than the last, within
    /// the cap and the prices, signed by the session key) and keeps it.
    fn present(&mut self, receipt: &Receipt, signature: &[u8]) -> Result<(), Error> {
        let id = receipt.session;
        let s = self.sessions.get(id);
        let latest = s.seq.get().to::<u64>();
        if receipt.seq <= latest {
            return Err(StaleReceipt { id, seq: receipt.seq, latest }.into());
        }
        let (cost, cap) = (receipt.cost, s.cap());
        if cost > cap {
            return Err(ReceiptOverCap { id, cost, cap }.into());
        }
        let priced = receipt::priced(s.prices(), receipt.tokens_in, receipt.tokens_out);
        if cost > priced {
            return Err(ReceiptOverPrice { id, cost, priced }.into());
        }
        let key = s.key.get();
        let digest = self.hash_typed_data_v4(receipt.struct_hash());
        let signer = receipt::split_signature(signature)
            .and_then(|(v, r, sig_s)| self.ec_recover(digest, v, r, sig_s).ok());
        if signer != Some(key) {
            return Err(BadReceiptSignature { id }.into());
        }
        let mut s = self.sessions.setter(id);
        s.seq.set(U64::from(receipt.seq));
        s.set_cost(cost);
        Ok(())
    }

    /// The body of `finalize()`.
    pub(crate) fn finalize_session(&mut self, id: u64, now: u64) -> Result<(), Error> {
        let s = self.sessions.get(id);
        let (phase, closes_at) = (s.phase(), s.closes_at.get().to::<u64>());
        if phase == phase::NONE || phase == phase::SETTLED {
            return Err(SessionClosed { id }.into());
        }
        if phase != phase::CLOSING || now < closes_at {
            return Err(WrongWindow { id, closesAt: closes_at }.into());
        }
        self.settle(id, true)
    }

    /// Settles session `id` through the ledger, once: the newest receipt's
    /// cost to the provider (when one `accepted`), the rest back to the
    /// payer and to the key's quota; the provider's collateral is freed.
    fn settle(&mut self, id: u64, accepted: bool) -> Result<(), Error> {
        let mut s = self.sessions.setter(id);
        s.phase.set(U8::from(phase::SETTLED));
        let (cap, cost, seq) = (s.cap(), s.cost(), s.seq.get().to::<u64>());
        let escrow = s.escrow.get().to::<u64>();
        let provider = if accepted { s.provider.get() } else { Address::ZERO };
        let record = s.usage_key.get();
        let charge = (!record.is_zero()).then(|| (record, s.usage_period.get().to::<u64>()));
        let (ledger, failed) = (self.ledger.get(), Error::from(LedgerCallFailed {}));
        if accepted {
            let call = ICreditLedger::settleCall { id: escrow, payee: provider, cost };
            send(ledger, &call, failed)?;
            // Nothing a session does can be proved unserved on chain, so
            // it always ends as delivered: the collateral comes back whole.
            let unlock = IInferenceRegistry::unlockCall {
                provider,
                cost: cap,
                outcome: outcome::DELIVERED,
                id,
            };
            send(self.registry.get(), &unlock, RegistryCallFailed {}.into())?;
        } else {
            send(ledger, &ICreditLedger::closeCall { id: escrow }, failed)?;
        }
        let refunded = cap - cost;
        access::give_back(self.access.get(), charge, refunded);
        emit(SessionSettled { id, provider, seq, paid: cost, refunded });
        Ok(())
    }
}
