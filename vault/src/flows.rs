//! The steps of deposits, withdrawals and harvests that talk to the asset,
//! the yield source and the ledger.

use alloy_primitives::{Address, U256, U64};
use contract_kit::{
    calls::{self, ICreditLedger},
    events::emit,
    guard::Guarded,
};
use openzeppelin_stylus::token::erc20::IErc20;
use stylus_sdk::{block, contract, msg};

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

    /// The body of `harvest()`, run under the reentrancy lock: shares out
    /// the surplus that accrued since the last harvest, then delivers
    /// everything shared out and not yet delivered to the ledger, with the
    /// tips held, which go to `caller`.
    pub(crate) fn harvest_inner(&mut self, caller: Address) -> Result<(U256, U256), Error> {
        let holding = self.holding()?;
        let principal = self.shares.total_supply();
        if holding.value < principal {
            emit(LossReported { value: holding.value, principal });
        }
        let surplus = holding.surplus(principal, self.params.read().buffer_bps);
        self.accrue(surplus)?;
        let (credits, tip) = self.deliver_owed()?;
        if credits.is_zero() && tip.is_zero() {
            return Ok((credits, tip));
        }
        self.last_harvest.set(U64::from(block::timestamp()));
        emit(Harvested { caller, surplus, tip, credits });
        Ok((credits, tip))
    }

    /// Shares out `surplus` (value above the principal, the loss buffer and
    /// what the vault already owes, in the unit of account) to whoever holds
    /// principal now: the members' accumulator moves, or, in a vault with a
    /// fixed beneficiary, it is owed to that beneficiary. Nothing leaves the
    /// source here, so an illiquid or paused source never blocks the
    /// deposits, withdrawals and transfers that run this first (review M-2
    /// without a redemption); [`Self::deliver_owed`] moves it later. A tip
    /// of it is held for the next harvester, never more than the tip cap.
    #[inline(never)] // shared by several entry points; inlining copies it
    fn accrue(&mut self, surplus: U256) -> Result<(), Error> {
        let principal = self.shares.total_supply();
        let fixed = self.fixed_beneficiary.get();
        // With no principal and no fixed beneficiary nobody is owed this
        // yield yet (a donation before the first deposit): it stays for the
        // first members.
        if surplus.is_zero() || (fixed.is_zero() && principal.is_zero()) {
            return Ok(());
        }
        let credits = self.credits_for(surplus)?;
        let params = self.params.read();
        let held = self.tips_held.get();
        let tip = accrual::tip(credits, params.tip_bps, params.max_tip.saturating_sub(held));
        self.tips_held.set(held + tip);
        let shared = credits - tip;
        self.owed.set(self.owed.get() + shared);
        if fixed.is_zero() {
            self.share(shared, principal);
        }
        Ok(())
    }

    /// Adds `credits` shared over `principal` to the members' accumulator.
    #[inline(never)] // shared by harvests and the sharing before deposits
    fn share(&mut self, credits: U256, principal: U256) {
        let (inc, rem) = accrual::distribute(credits, self.acc_remainder.get(), principal);
        self.acc.set(self.acc.get() + inc);
        self.acc_remainder.set(rem);
    }

    /// Takes what the vault owes and the tips held out of the source, in one
    /// withdrawal (one rounding, which the share kept back for it pays),
    /// and delivers it to the ledger: the credits go to the vault's reserve,
    /// from which members' claims are paid, or to the fixed beneficiary; the
    /// tips go to the caller, whose call did the delivering. Asset the vault
    /// holds idle goes along: it keeps none between calls, so an idle
    /// balance can only be a donation or a stray transfer, and it goes to
    /// the members as yield (review I-8). Returns the credits delivered and
    /// the tip paid.
    #[inline(never)] // shared by harvests and claims
    pub(crate) fn deliver_owed(&mut self) -> Result<(U256, U256), Error> {
        let owed = self.owed.get();
        let held = self.tips_held.get();
        let principal = self.shares.total_supply();
        let fixed = self.fixed_beneficiary.get();
        let got = self.skim(owed + held)?;
        let tip = held.min(got);
        if !tip.is_zero() {
            let asset = self.asset.get();
            calls::transfer(asset, msg::sender(), tip).map_err(failed(asset))?;
            self.tips_held.set(held - tip);
        }
        let mut deliverable = got - tip;
        if fixed.is_zero() && principal.is_zero() {
            // No member to share an idle balance with yet (a donation
            // before the first deposit): it stays for the first members.
            deliverable = deliverable.min(owed);
        }
        let credits = self.deliver(deliverable)?;
        self.owed.set(owed.saturating_sub(credits));
        if fixed.is_zero() {
            let extra = credits.saturating_sub(owed);
            if !extra.is_zero() {
                self.share(extra, principal);
            }
        } else {
            self.mint(fixed, credits)?;
        }
        Ok((credits, tip))
    }

    /// Reads the source's holding, refuses to go on while it is worth less
    /// than the principal (review M-1: new principal would absorb the loss),
    /// and in vaults whose members choose their beneficiaries shares out the
    /// yield accrued so far to the members holding now (review M-2:
    /// principal that arrives by deposit or transfer, or leaves, never moves
    /// yield that accrued before). Returns the holding after: what was
    /// shared out is set aside, and the source shares kept back decide
    /// whether the exit or deposit that follows can be exact.
    pub(crate) fn harvest_for_holders(&mut self, refuse_loss: bool) -> Result<Holding, Error> {
        let holding = self.holding()?;
        let principal = self.shares.total_supply();
        if refuse_loss && holding.value < principal {
            return Err(SourceAtLoss { value: holding.value, principal }.into());
        }
        if !self.fixed_beneficiary.get().is_zero() {
            return Ok(holding);
        }
        let surplus = holding.surplus(principal, self.params.read().buffer_bps);
        self.accrue(surplus)?;
        Ok(holding.less(surplus))
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
    /// beneficiary. When the vault's reserve on the ledger cannot pay them,
    /// the yield shared out but not yet delivered is delivered first, under
    /// the reentrancy lock (which the caller holds when `locked`), with the
    /// tips held to the caller as in a harvest.
    #[inline(never)] // shared by several entry points; inlining copies it
    pub(crate) fn pay_accrued(&mut self, member: Address, locked: bool) -> Result<U256, Error> {
        let credits = self.members.getter(member).accrued.get();
        if credits.is_zero() {
            return Ok(U256::ZERO);
        }
        self.members.setter(member).accrued.set(U256::ZERO);
        let beneficiary = self.beneficiary_of_member(member);
        // The common case needs no lock: the record is settled before the
        // ledger (trusted) is called.
        if self.mint(beneficiary, credits).is_err() {
            if locked {
                self.deliver_owed()?;
            } else {
                self.guarded(Self::deliver_owed)?;
            }
            self.mint(beneficiary, credits)?;
        }
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
