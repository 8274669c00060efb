//! The request lifecycle, first half: open (escrow), claim a lease, hand it
//! back. Delivery is in [`crate::delivery`], the ways a request ends in
//! [`crate::settlement`].
//!
//! ```text
//!            request()          k = 1: fulfil()                 (majority)
//!   (none) ───────────▶ Open ─────────────────────────────────────▶ Settled
//!                        │ per slot: claim() ─▶ Leased                  ▲
//!                        │   abandon(): back, small penalty             │
//!                        │   reopen() after expiry: back, slashed       │
//!                        │ k >= 2: commit() while leased; reveal() once │
//!                        │   every slot committed or the commit window  │
//!                        │   closed; the last reveal (or refund() after │
//!                        │   the reveal window) tallies ────────────────┤
//!                        │              no majority ─▶ Disputed ─ resolve(hash)
//!                        │                               │
//!                        └── refund(): deadline passed ──┴─ window over ─▶ Refunded
//! ```
//! Settled and Refunded are final: each escrow ends exactly once. Every
//! lease that ends frees its collateral in the registry, less what its end
//! takes (see [`contract_kit::market`]).

use alloc::vec::Vec;

use alloy_primitives::{aliases::U96, Address, B256, U256, U32, U64, U8};
use alloy_sol_types::SolCall;
use contract_kit::{
    calls::{self, ICreditLedger, IInferenceRegistry},
    events::emit,
    fees::{self, deadline_ok, lease_end, MAX_REDUNDANCY},
    market::outcome,
};
use stylus_sdk::abi::Bytes;

use crate::{
    errors::{
        DeadlinePassed, Error, InvalidDeadline, InvalidProviders, InvalidSize, LeaseAbandoned,
        LeaseClaimed, LedgerCallFailed, NoFreeSlot, NoLease, ProviderIneligible, QuoteRefused,
        RegistryCallFailed, RequestClosed, Requested, SealedRedundancy,
    },
    policy::Charge,
    state::{Phase, Status, NAMED, SEALED},
    KeyRef, OracleBridge,
};

/// Largest inline prompt, in bytes.
pub const MAX_PROMPT_BYTES: usize = 8 * 1024;
/// Largest inline output, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 8 * 1024;

/// A request as asked, before it is stored.
pub(crate) struct Ask {
    pub(crate) model: u32,
    pub(crate) payer: Address,
    /// Declared input tokens and the most output tokens.
    pub(crate) tokens: (u32, u32),
    pub(crate) deadline: u64,
    pub(crate) callback: Address,
    pub(crate) key: KeyRef,
    /// The inline prompt.
    pub(crate) prompt: Bytes,
    /// The prompt's hash and URI, when it is not inline.
    pub(crate) prompt_ref: (B256, Bytes),
    /// Whether the prompt is sealed, and the key a sealed answer is for.
    pub(crate) sealed: (bool, B256),
    /// The providers that may claim it, one per slot (empty: anyone).
    pub(crate) providers: Vec<Address>,
}

/// What a request on a model costs, priced now by the registry.
pub(crate) struct Quote {
    pub(crate) price_in: U256,
    pub(crate) price_out: U256,
    pub(crate) redundancy: u8,
    pub(crate) escrow: U256,
}

/// Sends `call` to the ledger; any failure is [`LedgerCallFailed`].
pub(crate) fn ledger_send<C: SolCall>(ledger: Address, call: &C) -> Result<Vec<u8>, Error> {
    calls::send(ledger, call).map_err(|_| LedgerCallFailed {}.into())
}

/// A time as stored (40 bits; every time here is checked against a
/// deadline first).
pub(crate) fn time(t: u64) -> alloy_primitives::Uint<40, 1> {
    alloy_primitives::Uint::saturating_from(t)
}

/// Whether `providers` may be named by `payer` for a request of `k` slots:
/// none, or one distinct, non-zero address per slot that is not the payer.
fn valid_names(providers: &[Address], payer: Address, k: u8) -> bool {
    if providers.is_empty() {
        return true;
    }
    providers.len() == usize::from(k)
        && providers
            .iter()
            .enumerate()
            .all(|(i, p)| !p.is_zero() && *p != payer && !providers[..i].contains(p))
}

impl OracleBridge {
    /// Prices a request on `model` through the registry.
    pub(crate) fn quote(
        &self,
        model: u32,
        input_tokens: u32,
        max_output: u32,
    ) -> Result<Quote, Error> {
        let call = IInferenceRegistry::quoteCall {
            model,
            inputTokens: input_tokens,
            maxOutputTokens: max_output,
        };
        let refused = || Error::from(QuoteRefused { model });
        let reply = calls::view(self.registry.get(), &call).map_err(|_| refused())?;
        let field = |i| calls::word(&reply, i).map_err(|_| refused());
        let (price_in, price_out, k, escrow) = (field(0)?, field(1)?, field(2)?, field(3)?);
        // Prices are stored in 96 bits each (the registry refuses more).
        if price_in.bit_len() > 96 || price_out.bit_len() > 96 || k > U256::from(MAX_REDUNDANCY) {
            return Err(refused());
        }
        let redundancy = k.saturating_to();
        Ok(Quote { price_in, price_out, redundancy, escrow })
    }

    /// Ok when request `id` is open.
    pub(crate) fn open(&self, id: u64) -> Result<(), Error> {
        if Status::from_byte(self.requests.get(id).status.get().to()) == Status::Open {
            Ok(())
        } else {
            Err(RequestClosed { id }.into())
        }
    }

    /// The quota charge a request made, if it was charged to a key.
    pub(crate) fn charge_of(&self, id: u64) -> Charge {
        let r = self.requests.get(id);
        let key = r.usage_key.get();
        (!key.is_zero()).then(|| (key, r.usage_period.get().to()))
    }

    /// What one slot of request `id` may cost at most: what a lease on it
    /// reserves collateral for.
    pub(crate) fn slot_cost(&self, id: u64) -> U256 {
        let r = self.requests.get(id);
        let (p_in, p_out) = (U256::from(r.price_in.get()), U256::from(r.price_out.get()));
        let (input, max_out) = (r.input_tokens.get().to(), r.max_output.get().to());
        // Priced without overflow when the request was made.
        fees::cost(p_in, p_out, input, max_out).unwrap_or_default()
    }

    /// Ends `provider`'s lease on request `id` in the registry with
    /// `outcome`, freeing its collateral less what the outcome takes.
    pub(crate) fn unlock(&mut self, provider: Address, id: u64, outcome: u8) -> Result<(), Error> {
        let call =
            IInferenceRegistry::unlockCall { provider, cost: self.slot_cost(id), outcome, id };
        calls::send(self.registry.get(), &call).map_err(|_| RegistryCallFailed {})?;
        Ok(())
    }

    pub(crate) fn open_request(
        &mut self,
        caller: Address,
        ask: Ask,
        now: u64,
    ) -> Result<u64, Error> {
        let (input_tokens, max_output) = ask.tokens;
        let quote = self.quote(ask.model, input_tokens, max_output)?;
        let (prompt_len, prompt_hash) = (ask.prompt.len(), ask.prompt_ref.0);
        if prompt_len > MAX_PROMPT_BYTES || (prompt_len == 0 && prompt_hash.is_zero()) {
            return Err(InvalidSize {}.into());
        }
        if !deadline_ok(ask.deadline, now, self.settings.max_deadline.get().to()) {
            return Err(InvalidDeadline { deadline: ask.deadline }.into());
        }
        let (sealed, k) = (ask.sealed.0, quote.redundancy);
        if sealed && k != 1 {
            return Err(SealedRedundancy { redundancy: k }.into());
        }
        // A sealed prompt opens only with one provider's key: only that
        // provider may claim it (review H-1: otherwise the fastest other
        // worker claims what it cannot open and is slashed).
        if !valid_names(&ask.providers, ask.payer, k) || (sealed && ask.providers.is_empty()) {
            return Err(InvalidProviders {}.into());
        }
        let charge = self.authorize((caller, ask.payer), ask.model, ask.key, quote.escrow)?;
        let id = self.request_count.get().to::<u64>() + 1;
        self.request_count.set(U64::from(id));
        let reply = ledger_send(
            self.ledger.get(),
            &ICreditLedger::escrowCall { payer: ask.payer, amount: quote.escrow },
        )?;
        let escrow = calls::uint(&reply).map_err(|_| LedgerCallFailed {})?;
        let flags = u8::from(sealed) * SEALED + u8::from(!ask.providers.is_empty()) * NAMED;
        self.store_request(id, &ask, &quote, (escrow.saturating_to(), flags), charge);
        let mut slots = self.leases.setter(id);
        for (slot, provider) in (0u8..).zip(&ask.providers) {
            let mut lease = slots.setter(slot);
            lease.provider.set(*provider);
            lease.phase.set(Phase::Named.byte());
        }
        emit(Requested {
            id,
            model: ask.model,
            payer: ask.payer,
            requester: caller,
            inputTokens: input_tokens,
            maxOutputTokens: max_output,
            deadline: ask.deadline,
            maxCost: quote.escrow,
            redundancy: k,
            prompt: ask.prompt.0.into(),
            promptHash: prompt_hash,
            promptUri: ask.prompt_ref.1 .0.into(),
            encrypted: sealed,
            requesterKey: ask.sealed.1,
            providers: ask.providers,
        });
        Ok(id)
    }

    fn store_request(
        &mut self,
        id: u64,
        ask: &Ask,
        quote: &Quote,
        (escrow, flags): (u64, u8),
        charge: Charge,
    ) {
        let mut r = self.requests.setter(id);
        r.payer.set(ask.payer);
        r.model.set(U32::from(ask.model));
        r.status.set(Status::Open.byte());
        r.redundancy.set(U8::from(quote.redundancy));
        r.flags.set(U8::from(flags));
        r.deadline.set(time(ask.deadline));
        r.callback.set(ask.callback);
        r.escrow.set(U64::from(escrow));
        r.input_tokens.set(U32::from(ask.tokens.0));
        r.price_in.set(U96::saturating_from(quote.price_in));
        r.price_out.set(U96::saturating_from(quote.price_out));
        r.max_output.set(U32::from(ask.tokens.1));
        if let Some((key, period)) = charge {
            r.usage_key.set(key);
            r.usage_period.set(U64::from(period));
        }
    }

    pub(crate) fn claim_slot(&mut self, provider: Address, id: u64, now: u64) -> Result<u8, Error> {
        self.open(id)?;
        let r = self.requests.get(id);
        let deadline = r.deadline.get().to::<u64>();
        let (k, model, payer) = (r.redundancy.get().to::<u8>(), r.model.get().to(), r.payer.get());
        let named = r.flags.get().to::<u8>() & NAMED != 0;
        let reveal_at = r.reveal_at.get().to::<u64>();
        // Once reveals may open, a late claimer could copy revealed answers.
        if now >= deadline || (reveal_at != 0 && now >= reveal_at) {
            return Err(DeadlinePassed { id }.into());
        }
        if provider == payer {
            return Err(ProviderIneligible { provider, model }.into());
        }
        let mut free = None;
        for slot in 0..k {
            let slots = self.leases.get(id);
            let lease = slots.get(slot);
            let (holder, phase) = (lease.provider.get(), Phase::from_byte(lease.phase.get().to()));
            let wanted = if named { Phase::Named } else { Phase::Free };
            if holder == provider && phase != wanted {
                return Err(NoFreeSlot { id }.into());
            }
            if phase == wanted && (!named || holder == provider) && free.is_none() {
                free = Some(slot);
            }
        }
        let slot = free.ok_or(NoFreeSlot { id })?;
        let lock = IInferenceRegistry::lockCall { provider, model, cost: self.slot_cost(id) };
        let reply = calls::send(self.registry.get(), &lock).map_err(|_| RegistryCallFailed {})?;
        if !calls::is_true(&reply) {
            return Err(ProviderIneligible { provider, model }.into());
        }
        // A lease never outlasts the deadline nor, once a commitment started
        // the commit window, that window.
        let mut expires = lease_end(now, self.settings.lease_seconds.get().to(), deadline);
        if reveal_at != 0 {
            expires = expires.min(reveal_at);
        }
        let mut slots = self.leases.setter(id);
        let mut lease = slots.setter(slot);
        lease.provider.set(provider);
        lease.expires.set(time(expires));
        lease.phase.set(Phase::Leased.byte());
        emit(LeaseClaimed { id, slot, provider, expires });
        Ok(slot)
    }

    /// The lease `slot` of request `id` that `provider` holds, live at `now`
    /// and in `phase`.
    pub(crate) fn held(
        &self,
        provider: Address,
        (id, slot): (u64, u8),
        phase: Phase,
    ) -> Result<(), Error> {
        self.open(id)?;
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        if lease.provider.get() != provider
            || slot >= self.requests.get(id).redundancy.get().to::<u8>()
        {
            return Err(NoLease { id, slot }.into());
        }
        if Phase::from_byte(lease.phase.get().to()) != phase {
            return Err(crate::errors::WrongPhase { id, slot }.into());
        }
        Ok(())
    }

    /// Whether the lease on `slot` of `id` has not expired at `now`.
    pub(crate) fn live(&self, (id, slot): (u64, u8), now: u64) -> Result<(), Error> {
        if now < self.leases.get(id).get(slot).expires.get().to::<u64>() {
            Ok(())
        } else {
            Err(NoLease { id, slot }.into())
        }
    }

    /// Frees `slot` of request `id`: back to its named provider, or to
    /// anyone.
    pub(crate) fn free_slot(&mut self, id: u64, slot: u8) {
        let named = self.requests.get(id).flags.get().to::<u8>() & NAMED != 0;
        let mut slots = self.leases.setter(id);
        let mut lease = slots.setter(slot);
        lease.expires.set(time(0));
        if named {
            lease.phase.set(Phase::Named.byte());
        } else {
            lease.provider.set(Address::ZERO);
            lease.phase.set(Phase::Free.byte());
        }
    }

    pub(crate) fn abandon_slot(
        &mut self,
        provider: Address,
        (id, slot): (u64, u8),
        now: u64,
    ) -> Result<(), Error> {
        self.held(provider, (id, slot), Phase::Leased)?;
        self.live((id, slot), now)?;
        self.free_slot(id, slot);
        emit(LeaseAbandoned { id, slot, provider });
        self.unlock(provider, id, outcome::ABANDONED)
    }
}
