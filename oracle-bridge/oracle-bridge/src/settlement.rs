//! The request lifecycle, second half: how a request ends. Settled and
//! Refunded are final, so each escrow ends exactly once:
//! - redundancy 1: the delivery settles ([`crate::delivery`]);
//! - redundancy k >= 2: the tally settles on a strict majority of revealed
//!   digests, sends a split without one to the arbiter, and refunds when
//!   nothing was revealed;
//! - a lapsed lease is reopened and its provider slashed;
//! - after the deadline (or the reveal window, or an unresolved dispute
//!   window) anyone ends the request; every lease still held without an
//!   answer is slashed on the way (review L-1), so ending a request is never
//!   a way out of a slash;
//! - the callback, if any, is told of every end with the gas it was
//!   promised, or the ending transaction reverts (review L-5).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use contract_kit::{
    calls::{self, ICreditLedger},
    events::emit,
    fees::{settled_cost, MAX_REDUNDANCY},
    market::{majority, outcome},
};
use stylus_sdk::{call::RawCall, evm};

use crate::{
    errors::{
        CallbackFailed, CallbackGasTooLow, DeadlineNotReached, DeadlinePassed, Disputed, Ended,
        Error, LeaseActive, LeaseReopened, LedgerCallFailed, NoLease, NotDisputed, RequestClosed,
    },
    intake::{ledger_send, time},
    state::{Phase, Status},
    OracleBridge,
};

sol! {
    /// What a request's callback receives when the request ends: the agreed
    /// digest and, when the ending call carried it, the output (a refund
    /// sends a zero digest and no output).
    interface IInferenceCallback {
        function onInferenceResult(uint64 id, bytes32 outputHash, bytes output) external;
    }
}

/// Gas kept back for the bridge's own work around the callback.
const CALLBACK_OVERHEAD: u64 = 10_000;

/// How a request ends when nobody rules: with a winning digest, or none.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ruling {
    /// Pay the slots that revealed this digest; slash every other holder.
    Pay(B256),
    /// Pay nobody; slash only holders that never answered (a dispute left
    /// unresolved cannot tell right from wrong among the answers).
    Nobody,
}

impl OracleBridge {
    /// Counts request `id`'s revealed digests: a strict majority of the
    /// slots settles on it, a split goes to the arbiter, nothing revealed
    /// refunds (slashing the silent). Returns the digest paid, if any.
    pub(crate) fn tally(&mut self, id: u64, now: u64) -> Result<Option<B256>, Error> {
        let k = self.requests.get(id).redundancy.get().to::<u8>();
        // Each slot's digest is read from storage once, then counted here.
        let mut digests = [B256::ZERO; MAX_REDUNDANCY as usize];
        let mut revealed = 0u8;
        for slot in 0..k {
            if let Some(digest) = self.revealed(id, slot) {
                digests[usize::from(revealed)] = digest;
                revealed += 1;
            }
        }
        let digests = &digests[..usize::from(revealed)];
        let (mut best, mut votes) = (B256::ZERO, 0u8);
        for digest in digests {
            let same = digests.iter().filter(|d| *d == digest).count();
            let same = u8::try_from(same).unwrap_or(u8::MAX);
            if same > votes {
                (best, votes) = (*digest, same);
            }
        }
        if votes >= majority(k) {
            self.settle(id, Ruling::Pay(best), None)?;
            return Ok(Some(best));
        }
        if revealed == 0 {
            self.settle(id, Ruling::Nobody, None)?;
            return Ok(None);
        }
        let window_ends = now.saturating_add(self.settings.dispute_window.get().to());
        let mut r = self.requests.setter(id);
        r.status.set(Status::Disputed.byte());
        r.dispute_end.set(time(window_ends));
        emit(Disputed { id, windowEnds: window_ends });
        Ok(None)
    }

    /// The digest `slot` of request `id` revealed, if it did.
    fn revealed(&self, id: u64, slot: u8) -> Option<B256> {
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        (Phase::from_byte(lease.phase.get().to()) == Phase::Revealed).then(|| lease.hash.get())
    }

    /// The arbiter's ruling on disputed request `id`; true when someone was
    /// paid.
    pub(crate) fn arbitrate(&mut self, id: u64, hash: B256, now: u64) -> Result<bool, Error> {
        let r = self.requests.get(id);
        if Status::from_byte(r.status.get().to()) != Status::Disputed {
            return Err(NotDisputed { id }.into());
        }
        if now >= r.dispute_end.get().to::<u64>() {
            return Err(DeadlinePassed { id }.into());
        }
        self.settle(id, Ruling::Pay(hash), None).map(|status| status == Status::Settled)
    }

    /// Ends request `id`: under [`Ruling::Pay`] each slot that revealed the
    /// digest is paid its cost and every other holder slashed; under
    /// [`Ruling::Nobody`] revealed slots go free and the rest are slashed.
    /// The remainder goes back to the payer. `fresh` is a slot delivered in
    /// this call, whose digest and token counts are not stored (redundancy
    /// 1 never stores them). Settled when anyone was paid, Refunded
    /// otherwise.
    pub(crate) fn settle(
        &mut self,
        id: u64,
        ruling: Ruling,
        fresh: Option<(u8, B256, (u32, u32))>,
    ) -> Result<Status, Error> {
        let r = self.requests.get(id);
        let k = r.redundancy.get().to::<u8>();
        let prices = (U256::from(r.price_in.get()), U256::from(r.price_out.get()));
        let limits = (r.input_tokens.get().to::<u32>(), r.max_output.get().to::<u32>());
        let (escrow, ledger) = (r.escrow.get().to::<u64>(), self.ledger.get());
        // The last winner is paid by `settle`, which also closes the escrow:
        // one ledger call for a request of redundancy 1.
        let (mut paid, mut last) = (U256::ZERO, None);
        for slot in 0..k {
            let slots = self.leases.get(id);
            let lease = slots.get(slot);
            let (provider, phase) =
                (lease.provider.get(), Phase::from_byte(lease.phase.get().to()));
            if phase < Phase::Leased {
                continue;
            }
            let (digest, reported) = match fresh {
                Some((s, digest, tokens)) if s == slot => (digest, tokens),
                _ => (
                    lease.hash.get(),
                    (lease.input_tokens.get().to(), lease.output_tokens.get().to()),
                ),
            };
            let answered = phase == Phase::Revealed;
            let won = answered && ruling == Ruling::Pay(digest);
            if won {
                let cost = settled_cost(prices.0, prices.1, limits, reported);
                paid += cost;
                if let Some((payee, amount)) = last.replace((provider, cost)) {
                    ledger_send(ledger, &ICreditLedger::releaseCall { id: escrow, payee, amount })?;
                }
            }
            let kept = won || (answered && ruling == Ruling::Nobody);
            self.unlock(provider, id, if kept { outcome::DELIVERED } else { outcome::SLASHED })?;
        }
        let reply = match last {
            Some((payee, cost)) => {
                ledger_send(ledger, &ICreditLedger::settleCall { id: escrow, payee, cost })?
            }
            None => ledger_send(ledger, &ICreditLedger::closeCall { id: escrow })?,
        };
        let refunded = calls::uint(&reply).map_err(|_| LedgerCallFailed {})?;
        let (status, digest) = match ruling {
            Ruling::Pay(digest) if last.is_some() => (Status::Settled, digest),
            _ => (Status::Refunded, B256::ZERO),
        };
        self.finish(id, status, digest, (paid, refunded));
        Ok(status)
    }

    /// Records how request `id` ended, refills the quota it was charged to
    /// with what came back, and says so.
    fn finish(&mut self, id: u64, status: Status, digest: B256, (paid, refunded): (U256, U256)) {
        let mut r = self.requests.setter(id);
        r.status.set(status.byte());
        if !digest.is_zero() {
            r.output_hash.set(digest);
        }
        self.give_back(self.charge_of(id), refunded);
        emit(Ended { id, status: status as u8, outputHash: digest, paid, refunded });
    }

    pub(crate) fn reopen_slot(&mut self, (id, slot): (u64, u8), now: u64) -> Result<(), Error> {
        self.open(id)?;
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        let provider = lease.provider.get();
        let phase = Phase::from_byte(lease.phase.get().to());
        if phase < Phase::Leased {
            return Err(NoLease { id, slot }.into());
        }
        if phase != Phase::Leased || now < lease.expires.get().to::<u64>() {
            return Err(LeaseActive { id, slot }.into());
        }
        self.free_slot(id, slot);
        emit(LeaseReopened { id, slot, provider });
        self.unlock(provider, id, outcome::SLASHED)
    }

    /// Ends request `id` once its time is up; returns the digest paid, if
    /// any (zero when refunded or sent to the arbiter).
    pub(crate) fn expire(&mut self, id: u64, now: u64) -> Result<B256, Error> {
        let r = self.requests.get(id);
        let reveal_at = r.reveal_at.get().to::<u64>();
        let (end, tallies) = match Status::from_byte(r.status.get().to()) {
            Status::Open if reveal_at != 0 => (self.reveal_end(reveal_at), true),
            Status::Open => (r.deadline.get().to::<u64>(), false),
            Status::Disputed => (r.dispute_end.get().to::<u64>(), false),
            _ => return Err(RequestClosed { id }.into()),
        };
        if now < end {
            return Err(DeadlineNotReached { id }.into());
        }
        if tallies {
            return Ok(self.tally(id, now)?.unwrap_or_default());
        }
        self.settle(id, Ruling::Nobody, None)?;
        Ok(B256::ZERO)
    }

    /// Tells request `id`'s callback how it ended, if it has one and it
    /// ended. The gas promised is checked first: the caller cannot starve
    /// the callback through the 63/64 rule (review L-5). A callback that
    /// fails cannot undo the ending, which is final before the call.
    ///
    /// # Errors
    /// [`CallbackGasTooLow`].
    pub(crate) fn call_back(&mut self, id: u64, hash: B256, output: &[u8]) -> Result<(), Error> {
        let r = self.requests.get(id);
        let callback = r.callback.get();
        let ended =
            matches!(Status::from_byte(r.status.get().to()), Status::Settled | Status::Refunded);
        if callback.is_zero() || !ended {
            return Ok(());
        }
        let gas = self.settings.callback_gas.get().to::<u64>();
        let needed = gas.saturating_add(gas / 63).saturating_add(CALLBACK_OVERHEAD);
        if evm::gas_left() < needed {
            return Err(CallbackGasTooLow { needed }.into());
        }
        let data = IInferenceCallback::onInferenceResultCall {
            id,
            outputHash: hash,
            output: output.to_vec().into(),
        }
        .abi_encode();
        // SAFETY: the storage cache is flushed first, and the SDK refuses a
        // reentrant call into the bridge, so nothing cached can go stale.
        let result = unsafe { RawCall::new().gas(gas).flush_storage_cache().call(callback, &data) };
        if result.is_err() {
            emit(CallbackFailed { id, callback });
        }
        Ok(())
    }

    pub(crate) fn request_view(&self, id: u64) -> (Address, u32, u8, u64, u8, u8, B256) {
        let r = self.requests.get(id);
        let (k, status) = (r.redundancy.get().to::<u8>(), r.status.get().to::<u8>());
        (
            r.payer.get(),
            r.model.get().to(),
            status,
            r.deadline.get().to(),
            k,
            // Redundancy 1 settles on its one answer without counting it.
            if k == 1 && status == Status::Settled as u8 { 1 } else { r.revealed.get().to() },
            r.output_hash.get(),
        )
    }

    pub(crate) fn lease_view(&self, id: u64, slot: u8) -> (Address, u64, u8, B256) {
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        (lease.provider.get(), lease.expires.get().to(), lease.phase.get().to(), lease.hash.get())
    }
}
