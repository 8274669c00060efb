//! The compute-credit ledger for one asset.
//!
//! One credit is one base unit of the asset, and every credit is backed: the
//! asset the ledger holds is never less than the spendable, earned, escrowed
//! and reserved credits together.
//!
//! - **Spendable** credits come from top-ups in the asset or from vault
//!   harvests; they pay for compute and cannot be cashed out.
//! - **Earned** credits are provider revenue, paid out of escrows; they can be
//!   redeemed for the asset.
//! - **Escrows** hold a payer's spendable credits for one authorised spender
//!   (the oracle bridge). The spender releases parts of an escrow to payees
//!   and closes it once, which refunds the rest. The same calls serve
//!   per-request payments and longer sessions.
//! - **Reserves** hold yield a vault has delivered but not yet assigned to a
//!   beneficiary.
//! - **Stray** asset, sent to the ledger directly and owed to nobody, is
//!   swept by anyone into spendable credits of the stray beneficiary the
//!   admin names (the community's AI account in the default deployment).
//!
//! No call loops over accounts or escrows: every call is O(1).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
mod escrow;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{aliases::B32, Address, B256, U256, U8};
use contract_kit::{
    calls,
    events::emit,
    guard::{Guarded, ReentrancyGuard},
    roles::{SPENDER_ROLE, VAULT_ROLE},
    short_string::ShortString,
};
use openzeppelin_stylus::{
    access::control::{AccessControl, IAccessControl},
    utils::introspection::erc165::IErc165,
};
use stylus_sdk::{contract, msg};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256, StorageU64, StorageU8},
};

pub use errors::*;
pub use escrow::Escrow;

/// State of the credit ledger.
#[entrypoint]
#[storage]
pub struct CreditLedger {
    access: AccessControl,
    guard: ReentrancyGuard,
    asset: StorageAddress,
    name: ShortString,
    symbol: ShortString,
    decimals: StorageU8,
    spendable: StorageMap<Address, StorageU256>,
    earned: StorageMap<Address, StorageU256>,
    reserves: StorageMap<Address, StorageU256>,
    total_spendable: StorageU256,
    total_earned: StorageU256,
    total_escrowed: StorageU256,
    total_reserved: StorageU256,
    escrows: StorageMap<u64, Escrow>,
    escrow_count: StorageU64,
    stray_beneficiary: StorageAddress,
}

impl Guarded for CreditLedger {
    fn lock(&mut self) -> &mut ReentrancyGuard {
        &mut self.guard
    }
}

#[public]
#[implements(IAccessControl<Error = Error>, IErc165)]
impl CreditLedger {
    /// Sets the asset, the ERC-20 metadata shown by wallets, and the admin
    /// who grants the vault and spender roles. Decimals follow the asset.
    ///
    /// # Errors
    /// [`ZeroAddress`] when `asset` or `admin` is zero.
    #[constructor]
    pub fn constructor(
        &mut self,
        asset: Address,
        admin: Address,
        name: B256,
        symbol: B256,
    ) -> Result<(), Error> {
        if asset.is_zero() || admin.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let decimals = calls::decimals(asset).unwrap_or(18);
        self.asset.set(asset);
        self.name.set(name)?;
        self.symbol.set(symbol)?;
        self.decimals.set(U8::from(decimals));
        self.access._grant_role(AccessControl::DEFAULT_ADMIN_ROLE.into(), admin);
        self.stray_beneficiary.set(admin);
        Ok(())
    }

    /// Sweeps the asset the ledger holds above everything it owes (asset
    /// sent to it directly, owed to nobody) into spendable credits of the
    /// stray beneficiary. Anyone may call it; returns the credits made.
    /// The rule anyone can check: `backing()` before, `held - owed` swept.
    ///
    /// # Errors
    /// [`AssetTransferFailed`] if the asset's balance cannot be read.
    pub fn sweep(&mut self) -> Result<U256, Error> {
        let (held, owed) = self.backing()?;
        let stray = held.saturating_sub(owed);
        if stray.is_zero() {
            return Ok(stray);
        }
        let to = self.stray_beneficiary.get();
        add(&mut self.spendable.setter(to), stray);
        add(&mut self.total_spendable, stray);
        emit(StraySwept { to, amount: stray });
        Ok(stray)
    }

    /// Admin: names who receives swept stray asset as credits.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` for anyone but the admin;
    /// [`ZeroAddress`].
    pub fn set_stray_beneficiary(&mut self, to: Address) -> Result<(), Error> {
        self.access._check_role(AccessControl::DEFAULT_ADMIN_ROLE.into(), msg::sender())?;
        if to.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.stray_beneficiary.set(to);
        emit(StrayBeneficiarySet { to });
        Ok(())
    }

    /// Who receives swept stray asset as spendable credits.
    pub fn stray_beneficiary(&self) -> Address {
        self.stray_beneficiary.get()
    }

    /// The asset that backs the credits.
    pub fn asset(&self) -> Address {
        self.asset.get()
    }

    /// Buys `amount` spendable credits for `to` with the caller's asset
    /// (approve the ledger first). Credits exactly what arrived, so a token
    /// that takes a fee on transfer cannot create unbacked credits.
    ///
    /// # Errors
    /// [`ZeroAmount`], [`ZeroAddress`], [`AssetTransferFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn top_up(&mut self, to: Address, amount: U256) -> Result<U256, Error> {
        if to.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let payer = msg::sender();
        let received = self.pull_asset(payer, amount)?;
        add(&mut self.spendable.setter(to), received);
        add(&mut self.total_spendable, received);
        emit(ToppedUp { payer, to, amount: received });
        Ok(received)
    }

    /// A vault delivers `amount` of harvested yield (approve the ledger
    /// first). It lands in the vault's reserve until the vault assigns it with
    /// [`Self::mint_credits`]. Returns what actually arrived.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` without the vault role;
    /// [`ZeroAmount`], [`AssetTransferFailed`].
    pub fn deposit_yield(&mut self, amount: U256) -> Result<U256, Error> {
        let vault = msg::sender();
        self.access._check_role(VAULT_ROLE.into(), vault)?;
        let received = self.pull_asset(vault, amount)?;
        add(&mut self.reserves.setter(vault), received);
        add(&mut self.total_reserved, received);
        emit(YieldDeposited { vault, amount: received });
        Ok(received)
    }

    /// A vault turns `amount` of its reserve into spendable credits for `to`.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` without the vault role;
    /// [`ZeroAddress`], [`InsufficientReserve`].
    pub fn mint_credits(&mut self, to: Address, amount: U256) -> Result<(), Error> {
        let vault = msg::sender();
        self.access._check_role(VAULT_ROLE.into(), vault)?;
        if to.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let available = self.reserves.get(vault);
        if available < amount {
            return Err(InsufficientReserve { vault, available, needed: amount }.into());
        }
        self.reserves.setter(vault).set(available - amount);
        sub(&mut self.total_reserved, amount);
        add(&mut self.spendable.setter(to), amount);
        add(&mut self.total_spendable, amount);
        emit(CreditsMinted { vault, to, amount });
        Ok(())
    }

    /// Holds `amount` of `payer`'s spendable credits for the calling spender
    /// and returns the escrow's id.
    ///
    /// # Errors
    /// `AccessControlUnauthorizedAccount` without the spender role;
    /// [`ZeroAmount`], [`InsufficientCredits`], [`EscrowTooLarge`].
    pub fn escrow(&mut self, payer: Address, amount: U256) -> Result<u64, Error> {
        let spender = msg::sender();
        self.access._check_role(SPENDER_ROLE.into(), spender)?;
        self.open_escrow(spender, payer, amount)
    }

    /// Pays `amount` out of escrow `id` to `payee` as earned credits; the
    /// escrow stays open.
    ///
    /// # Errors
    /// [`EscrowNotOpen`], [`NotEscrowSpender`], [`ExceedsEscrow`],
    /// [`ZeroAddress`].
    pub fn release(&mut self, id: u64, payee: Address, amount: U256) -> Result<(), Error> {
        self.release_from(msg::sender(), id, payee, amount)
    }

    /// Ends escrow `id` and refunds what is left of it to the payer. Returns
    /// the refund.
    ///
    /// # Errors
    /// [`EscrowNotOpen`], [`NotEscrowSpender`].
    pub fn close(&mut self, id: u64) -> Result<U256, Error> {
        self.close_escrow(msg::sender(), id)
    }

    /// Pays `cost` to `payee` and ends the escrow, refunding the rest: the
    /// usual end of a request. Returns the refund.
    ///
    /// # Errors
    /// As [`Self::release`] and [`Self::close`].
    pub fn settle(&mut self, id: u64, payee: Address, cost: U256) -> Result<U256, Error> {
        let spender = msg::sender();
        if !cost.is_zero() {
            self.release_from(spender, id, payee, cost)?;
        }
        self.close_escrow(spender, id)
    }

    /// Cashes `amount` of the caller's earned credits out to `to` in the
    /// asset.
    ///
    /// # Errors
    /// [`ZeroAmount`], [`ZeroAddress`], [`InsufficientEarned`],
    /// [`AssetTransferFailed`], [`contract_kit::guard::ReentrantCall`].
    pub fn redeem(&mut self, amount: U256, to: Address) -> Result<(), Error> {
        let account = msg::sender();
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if to.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let available = self.earned.get(account);
        if available < amount {
            return Err(InsufficientEarned { account, available, needed: amount }.into());
        }
        self.guarded(|s| {
            s.earned.setter(account).set(available - amount);
            sub(&mut s.total_earned, amount);
            let asset = s.asset.get();
            calls::transfer(asset, to, amount)
                .map_err(|_| Error::from(AssetTransferFailed { asset }))
        })?;
        emit(Redeemed { account, to, amount });
        Ok(())
    }

    /// Spendable credits of `account`.
    pub fn spendable_of(&self, account: Address) -> U256 {
        self.spendable.get(account)
    }

    /// Earned (redeemable) credits of `account`.
    pub fn earned_of(&self, account: Address) -> U256 {
        self.earned.get(account)
    }

    /// Yield `vault` has delivered and not yet assigned.
    pub fn reserve_of(&self, vault: Address) -> U256 {
        self.reserves.get(vault)
    }

    /// Escrow `id`: payer, spender, remaining amount, and whether it is open.
    ///
    /// Returns: payer, spender, remaining, open
    pub fn escrow_of(&self, id: u64) -> (Address, Address, U256, bool) {
        let e = self.escrows.getter(id);
        (e.payer.get(), e.spender.get(), U256::from(e.remaining.get()), e.open.get())
    }

    /// Number of escrows ever opened; the next id.
    pub fn escrow_count(&self) -> u64 {
        self.escrow_count.get().to()
    }

    /// Credits held in open escrows.
    pub fn total_escrowed(&self) -> U256 {
        self.total_escrowed.get()
    }

    /// Yield delivered by vaults and not yet assigned.
    pub fn total_reserved(&self) -> U256 {
        self.total_reserved.get()
    }

    /// The backing check: the asset held and everything the ledger owes
    /// (spendable + earned + escrowed + reserved). Held is never below owed.
    ///
    /// Returns: held, owed
    ///
    /// # Errors
    /// [`AssetTransferFailed`] if the asset's balance cannot be read.
    pub fn backing(&self) -> Result<(U256, U256), Error> {
        let asset = self.asset.get();
        let held = calls::balance_of(asset, contract::address())
            .map_err(|_| AssetTransferFailed { asset })?;
        Ok((held, self.liabilities()))
    }

    /// ERC-20 view: the credits' name.
    pub fn name(&self) -> String {
        self.name.get()
    }

    /// ERC-20 view: the credits' symbol.
    pub fn symbol(&self) -> String {
        self.symbol.get()
    }

    /// ERC-20 view: the asset's decimals.
    pub fn decimals(&self) -> u8 {
        self.decimals.get().to()
    }

    /// ERC-20 view: spendable plus earned credits of `account`.
    pub fn balance_of(&self, account: Address) -> U256 {
        self.spendable.get(account) + self.earned.get(account)
    }

    /// ERC-20 view: all spendable and earned credits.
    pub fn total_supply(&self) -> U256 {
        self.total_spendable.get() + self.total_earned.get()
    }
}

impl CreditLedger {
    /// Everything the ledger owes in credits.
    fn liabilities(&self) -> U256 {
        self.total_spendable.get()
            + self.total_earned.get()
            + self.total_escrowed.get()
            + self.total_reserved.get()
    }

    /// Pulls `amount` of the asset from `from` and returns what arrived,
    /// measured by the ledger's own balance.
    fn pull_asset(&mut self, from: Address, amount: U256) -> Result<U256, Error> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let asset = self.asset.get();
        let me = contract::address();
        let pulled = self.guarded(|_| {
            Ok::<_, Error>(calls::balance_of(asset, me).and_then(|before| {
                calls::transfer_from(asset, from, me, amount)?;
                Ok(calls::balance_of(asset, me)?.saturating_sub(before))
            }))
        })?;
        match pulled {
            Ok(received) if !received.is_zero() => Ok(received),
            _ => Err(AssetTransferFailed { asset }.into()),
        }
    }
}

#[public]
impl IAccessControl for CreditLedger {
    type Error = Error;

    fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    fn only_role(&self, role: B256) -> Result<(), Self::Error> {
        Ok(self.access.only_role(role)?)
    }

    fn get_role_admin(&self, role: B256) -> B256 {
        self.access.get_role_admin(role)
    }

    fn grant_role(&mut self, role: B256, account: Address) -> Result<(), Self::Error> {
        Ok(self.access.grant_role(role, account)?)
    }

    fn revoke_role(&mut self, role: B256, account: Address) -> Result<(), Self::Error> {
        Ok(self.access.revoke_role(role, account)?)
    }

    fn renounce_role(&mut self, role: B256, confirmation: Address) -> Result<(), Self::Error> {
        Ok(self.access.renounce_role(role, confirmation)?)
    }
}

#[public]
impl IErc165 for CreditLedger {
    fn supports_interface(&self, interface_id: B32) -> bool {
        self.access.supports_interface(interface_id)
    }
}

/// Adds to a stored amount. Totals are bounded by the asset's supply, so the
/// sum cannot overflow 256 bits.
fn add(slot: &mut StorageU256, amount: U256) {
    let value = slot.get() + amount;
    slot.set(value);
}

/// Subtracts from a stored amount that the caller has checked is large enough.
fn sub(slot: &mut StorageU256, amount: U256) {
    let value = slot.get() - amount;
    slot.set(value);
}
