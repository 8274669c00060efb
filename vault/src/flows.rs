//! The steps of deposits, withdrawals and harvests that talk to the asset,
//! the yield source and the ledger.

use alloy_primitives::{Address, U256, U64};
use interfaces::calls::{ICreditLedger, IERC20, IERC4626};
use openzeppelin_stylus::token::erc20::IErc20;
use stylus_sdk::{block, contract};

use crate::{
    accrual, log, params::MAX_LOCK, AssetShortfall, BeneficiaryFixed, Claimed, DepositCapExceeded,
    DepositsPaused, Error, ExternalCallFailed, Harvested, InsufficientPrincipal, LockTooLong,
    LossReported, StillLocked, Vault, ZeroAddress, ZeroAmount,
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
        let params = self.params.read();
        let total = self.shares.total_supply().saturating_add(assets);
        if !params.allows_total(total) {
            return Err(DepositCapExceeded { cap: params.deposit_cap, total }.into());
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

    /// Pulls `assets` from `member` and deposits them into the source.
    pub(crate) fn pull_and_invest(&mut self, member: Address, assets: U256) -> Result<(), Error> {
        let asset = self.asset.get();
        let received = self.pull(asset, member, assets)?;
        if received != assets {
            return Err(AssetShortfall { expected: assets, received }.into());
        }
        let source = self.source.get();
        let failed = ExternalCallFailed { target: source };
        approve(self, asset, source, assets)?;
        IERC4626::new(source)
            .deposit(&mut *self, assets, contract::address())
            .map_err(|_| failed)?;
        Ok(())
    }

    /// `transferFrom(from, vault, amount)` on `token`; returns what arrived,
    /// measured by the vault's balance.
    fn pull(&mut self, token: Address, from: Address, amount: U256) -> Result<U256, Error> {
        let me = contract::address();
        let before = balance(self, token, me)?;
        let ok = IERC20::new(token).transfer_from(&mut *self, from, me, amount);
        if !matches!(ok, Ok(true)) {
            return Err(ExternalCallFailed { target: token }.into());
        }
        Ok(balance(self, token, me)?.saturating_sub(before))
    }

    /// The body of `harvest()`, run under the reentrancy lock.
    pub(crate) fn harvest_inner(&mut self, caller: Address) -> Result<(U256, U256), Error> {
        let principal = self.shares.total_supply();
        let value = self.source_value()?;
        if value < principal {
            log(LossReported { value, principal });
        }
        let params = self.params.read();
        let surplus = accrual::surplus(value, principal, params.buffer_bps);
        let fixed = self.fixed_beneficiary.get();
        let active = self.active_principal.get();
        let (mut credits, mut tip) = (U256::ZERO, U256::ZERO);
        // With no active principal and no fixed beneficiary nobody is owed
        // this yield yet: it stays in the source for the next harvest.
        if !surplus.is_zero() && (!fixed.is_zero() || !active.is_zero()) {
            let got = self.redeem_surplus(surplus)?;
            tip = accrual::tip(got, params.tip_bps, params.max_tip);
            if !tip.is_zero() {
                transfer(self, self.asset.get(), caller, tip)?;
            }
            credits = self.deliver(got - tip)?;
            if fixed.is_zero() {
                let (inc, rem) = accrual::distribute(credits, self.acc_remainder.get(), active);
                let acc = self.acc.get() + inc;
                self.acc.set(acc);
                self.acc_remainder.set(rem);
            } else {
                self.mint(fixed, credits)?;
            }
        }
        let epoch = self.close_epoch();
        log(Harvested { caller, surplus, tip, credits, epoch });
        Ok((credits, tip))
    }

    /// Redeems `assets` of surplus from the source to the vault; returns
    /// what arrived.
    fn redeem_surplus(&mut self, assets: U256) -> Result<U256, Error> {
        let source = self.source.get();
        let asset = self.asset.get();
        let me = contract::address();
        let before = balance(self, asset, me)?;
        IERC4626::new(source)
            .withdraw(&mut *self, assets, me, me)
            .map_err(|_| ExternalCallFailed { target: source })?;
        Ok(balance(self, asset, me)?.saturating_sub(before))
    }

    /// Hands `amount` of the asset to the ledger; returns what it received.
    fn deliver(&mut self, amount: U256) -> Result<U256, Error> {
        if amount.is_zero() {
            return Ok(U256::ZERO);
        }
        let ledger = self.ledger.get();
        approve(self, self.asset.get(), ledger, amount)?;
        ICreditLedger::new(ledger)
            .deposit_yield(&mut *self, amount)
            .map_err(|_| ExternalCallFailed { target: ledger }.into())
    }

    /// Mints `amount` credits from the vault's reserve on the ledger to `to`.
    fn mint(&mut self, to: Address, amount: U256) -> Result<(), Error> {
        if amount.is_zero() {
            return Ok(());
        }
        let ledger = self.ledger.get();
        ICreditLedger::new(ledger)
            .mint_credits(&mut *self, to, amount)
            .map_err(|_| ExternalCallFailed { target: ledger }.into())
    }

    /// Closes the current epoch: pending principal starts to earn. Returns
    /// the epoch closed.
    fn close_epoch(&mut self) -> u64 {
        let epoch: u64 = self.epoch.get().to();
        let acc = self.acc.get();
        self.epoch_acc.setter(epoch).set(acc);
        let active = self.active_principal.get() + self.pending_principal.get();
        self.active_principal.set(active);
        self.pending_principal.set(U256::ZERO);
        self.epoch.set(U64::from(epoch + 1));
        self.last_harvest.set(U64::from(block::timestamp()));
        epoch
    }

    /// Mints `member`'s accrued credits (after [`Self::settle`]) to their
    /// beneficiary.
    pub(crate) fn pay_accrued(&mut self, member: Address) -> Result<U256, Error> {
        let credits = self.members.getter(member).accrued.get();
        if credits.is_zero() {
            return Ok(U256::ZERO);
        }
        self.members.setter(member).accrued.set(U256::ZERO);
        let beneficiary = self.beneficiary_of_member(member);
        self.mint(beneficiary, credits)?;
        log(Claimed { member, beneficiary, credits });
        Ok(credits)
    }
}

/// `token.balanceOf(who)`.
fn balance(vault: &Vault, token: Address, who: Address) -> Result<U256, Error> {
    IERC20::new(token)
        .balance_of(vault, who)
        .map_err(|_| ExternalCallFailed { target: token }.into())
}

/// `token.approve(spender, amount)`, requiring `true`.
fn approve(vault: &mut Vault, token: Address, spender: Address, amount: U256) -> Result<(), Error> {
    match IERC20::new(token).approve(vault, spender, amount) {
        Ok(true) => Ok(()),
        _ => Err(ExternalCallFailed { target: token }.into()),
    }
}

/// `token.transfer(to, amount)`, requiring `true`.
fn transfer(vault: &mut Vault, token: Address, to: Address, amount: U256) -> Result<(), Error> {
    match IERC20::new(token).transfer(vault, to, amount) {
        Ok(true) => Ok(()),
        _ => Err(ExternalCallFailed { target: token }.into()),
    }
}
