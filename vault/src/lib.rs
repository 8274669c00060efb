//! A principal-protected, yield-skimming vault over one yield source: an
//! ERC-4626 vault (the `vault` program) or a wstETH-style rate token (the
//! `rate-vault` program, these sources built with the `rate-source`
//! feature); see [`source`].
//!
//! Members deposit the underlying asset; the vault puts it into the source
//! and mints one share per asset unit of principal. `harvest()` is
//! permissionless: it measures what the source's shares are worth above the
//! principal and a loss buffer, redeems only that surplus, pays the caller a
//! small capped tip and delivers the rest to the credit ledger as compute
//! credits for the members' beneficiaries (or for one fixed beneficiary, such
//! as a community AI's account). Principal is never harvested: a member who
//! leaves gets their principal back, or their pro-rata share of the source's
//! value if the source has lost value.
//!
//! Every call costs the same with 2 members or 2 million: yield is shared
//! through an O(1) accumulator (see [`accrual`]) and members are brought up
//! to date lazily (see [`member`]). A deposit, a withdrawal and a share
//! transfer first share out the surplus that accrued before them to the
//! members holding then, so new principal (a flash deposit placed just
//! before a harvest included) never takes yield that accrued before it
//! arrived. Sharing out moves nothing: the yield stays in the source, owed
//! to the ledger, until a harvest delivers it, so a source that cannot pay
//! out (illiquid, paused) never blocks a deposit, and blocks an exit only
//! as far as it holds the exit's own principal back.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

pub mod accrual;
mod errors;
mod flows;
pub mod member;
mod owner;
pub mod params;
mod shares;
pub mod source;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64, U8};
use contract_kit::{
    calls::{self, IERC4626},
    events::emit,
    guard::{Guarded, ReentrancyGuard},
    short_string::ShortString,
};
use openzeppelin_stylus::{
    access::ownable::{IOwnable, Ownable},
    token::erc20::{Erc20, IErc20},
};
use stylus_sdk::{
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64, StorageU8},
};

pub use errors::*;
use member::Member;
use params::{Params, PendingChange, StoredParams, MAX_DELAY, MIN_DELAY};

/// State of the vault.
#[entrypoint]
#[storage]
pub struct Vault {
    shares: Erc20,
    ownable: Ownable,
    guard: ReentrancyGuard,
    name: ShortString,
    symbol: ShortString,
    decimals: StorageU8,
    asset: StorageAddress,
    source: StorageAddress,
    ledger: StorageAddress,
    fixed_beneficiary: StorageAddress,
    paused: StorageBool,
    params: StoredParams,
    pending_change: PendingChange,
    delay: StorageU64,
    /// Credits per unit of principal, scaled by [`accrual::ACC_SCALE`].
    acc: StorageU256,
    acc_remainder: StorageU256,
    last_harvest: StorageU64,
    members: StorageMap<Address, Member>,
    /// Yield shared out and not yet delivered to the ledger, in credits
    /// (see [`Vault::undelivered`]).
    owed: StorageU256,
    /// Tips held for the next harvester, in credits.
    tips_held: StorageU256,
}

impl Guarded for Vault {
    fn lock(&mut self) -> &mut ReentrancyGuard {
        &mut self.guard
    }
}

#[public]
#[implements(IErc20<Error = Error>, IOwnable)]
impl Vault {
    /// Wires the vault: `asset`, its ERC-4626 yield `source`, the credit
    /// `ledger` (all three for the same asset), the `owner`, and an optional
    /// `fixed_beneficiary` that receives all yield (zero: each member picks).
    /// `name` and `symbol` are `bytes32` text (see
    /// [`contract_kit::short_string`]). Parameter changes wait `delay` seconds.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`AssetMismatch`], [`ExternalCallFailed`],
    /// [`TipTooHigh`], [`BufferTooHigh`], [`DelayOutOfRange`] (a delay under a day
    /// or over 30 days).
    #[constructor]
    #[allow(clippy::too_many_arguments)]
    pub fn constructor(
        &mut self,
        asset: Address,
        source: Address,
        ledger: Address,
        owner: Address,
        fixed_beneficiary: Address,
        name: B256,
        symbol: B256,
        tip_bps: u16,
        max_tip: U256,
        buffer_bps: u16,
        deposit_cap: U256,
        delay: u64,
    ) -> Result<(), Error> {
        if asset.is_zero() || source.is_zero() || ledger.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        source::check_source(asset, source)?;
        let reply = calls::view(ledger, &IERC4626::assetCall {});
        match reply.and_then(|r| calls::address(&r)) {
            Ok(a) if a == asset => {}
            Ok(_) => return Err(AssetMismatch { target: ledger, asset }.into()),
            Err(_) => return Err(ExternalCallFailed { target: ledger }.into()),
        }
        if !(MIN_DELAY..=MAX_DELAY).contains(&delay) {
            return Err(DelayOutOfRange { delay, min: MIN_DELAY, max: MAX_DELAY }.into());
        }
        let p = Params { tip_bps, max_tip, buffer_bps, deposit_cap };
        p.validate()?;
        self.ownable.constructor(owner)?;
        let decimals = calls::decimals(asset).unwrap_or(18);
        self.name.set(name)?;
        self.symbol.set(symbol)?;
        self.decimals.set(U8::from(decimals));
        self.asset.set(asset);
        self.source.set(source);
        self.ledger.set(ledger);
        self.fixed_beneficiary.set(fixed_beneficiary);
        self.params.write(&p);
        self.delay.set(U64::from(delay));
        Ok(())
    }

    /// Deposits `assets` of principal for the caller (approve the vault
    /// first), sending its yield to `beneficiary` (zero: keep the current
    /// one) and locking the caller's whole position for at least
    /// `lock_seconds` from now. The surplus that accrued before the deposit
    /// is shared out first, to the members already in. The deposit
    /// counts as the principal the source credited for it: `assets` less at
    /// most the source's rounding dust.
    ///
    /// # Errors
    /// [`DepositsPaused`], [`ZeroAmount`], [`LockTooLong`],
    /// [`DepositCapExceeded`], [`BeneficiaryFixed`], [`SourceAtLoss`] while
    /// the source is worth less than the principal, [`SourceShortfall`],
    /// [`AssetShortfall`],
    /// [`ExternalCallFailed`], [`contract_kit::guard::ReentrantCall`].
    pub fn deposit(
        &mut self,
        assets: U256,
        beneficiary: Address,
        lock_seconds: u64,
    ) -> Result<(), Error> {
        let member = msg::sender();
        self.check_deposit(assets, beneficiary, lock_seconds)?;
        let (principal, unlock_at) = self.guarded(|s| {
            let holding = s.harvest_for_holders(true)?;
            let exact = holding.covers_rounding(s.shares.total_supply());
            s.settle(member);
            let current = s.members.getter(member).beneficiary.get();
            if !beneficiary.is_zero()
                && s.fixed_beneficiary.get().is_zero()
                && beneficiary != current
            {
                // What accrued under the old pledge is the old beneficiary's,
                // as with `setBeneficiary` (review L-3).
                s.pay_accrued(member, true)?;
                s.members.setter(member).beneficiary.set(beneficiary);
                emit(BeneficiarySet { member, beneficiary });
            }
            let unlock_at = s.extend_lock(member, block::timestamp(), lock_seconds);
            // The shares are minted after the source has credited the
            // deposit: while the asset is in flight the vault's principal is
            // unchanged and its value grows only by what arrives, so a
            // reentrant harvest finds nothing that is not yield.
            let principal = s.invest(member, assets, exact)?;
            // The cap counts principal, which is what a rate token's deposit
            // is worth, not how many tokens it moved.
            let total = s.shares.total_supply() + principal;
            let params = s.params.read();
            if !params.allows_total(total) {
                return Err(DepositCapExceeded { cap: params.deposit_cap, total }.into());
            }
            s.shares._mint(member, principal)?;
            Ok::<_, Error>((principal, unlock_at))
        })?;
        let beneficiary = self.beneficiary_of_member(member);
        emit(Deposited { member, beneficiary, assets, principal, unlockAt: unlock_at });
        Ok(())
    }

    /// Burns `principal` of the caller's shares and sends the asset to
    /// `receiver`: the principal itself, or its pro-rata share of the
    /// source's value while the source has lost value, less the source's own
    /// rounding (or exit fee), which the leaver bears. Yield accrued so far
    /// is shared out first and stays the leaver's to claim. Works
    /// while paused. Returns what was paid.
    ///
    /// # Errors
    /// [`ZeroAmount`], [`ZeroAddress`], [`StillLocked`],
    /// [`InsufficientPrincipal`], [`ExternalCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn withdraw(&mut self, principal: U256, receiver: Address) -> Result<U256, Error> {
        let member = msg::sender();
        self.check_withdraw(member, principal, receiver)?;
        let paid = self.guarded(|s| {
            let holding = s.harvest_for_holders(false)?;
            s.settle(member);
            // Exact only with room for the source's rounding of this exit
            // and of the delivery of what is owed, so neither takes
            // principal from the members who stay.
            let total = s.shares.total_supply();
            let owed = accrual::payout(principal, holding.value, total);
            let exact = holding.covers_rounding(total);
            s.shares._burn(member, principal)?;
            s.pay_exit(owed, receiver, exact)
        })?;
        emit(Withdrawn { member, receiver, principal, paid });
        Ok(paid)
    }

    /// Shares out the surplus of the source over principal, the loss
    /// buffer and what is already owed, then takes everything owed out of
    /// the source: the tips held go to the caller (a capped share of each
    /// surplus), the rest to the ledger as credits for the members'
    /// beneficiaries (or the fixed beneficiary). Permissionless.
    ///
    /// Returns: credits, tip
    ///
    /// # Errors
    /// [`ExternalCallFailed`] (the source cannot pay out yet, or the ledger
    /// refuses), [`contract_kit::guard::ReentrantCall`].
    pub fn harvest(&mut self) -> Result<(U256, U256), Error> {
        self.guarded(|s| s.harvest_inner(msg::sender()))
    }

    /// Mints the credits `member` has accrued to the member's beneficiary.
    /// Anyone may call it: the credits only ever go to the beneficiary the
    /// member chose. When the vault's reserve on the ledger is short, the
    /// claim first delivers the yield owed, as a harvest would, and the
    /// tips held go to the caller. Returns the credits minted.
    ///
    /// # Errors
    /// [`ExternalCallFailed`] if the ledger refuses, or if the yield owed
    /// to the ledger must be delivered first and the source cannot pay it
    /// yet; [`contract_kit::guard::ReentrantCall`].
    pub fn claim(&mut self, member: Address) -> Result<U256, Error> {
        self.settle(member);
        self.pay_accrued(member, false)
    }

    /// Sends the caller's future yield to `beneficiary`; credits accrued so
    /// far are first minted to the previous beneficiary.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`BeneficiaryFixed`], [`ExternalCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn set_beneficiary(&mut self, beneficiary: Address) -> Result<(), Error> {
        let member = msg::sender();
        let fixed = self.fixed_beneficiary.get();
        if !fixed.is_zero() {
            return Err(BeneficiaryFixed { beneficiary: fixed }.into());
        }
        if beneficiary.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.settle(member);
        self.pay_accrued(member, false)?;
        self.members.setter(member).beneficiary.set(beneficiary);
        emit(BeneficiarySet { member, beneficiary });
        Ok(())
    }

    /// Owner: pauses or resumes deposits. Withdrawals, claims and harvests
    /// are never paused.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount` for anyone but the owner.
    pub fn set_paused(&mut self, paused: bool) -> Result<(), Error> {
        self.ownable.only_owner()?;
        self.paused.set(paused);
        emit(PauseSet { paused });
        Ok(())
    }

    /// Owner: proposes new parameters; they can be executed once the delay
    /// has passed, so members can leave first.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`TipTooHigh`], [`BufferTooHigh`].
    pub fn propose_params(
        &mut self,
        tip_bps: u16,
        max_tip: U256,
        buffer_bps: u16,
        deposit_cap: U256,
    ) -> Result<u64, Error> {
        self.ownable.only_owner()?;
        let p = Params { tip_bps, max_tip, buffer_bps, deposit_cap };
        p.validate()?;
        let eta = params::eta_of(block::timestamp(), self.delay.get().to());
        self.pending_change.propose(&p, eta);
        emit(ChangeProposed {
            tipBps: tip_bps,
            maxTip: max_tip,
            bufferBps: buffer_bps,
            depositCap: deposit_cap,
            eta,
        });
        Ok(eta)
    }

    /// Owner: applies the proposed parameters once their delay has passed.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`NoPendingChange`], [`ChangeNotReady`].
    pub fn execute_params(&mut self) -> Result<(), Error> {
        self.ownable.only_owner()?;
        let eta = self.pending_change.eta();
        let now = block::timestamp();
        if eta == 0 {
            return Err(NoPendingChange {}.into());
        }
        if !params::is_ready(eta, now) {
            return Err(ChangeNotReady { eta, now }.into());
        }
        let p = self.pending_change.params.read();
        self.params.write(&p);
        self.pending_change.clear();
        emit(ChangeExecuted {
            tipBps: p.tip_bps,
            maxTip: p.max_tip,
            bufferBps: p.buffer_bps,
            depositCap: p.deposit_cap,
        });
        Ok(())
    }

    /// Owner: withdraws the proposed change.
    ///
    /// # Errors
    /// `OwnableUnauthorizedAccount`, [`NoPendingChange`].
    pub fn cancel_params(&mut self) -> Result<(), Error> {
        self.ownable.only_owner()?;
        if self.pending_change.eta() == 0 {
            return Err(NoPendingChange {}.into());
        }
        self.pending_change.clear();
        emit(ChangeCancelled {});
        Ok(())
    }

    /// `member`'s position: principal, what withdrawing all of it would pay
    /// now, credits accrued and not yet claimed, unlock time, and where its
    /// yield goes.
    ///
    /// Returns: principal, withdrawable, credits, unlockAt, beneficiary
    ///
    /// # Errors
    /// [`ExternalCallFailed`] if the source cannot be read.
    pub fn position_of(&self, member: Address) -> Result<(U256, U256, U256, u64, Address), Error> {
        let principal = self.shares.balance_of(member);
        let withdrawable =
            accrual::payout(principal, self.holding()?.value, self.shares.total_supply());
        let credits = self.accrued_of(member);
        let unlock_at = self.members.getter(member).unlock_at.get().to();
        Ok((principal, withdrawable, credits, unlock_at, self.beneficiary_of_member(member)))
    }

    /// The vault's figures: total principal, what the source's shares are
    /// worth, the surplus a harvest would skim now, the time of the last
    /// harvest, and whether deposits are paused.
    ///
    /// Returns: principal, sourceValue, surplus, lastHarvest, paused
    ///
    /// # Errors
    /// [`ExternalCallFailed`] if the source cannot be read.
    pub fn state(&self) -> Result<(U256, U256, U256, u64, bool), Error> {
        let principal = self.shares.total_supply();
        let holding = self.holding()?;
        let surplus = holding.surplus(principal, self.params.read().buffer_bps);
        Ok((principal, holding.value, surplus, self.last_harvest.get().to(), self.paused.get()))
    }

    /// Yield already shared out (to the members, or owed to the fixed
    /// beneficiary) that is still in the source, and tips held for the next
    /// harvester, both in credits: the next `harvest()` delivers them.
    /// Deposits, withdrawals and transfers share yield out without taking
    /// it out of the source, so an illiquid or paused source never blocks
    /// them.
    ///
    /// Returns: owed, tipsHeld
    pub fn undelivered(&self) -> (U256, U256) {
        (self.owed.get(), self.tips_held.get())
    }

    /// Current parameters: tip (bps), tip cap, loss buffer (bps), deposit
    /// cap, and the delay (seconds) a change of them waits.
    ///
    /// Returns: tipBps, maxTip, bufferBps, depositCap, delay
    pub fn params(&self) -> (u16, U256, u16, U256, u64) {
        let p = self.params.read();
        (p.tip_bps, p.max_tip, p.buffer_bps, p.deposit_cap, self.delay.get().to())
    }

    /// The proposed parameters and when they may apply (eta zero: none).
    ///
    /// Returns: tipBps, maxTip, bufferBps, depositCap, eta
    pub fn pending_params(&self) -> (u16, U256, u16, U256, u64) {
        let p = self.pending_change.params.read();
        (p.tip_bps, p.max_tip, p.buffer_bps, p.deposit_cap, self.pending_change.eta())
    }

    /// ERC-20 metadata: the shares' name.
    pub fn name(&self) -> String {
        self.name.get()
    }

    /// ERC-20 metadata: the shares' symbol.
    pub fn symbol(&self) -> String {
        self.symbol.get()
    }

    /// ERC-20 metadata: the asset's decimals (one share is one asset unit).
    pub fn decimals(&self) -> u8 {
        self.decimals.get().to()
    }

    /// The asset, the yield source, the ledger, and the fixed beneficiary
    /// (zero if members choose).
    ///
    /// Returns: asset, source, ledger, fixedBeneficiary
    pub fn wiring(&self) -> (Address, Address, Address, Address) {
        (self.asset.get(), self.source.get(), self.ledger.get(), self.fixed_beneficiary.get())
    }
}

#[cfg(test)]
mod tests;
