//! The request lifecycle, second half: how a request ends. Settled and
//! Refunded are final, so each escrow ends exactly once:
//! - the last fulfilment settles (hashes agree) or disputes
//!   ([`crate::intake`]); the arbiter rules on a dispute ([`OracleBridge::arbitrate`]),
//!   winners paid, losers slashed;
//! - a missed lease is reopened and its provider slashed;
//! - after the deadline (or an unresolved dispute window) the whole escrow is
//!   refunded;
//! - a settled request's callback is told, with capped gas, after the fact.

use alloy_primitives::{Address, B256, U256, U64};
use alloy_sol_types::{sol, SolCall};
use contract_kit::{
    calls::{self, ICreditLedger, IInferenceRegistry},
    events::emit,
    fees::settled_cost,
};
use stylus_sdk::call::RawCall;

use crate::{
    errors::{
        CallbackFailed, DeadlineNotReached, DeadlinePassed, Ended, Error, LeaseActive,
        LeaseReopened, LedgerCallFailed, NoLease, NotDisputed, RegistryCallFailed, RequestClosed,
    },
    intake::ledger_send,
    state::Status,
    OracleBridge,
};

sol! {
    /// What a request's callback receives once the request settles.
    interface IInferenceCallback {
        function onInferenceResult(uint64 id, bytes32 outputHash, bytes output) external;
    }
}

impl OracleBridge {
    /// The arbiter's ruling on disputed request `id`; true when it settled.
    pub(crate) fn arbitrate(&mut self, id: u64, hash: B256, now: u64) -> Result<bool, Error> {
        let r = self.requests.get(id);
        if Status::from_byte(r.status.get().to()) != Status::Disputed {
            return Err(NotDisputed { id }.into());
        }
        if now >= r.dispute_end.get().to::<u64>() {
            return Err(DeadlinePassed { id }.into());
        }
        let k = r.redundancy.get().to::<u8>();
        self.settle(id, k, hash).map(|status| status == Status::Settled)
    }

    /// Pays each slot that delivered `hash` its exact cost, slashes the
    /// others (a dispute's losers) to the payer, and refunds the rest.
    /// Settled when anyone delivered `hash`, Refunded otherwise.
    pub(crate) fn settle(&mut self, id: u64, k: u8, hash: B256) -> Result<Status, Error> {
        let winners = (0..k).filter(|&slot| self.leases.get(id).get(slot).result.get() == hash);
        let status = if winners.count() > 0 { Status::Settled } else { Status::Refunded };
        let mut r = self.requests.setter(id);
        r.status.set(status.byte());
        let agreed = if status == Status::Settled { hash } else { B256::ZERO };
        r.output_hash.set(agreed);
        let prices = (r.price_in.get(), r.price_out.get());
        let limits = (r.input_tokens.get().to::<u32>(), r.max_output.get().to::<u32>());
        let (escrow, payer) = (r.escrow.get().to::<u64>(), r.payer.get());
        let (ledger, registry) = (self.ledger.get(), self.registry.get());
        let (mut first, mut refunded) = (None, U256::ZERO);
        for slot in 0..k {
            let slots = self.leases.get(id);
            let lease = slots.get(slot);
            let provider = lease.provider.get();
            if lease.result.get() != hash {
                let slash = IInferenceRegistry::slashCall { provider, payer, id };
                calls::send(registry, &slash).map_err(|_| RegistryCallFailed {})?;
                continue;
            }
            let reported =
                (lease.input_tokens.get().to::<u32>(), lease.output_tokens.get().to::<u32>());
            let cost = settled_cost(prices.0, prices.1, limits, reported);
            first.get_or_insert(cost);
            if k == 1 {
                let pay = ICreditLedger::settleCall { id: escrow, payee: provider, cost };
                refunded =
                    calls::uint(&ledger_send(ledger, &pay)?).map_err(|_| LedgerCallFailed {})?;
            } else {
                let pay = ICreditLedger::releaseCall { id: escrow, payee: provider, amount: cost };
                ledger_send(ledger, &pay)?;
            }
        }
        if k > 1 {
            let reply = ledger_send(ledger, &ICreditLedger::closeCall { id: escrow })?;
            refunded = calls::uint(&reply).map_err(|_| LedgerCallFailed {})?;
        }
        self.give_back(self.charge_of(id), refunded);
        emit(Ended {
            id,
            status: status as u8,
            outputHash: agreed,
            costPerProvider: first.unwrap_or_default(),
            refunded,
        });
        Ok(status)
    }

    /// Ends request `id` without paying anyone (expiry, or a dispute left
    /// unresolved): the whole escrow goes back to the payer and to the quota.
    fn end_unpaid(&mut self, id: u64) -> Result<U256, Error> {
        let escrow = self.requests.get(id).escrow.get().to::<u64>();
        self.requests.setter(id).status.set(Status::Refunded.byte());
        let reply = ledger_send(self.ledger.get(), &ICreditLedger::closeCall { id: escrow })?;
        let refunded = calls::uint(&reply).map_err(|_| LedgerCallFailed {})?;
        self.give_back(self.charge_of(id), refunded);
        let status = Status::Refunded as u8;
        emit(Ended { id, status, outputHash: B256::ZERO, costPerProvider: U256::ZERO, refunded });
        Ok(refunded)
    }

    pub(crate) fn reopen_slot(&mut self, (id, slot): (u64, u8), now: u64) -> Result<(), Error> {
        self.open(id)?;
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        let provider = lease.provider.get();
        if provider.is_zero() {
            return Err(NoLease { id, slot }.into());
        }
        if lease.done.get() || now < lease.expires.get().to::<u64>() {
            return Err(LeaseActive { id, slot }.into());
        }
        let mut slots = self.leases.setter(id);
        let mut lease = slots.setter(slot);
        lease.provider.set(Address::ZERO);
        lease.expires.set(U64::ZERO);
        emit(LeaseReopened { id, slot, provider });
        let payer = self.requests.get(id).payer.get();
        calls::send(self.registry.get(), &IInferenceRegistry::slashCall { provider, payer, id })
            .map_err(|_| RegistryCallFailed {})?;
        Ok(())
    }

    pub(crate) fn expire(&mut self, id: u64, now: u64) -> Result<U256, Error> {
        let r = self.requests.get(id);
        let end = match Status::from_byte(r.status.get().to()) {
            Status::Open => r.deadline.get(),
            Status::Disputed => r.dispute_end.get(),
            _ => return Err(RequestClosed { id }.into()),
        };
        if now < end.to::<u64>() {
            return Err(DeadlineNotReached { id }.into());
        }
        self.end_unpaid(id)
    }

    /// Tells the request's callback; its failure (or its gas) cannot undo
    /// the settlement, which is final before the call.
    pub(crate) fn call_back(&mut self, id: u64, hash: B256, output: &[u8]) {
        let callback = self.requests.get(id).callback.get();
        if callback.is_zero() {
            return;
        }
        let gas = self.settings.callback_gas.get().to::<u64>();
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
    }

    pub(crate) fn request_view(&self, id: u64) -> (Address, u32, u8, u64, u64, u8, B256) {
        let r = self.requests.get(id);
        (
            r.payer.get(),
            r.model.get().to(),
            r.status.get().to(),
            r.deadline.get().to(),
            r.escrow.get().to(),
            r.results.get().to(),
            r.output_hash.get(),
        )
    }

    pub(crate) fn lease_view(&self, id: u64, slot: u8) -> (Address, u64, bool, B256) {
        let slots = self.leases.get(id);
        let lease = slots.get(slot);
        (lease.provider.get(), lease.expires.get().to(), lease.done.get(), lease.result.get())
    }
}
