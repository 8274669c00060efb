//! Opening a session and a provider accepting it.

use alloc::vec::Vec;

use alloy_primitives::{aliases::U96, Address, U256, U32, U64, U8};
use alloy_sol_types::SolCall;
use contract_kit::{
    access::{self, KeyRef},
    calls::{self, ICreditLedger, IInferenceRegistry},
    events::emit,
};

use crate::{
    phase, AlreadyAccepted, Error, InferenceSessions, InvalidExpiry, LedgerCallFailed,
    ProviderIneligible, QuoteRefused, RegistryCallFailed, SessionAccepted, SessionClosed,
    SessionExpired, SessionOpened, ZeroAddress, ZeroAmount,
};

/// What a session is opened for.
pub(crate) struct Terms {
    pub(crate) model: u32,
    pub(crate) payer: Address,
    /// The provider named (zero: any that accepts).
    pub(crate) provider: Address,
    pub(crate) cap: U256,
    pub(crate) expires: u64,
    /// The session key, which signs receipts.
    pub(crate) key: Address,
}

/// Sends `call` to `target`, mapping any failure to `failed`.
pub(crate) fn send<C: SolCall>(target: Address, call: &C, failed: Error) -> Result<Vec<u8>, Error> {
    calls::send(target, call).map_err(|_| failed)
}

impl InferenceSessions {
    /// The model's prices per input and output token, from the registry.
    fn model_prices(&self, model: u32) -> Result<(U256, U256), Error> {
        // One output token: the smallest request the registry prices (it
        // refuses an inactive model).
        let call = IInferenceRegistry::quoteCall { model, inputTokens: 0, maxOutputTokens: 1 };
        let refused = || Error::from(QuoteRefused { model });
        let reply = calls::view(self.registry.get(), &call).map_err(|_| refused())?;
        let price_in = calls::word(&reply, 0).map_err(|_| refused())?;
        let price_out = calls::word(&reply, 1).map_err(|_| refused())?;
        // The registry stores prices in 96 bits; anything else is not it.
        if price_in.bit_len() > 96 || price_out.bit_len() > 96 {
            return Err(refused());
        }
        Ok((price_in, price_out))
    }

    /// The body of `open()`.
    pub(crate) fn open_session(
        &mut self,
        caller: Address,
        terms: &Terms,
        key_ref: KeyRef,
        now: u64,
    ) -> Result<u64, Error> {
        if terms.payer.is_zero() || terms.key.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if terms.cap.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let latest = now.saturating_add(self.max_duration.get().to());
        if terms.expires <= now || terms.expires > latest {
            return Err(InvalidExpiry { expires: terms.expires, latest }.into());
        }
        let (price_in, price_out) = self.model_prices(terms.model)?;
        let parties = (caller, terms.payer);
        let charge = access::authorize::<Error>(
            self.access.get(),
            parties,
            terms.model,
            key_ref,
            terms.cap,
        )?;
        let escrow_call = ICreditLedger::escrowCall { payer: terms.payer, amount: terms.cap };
        let reply = send(self.ledger.get(), &escrow_call, LedgerCallFailed {}.into())?;
        let escrow = calls::uint(&reply).map_err(|_| LedgerCallFailed {})?;

        let id = self.count.get().to::<u64>() + 1;
        self.count.set(U64::from(id));
        let mut s = self.sessions.setter(id);
        s.payer.set(terms.payer);
        s.escrow.set(U64::saturating_from(escrow));
        s.model.set(U32::from(terms.model));
        s.requester.set(caller);
        s.expires.set(U64::from(terms.expires));
        s.phase.set(U8::from(phase::OPEN));
        s.provider.set(terms.provider);
        s.key.set(terms.key);
        // The ledger refuses escrows over 96 bits.
        s.cap.set(U96::saturating_from(terms.cap));
        s.price_in.set(U96::saturating_from(price_in));
        s.price_out.set(U96::saturating_from(price_out));
        if let Some((record, period)) = charge {
            s.usage_key.set(record);
            s.usage_period.set(U64::from(period));
        }
        emit(SessionOpened {
            id,
            payer: terms.payer,
            provider: terms.provider,
            requester: caller,
            model: terms.model,
            cap: terms.cap,
            expires: terms.expires,
            sessionKey: terms.key,
        });
        Ok(id)
    }

    /// The body of `accept()`.
    pub(crate) fn accept_session(
        &mut self,
        provider: Address,
        id: u64,
        now: u64,
    ) -> Result<(), Error> {
        let s = self.sessions.get(id);
        match s.phase() {
            phase::OPEN => {}
            phase::ACTIVE | phase::CLOSING => return Err(AlreadyAccepted { id }.into()),
            _ => return Err(SessionClosed { id }.into()),
        }
        if now >= s.expires.get().to::<u64>() {
            return Err(SessionExpired { id }.into());
        }
        let (named, model, cap) = (s.provider.get(), s.model.get().to::<u32>(), s.cap());
        // A payer (or its requester) never serves its own session: it would
        // sign receipts to itself (review H-1's rule for requests).
        let party = provider == s.payer.get() || provider == s.requester.get();
        if party || (!named.is_zero() && named != provider) {
            return Err(ProviderIneligible { provider, model }.into());
        }
        let mut s = self.sessions.setter(id);
        s.provider.set(provider);
        s.phase.set(U8::from(phase::ACTIVE));
        let lock = IInferenceRegistry::lockCall { provider, model, cost: cap };
        let reply = send(self.registry.get(), &lock, RegistryCallFailed {}.into())?;
        if !calls::is_true(&reply) {
            return Err(ProviderIneligible { provider, model }.into());
        }
        emit(SessionAccepted { id, provider });
        Ok(())
    }
}
