//! The steps of deposits, withdrawals and harvests that talk to the asset,
//! the yield source and the ledger.

use alloy_primitives::{Address, U256, U64};
use contract_kit::{
    calls::{self, ICreditLedger},
    events::emit,
};
use openzeppelin_stylus::token::erc20::IErc20;
use stylus_sdk::{block, contract};

use crate::{
    accrual::{self, Holding},
    params::MAX_LOCK,
    BeneficiaryFixed, Claimed, DepositsPaused, Error, ExternalCallFailed, Harvested,
    InsufficientPrincipal, LockTooLong, LossReported, SourceAtLoss, StillLocked, Vault,
    ZeroAddress, ZeroAmount,
};

impl Vault {
    /// Checks a deposit before anything changes.
    pub(crate) fn check_deposit(
        &self,
        assets: U256,
        beneficiary: Address,
        lock_seconds: u64,
    ) -> Result<(), Error> {
        if self.paused.get() {
            return Err(DepositsPaused {}.into());
        }
        if assets.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if lock_seconds > MAX_LOCK {
            return Err(LockTooLong { lockSeconds: lock_seconds, max: MAX_LOCK }.into());
        }
        let fixed = self.fixed_beneficiary.get();
        if !fixed.is_zero() && !beneficiary.is_zero() && beneficiary != fixed {
            return Err(BeneficiaryFixed { beneficiary: fixed }.into());
        }
        Ok(())
    }

    /// Checks a withdrawal before anything changes.
    pub(crate) fn check_withdraw(
        &self,
        member: Address,
        principal: U256,
        receiver: Address,
    ) -> Result<(), Error> {
        if principal.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if receiver.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let held = self.shares.balance_of(member);
        if held < principal {
            return Err(InsufficientPrincipal { member, principal: held, needed: principal }.into());
        }
        let now = block::timestamp();
        let unlock_at: u64 = self.members.getter(member).unlock_at.get().to();
        if now < unlock_at {
            return Err(StillLocked { unlockAt: unlock_at, now }.into());
        }
        Ok(())
    }

    /// The body of `harvest()`, run under the reentrancy lock; `tipped` is
    /// the caller to tip (none for the harvest that deposits, withdrawals
    /// and transfers run first).
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn harvest_inner(&mut self, tipped: Option<Address>) -> Result<(U256, U256), Error> {
        let holding = self.holding()?;
        self.harvest_with(holding, tipped)
    }

    /// Harvests with the source worth `value` now. The yield is the surplus
    /// redeemed from the source plus any asset the vault holds idle: the
    /// vault keeps none between calls, so an idle balance can only be a
    /// donation or a stray transfer, and it goes to the members as yield
    /// (review I-8).
    fn harvest_with(
        &mut self,
        holding: Holding,
        tipped: Option<Address>,
    ) -> Result<(U256, U256), Error> {
        let principal = self.shares.total_supply();
        let value = holding.value;
        if value < principal {
            emit(LossReported { value, principal });
        }
        let params = self.params.read();
        let surplus = holding.surplus(principal, params.buffer_bps);
        let fixed = self.fixed_beneficiary.get();
        // With no principal and no fixed beneficiary nobody is owed this
        // yield yet (a donation before the first deposit): it stays for the
        // first members.
        if fixed.is_zero() && principal.is_zero() {
            return Ok((U256::ZERO, U256::ZERO));
        }
        let got = self.skim(surplus)?;
        if got.is_zero() {
            return Ok((U256::ZERO, U256::ZERO));
        }
        let mut tip = U256::ZERO;
        if let Some(caller) = tipped {
            tip = accrual::tip(got, params.tip_bps, params.max_tip);
            if !tip.is_zero() {
                let asset = self.asset.get();
                calls::transfer(asset, caller, tip).map_err(failed(asset))?;
            }
        }
        let credits = self.deliver(got - tip)?;
        if fixed.is_zero() {
            let (inc, rem) = accrual::distribute(credits, self.acc_remainder.get(), principal);
            let acc = self.acc.get() + inc;
            self.acc.set(acc);
            self.acc_remainder.set(rem);
        } else {
            self.mint(fixed, credits)?;
        }
        self.last_harvest.set(U64::from(block::timestamp()));
        let caller = tipped.unwrap_or_default();
        emit(Harvested { caller, surplus, tip, credits });
        Ok((credits, tip))
    }

    /// Reads the source's holding, refuses to go on while it is worth less
    /// than the principal (review M-1: new principal would absorb the loss),
    /// and in vaults whose members choose their beneficiaries harvests the
    /// yield accrued so far for the members holding now (review M-2:
    /// principal that arrives by deposit or transfer, or leaves, never moves
    /// yield that accrued before). Returns the holding read before the
    /// harvest, which keeps one source share back for exact exits.
    pub(crate) fn harvest_for_holders(&mut self, refuse_loss: bool) -> Result<Holding, Error> {
        let holding = self.holding()?;
        let principal = self.shares.total_supply();
        if refuse_loss && holding.value < principal {
            return Err(SourceAtLoss { value: holding.value, principal }.into());
        }
        if self.fixed_beneficiary.get().is_zero() {
            self.harvest_with(holding, None)?;
        }
        Ok(holding)
    }

    /// Hands `amount` of the asset to the ledger; returns what it received.
    fn deliver(&mut self, amount: U256) -> Result<U256, Error> {
        if amount.is_zero() {
            return Ok(U256::ZERO);
        }
        let ledger = self.ledger.get();
        let asset = self.asset.get();
        calls::approve(asset, ledger, amount).map_err(failed(asset))?;
        let reply = calls::send(ledger, &ICreditLedger::depositYieldCall { amount });
        reply.and_then(|r| calls::uint(&r)).map_err(failed(ledger))
    }

    /// Mints `amount` credits from the vault's reserve on the ledger to `to`.
    #[inline(never)] // shared by several entry points; inlining copies it
    fn mint(&mut self, to: Address, amount: U256) -> Result<(), Error> {
        if amount.is_zero() {
            return Ok(());
        }
        let ledger = self.ledger.get();
        calls::send(ledger, &ICreditLedger::mintCreditsCall { to, amount })
            .map_err(failed(ledger))?;
        Ok(())
    }

    /// Mints `member`'s accrued credits (after [`Self::settle`]) to their
    /// beneficiary.
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn pay_accrued(&mut self, member: Address) -> Result<U256, Error> {
        let credits = self.members.getter(member).accrued.get();
        if credits.is_zero() {
            return Ok(U256::ZERO);
        }
        self.members.setter(member).accrued.set(U256::ZERO);
        let beneficiary = self.beneficiary_of_member(member);
        self.mint(beneficiary, credits)?;
        emit(Claimed { member, beneficiary, credits });
        Ok(credits)
    }
}

/// `transferFrom(from, vault, amount)` on `token`; returns what arrived,
/// measured by the vault's balance.
pub(crate) fn pull(token: Address, from: Address, amount: U256) -> Result<U256, Error> {
    let me = contract::address();
    let before = calls::balance_of(token, me).map_err(failed(token))?;
    calls::transfer_from(token, from, me, amount).map_err(failed(token))?;
    let after = calls::balance_of(token, me).map_err(failed(token))?;
    Ok(after.saturating_sub(before))
}

/// Maps a failed call to `target` to the vault's error.
pub(crate) fn failed(target: Address) -> impl FnOnce(calls::CallFailed) -> Error {
    move |_| ExternalCallFailed { target }.into()
}
