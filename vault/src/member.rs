//! Per-member bookkeeping: principal that waits for the next harvest, the
//! accumulator checkpoint, credits accrued, lock and beneficiary.
//!
//! Principal deposited during an epoch is *pending*: it starts to earn at the
//! harvest that closes the epoch. This is what stops a flash deposit placed
//! just before a harvest from taking yield that accrued before it arrived.
//! Pending principal turns active lazily, the next time the member is
//! touched, using the accumulator value recorded when its epoch closed; so no
//! call ever loops over members.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256, U64};
use openzeppelin_stylus::token::erc20::IErc20;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageU256, StorageU64},
};

use crate::{accrual, Vault};

/// One member's record. The member's principal itself is their share
/// balance.
#[storage]
pub struct Member {
    /// Principal deposited in epoch `pending_epoch`, not earning yet.
    pub(crate) pending: StorageU256,
    pub(crate) pending_epoch: StorageU64,
    /// Accumulator value at the last checkpoint.
    pub(crate) snapshot: StorageU256,
    /// Credits earned and not yet claimed.
    pub(crate) accrued: StorageU256,
    pub(crate) unlock_at: StorageU64,
    pub(crate) beneficiary: StorageAddress,
}

/// A member's accrual state as of now, computed without writing.
pub(crate) struct Checkpoint {
    /// Credits accrued and not claimed, including those since the last
    /// checkpoint.
    pub accrued: U256,
    /// Principal still pending in the current epoch.
    pub pending: U256,
}

impl Vault {
    /// Computes `who`'s accrual up to now.
    pub(crate) fn checkpoint_of(&self, who: Address) -> Checkpoint {
        let acc = self.acc.get();
        let epoch = self.epoch.get();
        let balance = self.shares.balance_of(who);
        let m = self.members.getter(who);
        let mut pending = m.pending.get();
        let active = balance.saturating_sub(pending);
        let mut accrued = m.accrued.get() + accrual::earned(active, m.snapshot.get(), acc);
        let pending_epoch = m.pending_epoch.get();
        if !pending.is_zero() && pending_epoch < epoch {
            let start = self.epoch_acc.get(pending_epoch.to::<u64>());
            accrued += accrual::earned(pending, start, acc);
            pending = U256::ZERO;
        }
        Checkpoint { accrued, pending }
    }

    /// Brings `who`'s record up to date: credits earned so far are added to
    /// `accrued`, pending principal of closed epochs turns active.
    pub(crate) fn settle(&mut self, who: Address) -> Checkpoint {
        let cp = self.checkpoint_of(who);
        let acc = self.acc.get();
        let epoch = self.epoch.get();
        let mut m = self.members.setter(who);
        m.accrued.set(cp.accrued);
        m.snapshot.set(acc);
        m.pending.set(cp.pending);
        m.pending_epoch.set(epoch);
        cp
    }

    /// Adds `amount` of fresh principal to `who`'s pending principal (after
    /// [`Self::settle`]).
    pub(crate) fn add_pending(&mut self, who: Address, amount: U256) {
        let mut m = self.members.setter(who);
        let pending = m.pending.get() + amount;
        m.pending.set(pending);
        let total = self.pending_principal.get() + amount;
        self.pending_principal.set(total);
    }

    /// Takes `amount` of `who`'s principal out of the pending and active
    /// totals, pending first (after [`Self::settle`]). Returns the pending
    /// part.
    pub(crate) fn remove_principal(&mut self, who: Address, amount: U256) -> U256 {
        let mut m = self.members.setter(who);
        let pending = m.pending.get();
        let from_pending = pending.min(amount);
        m.pending.set(pending - from_pending);
        let total_pending = self.pending_principal.get() - from_pending;
        self.pending_principal.set(total_pending);
        let active = self.active_principal.get() - (amount - from_pending);
        self.active_principal.set(active);
        from_pending
    }

    /// Where `who`'s yield goes: the vault's fixed beneficiary, else the one
    /// the member chose, else the member.
    pub(crate) fn beneficiary_of_member(&self, who: Address) -> Address {
        let fixed = self.fixed_beneficiary.get();
        if !fixed.is_zero() {
            return fixed;
        }
        let chosen = self.members.getter(who).beneficiary.get();
        if chosen.is_zero() {
            who
        } else {
            chosen
        }
    }

    /// Extends `who`'s lock to `lock` seconds from `now`; returns the unlock
    /// time.
    pub(crate) fn extend_lock(&mut self, who: Address, now: u64, lock: u64) -> u64 {
        let mut m = self.members.setter(who);
        let unlock = accrual::unlock_after(m.unlock_at.get().to(), now, lock);
        m.unlock_at.set(U64::from(unlock));
        unlock
    }
}
