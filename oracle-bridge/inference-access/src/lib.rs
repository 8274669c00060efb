//! Inference access: who may charge a payer's credits at the oracle bridge.
//!
//! - A payer may approve requesters outright.
//! - A payer (typically a community AI's token-bound account) sponsors the
//!   holders of a key-NFT collection: each token may spend a quota of the
//!   payer's credits per period, on every model or on a list of models.
//!
//! The bridge asks [`InferenceAccess::authorize`] when a request is made
//! (which books the escrow against the key's quota) and gives back what a
//! request did not spend. The bridge and this contract are two programs
//! because together they do not fit the bridge's size budget; policies also
//! outlive a bridge upgrade, since the admin can point this contract at a
//! new bridge.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
mod quota;
mod state;
#[cfg(test)]
mod tests;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64};
use contract_kit::{delay::Change, events::emit, wiring::BridgeWiring};
use stylus_sdk::{
    block, msg,
    prelude::*,
    storage::{StorageBool, StorageMap},
};

pub use errors::*;

/// How long a replacement bridge waits before it takes over (the first is
/// named at once): a bridge books and refills every sponsor's quotas, so
/// sponsors get two days to withdraw their policies first.
pub const BRIDGE_CHANGE_DELAY: u64 = 2 * 86_400;
pub use quota::{KeyRef, Verdict};
pub use state::{Delegation, Policy, Usage};

/// State of the inference access contract.
#[entrypoint]
#[storage]
pub struct InferenceAccess {
    wiring: BridgeWiring,
    approvals: StorageMap<Address, StorageMap<Address, StorageBool>>,
    policies: StorageMap<Address, StorageMap<Address, Policy>>,
    usage: StorageMap<B256, Usage>,
    delegations: StorageMap<B256, Delegation>,
}

#[public]
impl InferenceAccess {
    /// Sets the `admin`, who names the bridge.
    ///
    /// # Errors
    /// [`ZeroAddress`].
    #[constructor]
    pub fn constructor(&mut self, admin: Address) -> Result<(), Error> {
        self.set_admin_to(admin)
    }

    /// Names the oracle bridge, the only contract that may book quotas: the
    /// first at once, a replacement when the same call is made again
    /// [`BRIDGE_CHANGE_DELAY`] after it was queued.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn set_bridge(&mut self, bridge: Address) -> Result<(), Error> {
        self.wiring.only_admin(msg::sender())?;
        let now = block::timestamp();
        if self.wiring.set_bridge(bridge, now, BRIDGE_CHANGE_DELAY)? == Change::Applied {
            emit(BridgeSet { bridge });
        }
        Ok(())
    }

    /// Names the sessions program, which books quotas for sessions as the
    /// bridge does for requests, under the same rule as `setBridge`.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn set_sessions(&mut self, sessions: Address) -> Result<(), Error> {
        self.wiring.only_admin(msg::sender())?;
        let now = block::timestamp();
        if self.wiring.set_sessions(sessions, now, BRIDGE_CHANGE_DELAY)? == Change::Applied {
            emit(SessionsSet { sessions });
        }
        Ok(())
    }

    /// The sessions program (zero until named).
    pub fn sessions(&self) -> Address {
        self.wiring.sessions()
    }

    /// Hands the admin role to `admin`.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn transfer_admin(&mut self, admin: Address) -> Result<(), Error> {
        self.wiring.only_admin(msg::sender())?;
        self.set_admin_to(admin)
    }

    /// Lets `requester` charge the caller's credits (or stops it).
    pub fn approve_requester(&mut self, requester: Address, approved: bool) {
        let payer = msg::sender();
        self.approvals.setter(payer).setter(requester).set(approved);
        emit(RequesterApproved { payer, requester, approved });
    }

    /// The caller, holding `token` of `collection`, lets `delegate` use the
    /// key as it could (zero: nobody): a gateway or an agent then opens
    /// requests and sessions on the key's quota, which still bounds them.
    /// The delegation ends when the key changes hands.
    ///
    /// # Errors
    /// [`NotKeyHolder`].
    pub fn delegate_key(
        &mut self,
        collection: Address,
        token: U256,
        delegate: Address,
    ) -> Result<(), Error> {
        let caller = msg::sender();
        let key = (collection, token);
        let holder = quota::holder_of(key).unwrap_or_default();
        if holder != caller {
            return Err(NotKeyHolder { caller, holder }.into());
        }
        let mut delegation = self.delegations.setter(quota::key_id(key));
        delegation.holder.set(holder);
        delegation.delegate.set(delegate);
        emit(KeyDelegated { collection, token, holder, delegate });
        Ok(())
    }

    /// Who may use `token` of `collection` besides its holder: the
    /// delegate, while the holder that named it still holds the key (zero
    /// otherwise).
    pub fn delegate_of(&self, collection: Address, token: U256) -> Address {
        let key = (collection, token);
        let delegation = self.delegations.get(quota::key_id(key));
        if quota::holder_of(key) == Some(delegation.holder.get()) {
            delegation.delegate.get()
        } else {
            Address::ZERO
        }
    }

    /// Whether `payer` approved `requester`.
    pub fn is_approved(&self, payer: Address, requester: Address) -> bool {
        self.approvals.get(payer).get(requester)
    }

    /// Sponsors the holders of `collection`: each token may spend `quota`
    /// credits of the caller's per `period` seconds, on every model or only
    /// on the models allowed with [`Self::set_policy_model`]. A zero quota
    /// ends the policy.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (a quota with a zero period).
    pub fn set_policy(
        &mut self,
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
        let payer = msg::sender();
        let mut of_payer = self.policies.setter(payer);
        let mut policy = of_payer.setter(collection);
        policy.quota.set(quota);
        policy.period.set(U64::from(period));
        policy.all_models.set(all_models);
        emit(PolicySet { payer, collection, quota, period, allModels: all_models });
        Ok(())
    }

    /// Allows or forbids `model` under the caller's policy for `collection`.
    pub fn set_policy_model(&mut self, collection: Address, model: u32, allowed: bool) {
        let payer = msg::sender();
        let mut of_payer = self.policies.setter(payer);
        of_payer.setter(collection).models.setter(model).set(allowed);
        emit(PolicyModel { payer, collection, model, allowed });
    }

    /// `payer`'s policy for `collection`: quota per period, period in
    /// seconds, and whether every model is allowed.
    ///
    /// Returns: quota, period, allModels
    pub fn policy(&self, payer: Address, collection: Address) -> (U256, u64, bool) {
        let of_payer = self.policies.get(payer);
        let policy = of_payer.get(collection);
        (policy.quota.get(), policy.period.get().to(), policy.all_models.get())
    }

    /// Whether `payer`'s policy for `collection` lists `model`.
    pub fn policy_allows(&self, payer: Address, collection: Address, model: u32) -> bool {
        self.policies.get(payer).get(collection).models.get(model)
    }

    /// Credits the holder of `token` in `collection` may still spend this
    /// period under `payer`'s policy.
    pub fn quota_left(&self, payer: Address, collection: Address, token: U256) -> U256 {
        self.quota_left_at(payer, (collection, token), block::timestamp())
    }

    /// The bridge asks whether `caller` may charge `amount` of `payer`'s
    /// credits for `model`, holding `token` of `collection` when it asks
    /// under a policy; an allowed charge under a policy is booked against
    /// the key's quota. Returns the verdict (see
    /// [`contract_kit::calls::verdict`]), the quota left when it is too
    /// small, and the booking to give back to (zero when none).
    ///
    /// Returns: verdict, left, record, period
    ///
    /// # Errors
    /// [`NotBridge`].
    pub fn authorize(
        &mut self,
        caller: Address,
        payer: Address,
        model: u32,
        collection: Address,
        token: U256,
        amount: U256,
    ) -> Result<Verdict, Error> {
        self.wiring.only_bridge(msg::sender())?;
        let key = (collection, token);
        Ok(self.check((caller, payer), model, key, amount, block::timestamp()))
    }

    /// The bridge gives back `amount` that a request booked under `record`
    /// in `period` did not spend.
    ///
    /// # Errors
    /// [`NotBridge`].
    pub fn give_back(&mut self, record: B256, period: u64, amount: U256) -> Result<(), Error> {
        self.wiring.only_bridge(msg::sender())?;
        self.refill(record, period, amount);
        Ok(())
    }

    /// The admin and the bridge.
    ///
    /// Returns: admin, bridge
    pub fn wiring(&self) -> (Address, Address) {
        (self.wiring.admin(), self.wiring.bridge())
    }
}

impl InferenceAccess {
    fn set_admin_to(&mut self, admin: Address) -> Result<(), Error> {
        self.wiring.set_admin(admin)?;
        emit(AdminSet { admin });
        Ok(())
    }
}
