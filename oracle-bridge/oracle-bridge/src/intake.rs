//! The request lifecycle, first half: open (escrow), claim a lease, fulfil;
//! the last fulfilment settles or disputes (see [`crate::settlement`] for
//! the ways a request ends).
//!
//! ```text
//!            request()            every slot fulfilled, hashes agree
//!   (none) ───────────▶ Open ───────────────────────────────────────▶ Settled
//!                       │  ▲ claim() / fulfil() per slot                  ▲
//!                       │  └ reopen(): lease missed, provider slashed     │ resolve(hash):
//!                       ├── every slot fulfilled, hashes differ ─▶ Disputed  winners paid,
//!                       │                                            │       losers slashed
//!                       │                      refund() after window │
//!                       └── refund() after the deadline ─────────────┴──▶ Refunded
//! ```
//! Settled and Refunded are final: each escrow ends exactly once. A
//! `resolve` on a hash nobody delivered also ends in Refunded, every
//! provider slashed.

use alloc::vec::Vec;

use alloy_primitives::{keccak256, Address, B256, U256, U32, U64, U8};
use alloy_sol_types::SolCall;
use contract_kit::{
    calls::{self, ICreditLedger, IInferenceRegistry},
    events::emit,
    fees::{deadline_ok, escrow_for, lease_end},
};
use stylus_sdk::abi::Bytes;

use crate::{
    errors::{
        DeadlinePassed, Disputed, Error, Fulfilled, InvalidDeadline, InvalidSize, LeaseClaimed,
        LedgerCallFailed, NoFreeSlot, NoLease, ProviderIneligible, QuoteRefused,
        RegistryCallFailed, RequestClosed, Requested,
    },
    policy::Charge,
    state::Status,
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
        let ret = IInferenceRegistry::quoteCall::abi_decode_returns(&reply, true)
            .map_err(|_| refused())?;
        let escrow =
            escrow_for(ret.priceIn, ret.priceOut, input_tokens, max_output, ret.redundancy)
                .ok_or_else(refused)?;
        Ok(Quote {
            price_in: ret.priceIn,
            price_out: ret.priceOut,
            redundancy: ret.redundancy,
            escrow,
        })
    }

    fn check_eligible(&self, provider: Address, model: u32) -> Result<(), Error> {
        let call = IInferenceRegistry::isEligibleCall { provider, model };
        let reply = calls::view(self.registry.get(), &call).map_err(|_| RegistryCallFailed {})?;
        if calls::is_true(&reply) {
            Ok(())
        } else {
            Err(ProviderIneligible { provider, model }.into())
        }
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
        let charge = self.authorize((caller, ask.payer), ask.model, ask.key, quote.escrow)?;
        let id = self.request_count.get().to::<u64>() + 1;
        self.request_count.set(U64::from(id));
        let reply = ledger_send(
            self.ledger.get(),
            &ICreditLedger::escrowCall { payer: ask.payer, amount: quote.escrow },
        )?;
        let escrow = calls::uint(&reply).map_err(|_| LedgerCallFailed {})?;
        let mut r = self.requests.setter(id);
        r.payer.set(ask.payer);
        r.callback.set(ask.callback);
        r.model.set(U32::from(ask.model));
        r.status.set(Status::Open.byte());
        r.redundancy.set(U8::from(quote.redundancy));
        r.input_tokens.set(U32::from(input_tokens));
        r.max_output.set(U32::from(max_output));
        r.deadline.set(U64::from(ask.deadline));
        r.escrow.set(U64::from(escrow.to::<u64>()));
        r.price_in.set(quote.price_in);
        r.price_out.set(quote.price_out);
        if let Some((key, period)) = charge {
            r.usage_key.set(key);
            r.usage_period.set(U64::from(period));
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
            redundancy: quote.redundancy,
            prompt: ask.prompt.0.into(),
            promptHash: prompt_hash,
            promptUri: ask.prompt_ref.1 .0.into(),
            encrypted: ask.sealed.0,
            requesterKey: ask.sealed.1,
        });
        Ok(id)
    }

    pub(crate) fn claim_slot(&mut self, provider: Address, id: u64, now: u64) -> Result<u8, Error> {
        self.open(id)?;
        let r = self.requests.get(id);
        let (deadline, k, model) =
            (r.deadline.get().to::<u64>(), r.redundancy.get().to::<u8>(), r.model.get().to());
        if now >= deadline {
            return Err(DeadlinePassed { id }.into());
        }
        self.check_eligible(provider, model)?;
        let mut free = None;
        for slot in 0..k {
            let holder = self.leases.get(id).get(slot).provider.get();
            if holder == provider {
                return Err(NoFreeSlot { id }.into());
            }
            if holder.is_zero() && free.is_none() {
                free = Some(slot);
            }
        }
        let slot = free.ok_or(NoFreeSlot { id })?;
        let expires = lease_end(now, self.settings.lease_seconds.get().to(), deadline);
        let mut slots = self.leases.setter(id);
        let mut lease = slots.setter(slot);
        lease.provider.set(provider);
        lease.expires.set(U64::from(expires));
        emit(LeaseClaimed { id, slot, provider, expires });
        Ok(slot)
    }

    /// Records a result; returns the agreed hash when the request settled.
    pub(crate) fn deliver(
        &mut self,
        provider: Address,
        (id, slot): (u64, u8),
        output: &[u8],
        (output_hash, output_uri): (B256, Bytes),
        (input_tokens, output_tokens): (u32, u32),
        now: u64,
    ) -> Result<Option<B256>, Error> {
        self.open(id)?;
        if now >= self.requests.get(id).deadline.get().to::<u64>() {
            return Err(DeadlinePassed { id }.into());
        }
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        let live = lease.provider.get() == provider
            && !lease.done.get()
            && now < lease.expires.get().to::<u64>();
        if !live || slot >= self.requests.get(id).redundancy.get().to::<u8>() {
            return Err(NoLease { id, slot }.into());
        }
        let hash = match output.len() {
            0 if output_hash.is_zero() => return Err(InvalidSize {}.into()),
            0 => output_hash,
            n if n > MAX_OUTPUT_BYTES => return Err(InvalidSize {}.into()),
            _ => keccak256(output),
        };
        let mut slots = self.leases.setter(id);
        let mut lease = slots.setter(slot);
        lease.done.set(true);
        lease.result.set(hash);
        lease.input_tokens.set(U32::from(input_tokens));
        lease.output_tokens.set(U32::from(output_tokens));
        emit(Fulfilled {
            id,
            slot,
            provider,
            outputHash: hash,
            inputTokens: input_tokens,
            outputTokens: output_tokens,
            output: output.to_vec().into(),
            outputUri: output_uri.0.into(),
        });
        let mut r = self.requests.setter(id);
        let results = r.results.get().to::<u8>() + 1;
        r.results.set(U8::from(results));
        if results == 1 {
            r.output_hash.set(hash);
        }
        let agreeing = r.agreeing.get().to::<u8>() + u8::from(r.output_hash.get() == hash);
        r.agreeing.set(U8::from(agreeing));
        let k = r.redundancy.get().to::<u8>();
        if results < k {
            return Ok(None);
        }
        if agreeing == k {
            return self.settle(id, k, hash).map(|_| Some(hash));
        }
        let window_ends = now.saturating_add(self.settings.dispute_window.get().to());
        r.status.set(Status::Disputed.byte());
        r.dispute_end.set(U64::from(window_ends));
        emit(Disputed { id, windowEnds: window_ends });
        Ok(None)
    }
}
