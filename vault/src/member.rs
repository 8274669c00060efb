//! Per-member bookkeeping: the accumulator checkpoint, credits accrued and
//! not yet claimed, the lock, and the beneficiary. The member's principal is
//! their share balance.
//!
//! Members are brought up to date lazily, the next time they are touched
//! (deposit, withdrawal, transfer, claim), so no call ever loops over
//! members.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256, U64};
use openzeppelin_stylus::token::erc20::IErc20;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageU256, StorageU64},
};

use crate::{accrual, Vault};

/// One member's record.
#[storage]
pub struct Member {
    /// Accumulator value at the last checkpoint.
    pub(crate) snapshot: StorageU256,
    /// Credits earned and not yet claimed.
    pub(crate) accrued: StorageU256,
    pub(crate) unlock_at: StorageU64,
    pub(crate) beneficiary: StorageAddress,
}

impl Vault {
    /// Credits `who` has accrued and not claimed, up to now.
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn accrued_of(&self, who: Address) -> U256 {
        let m = self.members.getter(who);
        let principal = self.shares.balance_of(who);
        m.accrued.get() + accrual::earned(principal, m.snapshot.get(), self.acc.get())
    }

    /// Brings `who`'s record up to date: credits earned so far are added to
    /// `accrued` and the checkpoint moves to now.
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn settle(&mut self, who: Address) {
        let accrued = self.accrued_of(who);
        let acc = self.acc.get();
        let mut m = self.members.setter(who);
        m.accrued.set(accrued);
        m.snapshot.set(acc);
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
