//! Providers: registration, the models they serve, bonds, unbonding,
//! pausing and slashing.

use alloc::string::String;

use alloy_primitives::{aliases::U128, Address, B256, U256, U64};
use contract_kit::{calls, events::emit, market};
use stylus_sdk::contract;

use crate::{
    errors::{
        AlreadyProvider, AssetTransferFailed, BondChanged, Error, InsufficientBond, InvalidParams,
        ModelUnavailable, NotProvider, ProviderKeySet, ProviderPaused, ProviderRegistered,
        ProviderServing, Slashed, UnbondingNotReady, ZeroAmount,
    },
    InferenceRegistry,
};

impl InferenceRegistry {
    fn registered(&self, provider: Address) -> Result<(), Error> {
        if self.providers.get(provider).registered.get() {
            Ok(())
        } else {
            Err(NotProvider { caller: provider }.into())
        }
    }

    pub(crate) fn add_provider(
        &mut self,
        provider: Address,
        bond: U256,
        key: B256,
        endpoint: String,
    ) -> Result<(), Error> {
        if self.providers.get(provider).registered.get() {
            return Err(AlreadyProvider { provider }.into());
        }
        self.providers.setter(provider).registered.set(true);
        self.providers.setter(provider).key.set(key);
        emit(ProviderRegistered { provider, key, endpoint });
        self.bond_more(provider, bond)
    }

    pub(crate) fn serve(
        &mut self,
        provider: Address,
        model: u32,
        serving: bool,
    ) -> Result<(), Error> {
        self.registered(provider)?;
        if model == 0 || model > self.model_count.get().to::<u32>() {
            return Err(ModelUnavailable { model }.into());
        }
        self.serves.setter(provider).setter(model).set(serving);
        emit(ProviderServing { provider, model, serving });
        Ok(())
    }

    pub(crate) fn rekey(&mut self, provider: Address, key: B256) -> Result<(), Error> {
        self.registered(provider)?;
        self.providers.setter(provider).key.set(key);
        emit(ProviderKeySet { provider, key });
        Ok(())
    }

    pub(crate) fn pause(&mut self, provider: Address, paused: bool) -> Result<(), Error> {
        self.registered(provider)?;
        self.providers.setter(provider).paused.set(paused);
        emit(ProviderPaused { provider, paused });
        Ok(())
    }

    /// Pulls `amount` of the asset from the provider into its bond.
    pub(crate) fn bond_more(&mut self, provider: Address, amount: U256) -> Result<(), Error> {
        self.registered(provider)?;
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let asset = self.asset.get();
        // Bonds are counted by what arrived, so a fee-taking token cannot
        // inflate them.
        let before =
            calls::balance_of(asset, contract::address()).map_err(|_| AssetTransferFailed {})?;
        calls::transfer_from(asset, provider, contract::address(), amount)
            .map_err(|_| AssetTransferFailed {})?;
        let after =
            calls::balance_of(asset, contract::address()).map_err(|_| AssetTransferFailed {})?;
        let bond = wide(self.providers.get(provider).bond.get()) + after.saturating_sub(before);
        if bond.bit_len() > 128 {
            return Err(InvalidParams {}.into());
        }
        self.providers.setter(provider).bond.set(narrow(bond));
        self.bond_changed(provider);
        Ok(())
    }

    pub(crate) fn unbond(
        &mut self,
        provider: Address,
        amount: U256,
        now: u64,
    ) -> Result<(), Error> {
        self.registered(provider)?;
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        let delay = self.settings.unbond_delay.get().to::<u64>();
        let free = self.free_bond(provider);
        if amount > free {
            return Err(InsufficientBond { available: free, needed: amount }.into());
        }
        let mut p = self.providers.setter(provider);
        let unbonding = narrow(wide(p.unbonding.get()) + amount);
        p.unbonding.set(unbonding);
        // A new unbonding restarts the clock for the whole amount: topping up
        // an unbonding cannot shorten the wait for what was added.
        p.unbond_at.set(U64::from(now.saturating_add(delay)));
        self.bond_changed(provider);
        Ok(())
    }

    pub(crate) fn unbonded(&mut self, provider: Address, now: u64) -> Result<U256, Error> {
        self.registered(provider)?;
        let mut p = self.providers.setter(provider);
        let ready_at = p.unbond_at.get().to::<u64>();
        if p.unbonding.get().is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if now < ready_at {
            return Err(UnbondingNotReady { ready_at }.into());
        }
        // Slashes take only what leases reserved, and what is unbonding was
        // never reserved, so the bond always covers it; `min` is belt and
        // braces.
        let amount = p.unbonding.get().min(p.bond.get());
        let bond = p.bond.get() - amount;
        p.bond.set(bond);
        p.unbonding.set(U128::ZERO);
        p.unbond_at.set(U64::ZERO);
        self.bond_changed(provider);
        calls::transfer(self.asset.get(), provider, wide(amount))
            .map_err(|_| AssetTransferFailed {})?;
        Ok(wide(amount))
    }

    fn bond_changed(&self, provider: Address) {
        let p = self.providers.get(provider);
        emit(BondChanged {
            provider,
            bond: wide(p.bond.get()),
            locked: wide(p.locked.get()),
            unbonding: wide(p.unbonding.get()),
            unbondAt: p.unbond_at.get().to(),
        });
    }

    /// The bond that is neither unbonding nor reserved by a lease.
    pub(crate) fn free_bond(&self, provider: Address) -> U256 {
        let p = self.providers.get(provider);
        let held = wide(p.unbonding.get()) + wide(p.locked.get());
        wide(p.bond.get()).saturating_sub(held)
    }

    /// Whether `provider` may take work on `model`: registered, not paused,
    /// serving it, and with at least `needed` plus the minimum bond free.
    pub(crate) fn eligible(&self, provider: Address, model: u32, needed: U256) -> bool {
        let p = self.providers.get(provider);
        let floor = self.settings.min_bond.get().saturating_add(needed);
        p.registered.get()
            && !p.paused.get()
            && self.serves.get(provider).get(model)
            && self.free_bond(provider) >= floor
    }

    /// Reserves the collateral of a lease on work that may cost `cost`;
    /// false (nothing reserved) when the provider may not take it.
    pub(crate) fn reserve(&mut self, provider: Address, model: u32, cost: U256) -> bool {
        let reserved = market::collateral(cost, self.settings.collateral_bps.get().to());
        if !self.eligible(provider, model, reserved) {
            return false;
        }
        let mut p = self.providers.setter(provider);
        // Below the bond (just checked), so within 128 bits.
        let locked = narrow(wide(p.locked.get()) + reserved);
        p.locked.set(locked);
        true
    }

    /// Ends a lease of request `id` on work that may cost `cost`: frees its
    /// collateral and sends what `outcome` takes of it to the treasury.
    /// Returns what was taken.
    pub(crate) fn release(
        &mut self,
        provider: Address,
        (cost, outcome, id): (U256, u8, u64),
    ) -> Result<U256, Error> {
        let s = &self.settings;
        let reserved = market::collateral(cost, s.collateral_bps.get().to());
        let taken = market::penalty(reserved, outcome, s.abandon_bps.get().to());
        let mut p = self.providers.setter(provider);
        // What was reserved for this lease is still locked (only this
        // lease's end unlocks it); saturating keeps a wiring mistake from
        // trapping.
        let locked = narrow(wide(p.locked.get()).saturating_sub(reserved));
        p.locked.set(locked);
        let taken = taken.min(wide(p.bond.get()));
        if taken.is_zero() {
            return Ok(U256::ZERO);
        }
        let bond = narrow(wide(p.bond.get()) - taken);
        p.bond.set(bond);
        emit(Slashed { provider, id, outcome, amount: taken });
        calls::transfer(self.asset.get(), self.settings.treasury.get(), taken)
            .map_err(|_| AssetTransferFailed {})?;
        Ok(taken)
    }

    pub(crate) fn provider_view(&self, provider: Address) -> (U256, U256, U256, u64, B256, bool) {
        let p = self.providers.get(provider);
        (
            wide(p.bond.get()),
            wide(p.locked.get()),
            wide(p.unbonding.get()),
            p.unbond_at.get().to(),
            p.key.get(),
            p.paused.get(),
        )
    }
}

fn wide(amount: U128) -> U256 {
    U256::from(amount)
}

/// An amount known to fit 128 bits (bonds are checked when they grow).
fn narrow(amount: U256) -> U128 {
    amount.saturating_to()
}
