//! Who may charge a payer: the payer itself, requesters it approved, and
//! holders of key NFTs it sponsors, within a quota per period.

use alloy_primitives::{keccak256, Address, B256, U256, U64};
use interfaces::{
    calls::{self, IERC721},
    fees::period_of,
};

use crate::{
    errors::{
        emit, Error, InvalidParams, ModelNotAllowed, NotAuthorized, PolicyModel, PolicySet,
        QuotaExceeded, ZeroAddress,
    },
    KeyRef, OracleBridge,
};

/// The usage record of one key token under one payer's policy.
fn usage_key(payer: Address, (collection, token): KeyRef) -> B256 {
    let mut preimage = [0u8; 72];
    preimage[..20].copy_from_slice(payer.as_slice());
    preimage[20..40].copy_from_slice(collection.as_slice());
    preimage[40..].copy_from_slice(&token.to_be_bytes::<32>());
    keccak256(preimage)
}

/// A charge against a key token's quota, to be given back in part when the
/// request settles for less than it escrowed.
pub(crate) type Charge = Option<(B256, u64)>;

impl OracleBridge {
    pub(crate) fn write_policy(
        &mut self,
        payer: Address,
        collection: Address,
        quota: U256,
        period: u64,
        all_models: bool,
    ) -> Result<(), Error> {
        if collection.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if period == 0 && !quota.is_zero() {
            return Err(InvalidParams {}.into());
        }
        let mut of_payer = self.policies.setter(payer);
        let mut policy = of_payer.setter(collection);
        policy.quota.set(quota);
        policy.period.set(U64::from(period));
        policy.all_models.set(all_models);
        emit(PolicySet { payer, collection, quota, period, allModels: all_models });
        Ok(())
    }

    pub(crate) fn write_policy_model(
        &mut self,
        payer: Address,
        collection: Address,
        model: u32,
        allowed: bool,
    ) {
        let mut of_payer = self.policies.setter(payer);
        of_payer.setter(collection).models.setter(model).set(allowed);
        emit(PolicyModel { payer, collection, model, allowed });
    }

    pub(crate) fn quota_left_at(&self, payer: Address, key: KeyRef, now: u64) -> U256 {
        let of_payer = self.policies.get(payer);
        let policy = of_payer.get(key.0);
        let period = period_of(now, policy.period.get().to());
        let usage = self.usage.get(usage_key(payer, key));
        let used =
            if usage.period.get().to::<u64>() == period { usage.used.get() } else { U256::ZERO };
        policy.quota.get().saturating_sub(used)
    }

    /// Checks that `caller` may charge `amount` of `payer`'s credits for
    /// `model` and, under a policy, books it against the key's quota.
    pub(crate) fn authorize(
        &mut self,
        caller: Address,
        payer: Address,
        model: u32,
        key: KeyRef,
        amount: U256,
        now: u64,
    ) -> Result<Charge, Error> {
        if caller == payer || self.approvals.get(payer).get(caller) {
            return Ok(None);
        }
        let unauthorized = || Error::from(NotAuthorized { caller, payer });
        let of_payer = self.policies.get(payer);
        let policy = of_payer.get(key.0);
        if key.0.is_zero() || policy.quota.get().is_zero() {
            return Err(unauthorized());
        }
        if !policy.all_models.get() && !policy.models.get(model) {
            return Err(ModelNotAllowed { model }.into());
        }
        let reply = calls::view(key.0, &IERC721::ownerOfCall { tokenId: key.1 });
        if reply.and_then(|r| calls::address(&r)) != Ok(caller) {
            return Err(unauthorized());
        }
        let left = self.quota_left_at(payer, key, now);
        if amount > left {
            return Err(QuotaExceeded { left, needed: amount }.into());
        }
        let period = period_of(now, policy.period.get().to());
        let record = usage_key(payer, key);
        let quota = policy.quota.get();
        let mut usage = self.usage.setter(record);
        usage.period.set(U64::from(period));
        usage.used.set(quota - left + amount);
        Ok(Some((record, period)))
    }

    /// Gives `amount` back to the quota that was charged, if its period is
    /// still running (a new period starts from a full quota anyway).
    pub(crate) fn give_back(&mut self, charge: Charge, amount: U256) {
        let Some((record, period)) = charge else { return };
        let mut usage = self.usage.setter(record);
        if usage.period.get().to::<u64>() == period {
            let used = usage.used.get();
            usage.used.set(used.saturating_sub(amount));
        }
    }
}
