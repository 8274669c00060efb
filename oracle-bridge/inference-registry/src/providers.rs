//! Providers: registration, the models they serve, bonds, unbonding,
//! pausing and slashing.

use alloc::string::String;

use alloy_primitives::{Address, B256, U256, U64};
use contract_kit::{calls, events::emit, math::bps_ceil};
use stylus_sdk::contract;

use crate::{
    errors::{
        AlreadyProvider, AssetTransferFailed, BondChanged, Error, InsufficientBond,
        ModelUnavailable, NotProvider, ProviderPaused, ProviderRegistered, ProviderServing,
        Slashed, UnbondingNotReady, ZeroAmount,
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
        emit(ProviderRegistered { provider, key, endpoint: String::new() });
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
        let received = after.saturating_sub(before);
        let mut p = self.providers.setter(provider);
        let bond = p.bond.get() + received;
        p.bond.set(bond);
        emit(BondChanged {
            provider,
            bond,
            unbonding: p.unbonding.get(),
            unbondAt: p.unbond_at.get().to(),
        });
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
        let mut p = self.providers.setter(provider);
        let (bond, unbonding) = (p.bond.get(), p.unbonding.get());
        let free = bond.saturating_sub(unbonding);
        if amount > free {
            return Err(InsufficientBond { available: free, needed: amount }.into());
        }
        let unbonding = unbonding + amount;
        let unbond_at = now.saturating_add(delay);
        p.unbonding.set(unbonding);
        // A new unbonding restarts the clock for the whole amount: topping up
        // an unbonding cannot shorten the wait for what was added.
        p.unbond_at.set(U64::from(unbond_at));
        emit(BondChanged { provider, bond, unbonding, unbondAt: unbond_at });
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
        // Slashes may have eaten into the bond while it was unbonding.
        let amount = p.unbonding.get().min(p.bond.get());
        let bond = p.bond.get() - amount;
        p.bond.set(bond);
        p.unbonding.set(U256::ZERO);
        p.unbond_at.set(U64::ZERO);
        emit(BondChanged { provider, bond, unbonding: U256::ZERO, unbondAt: 0 });
        calls::transfer(self.asset.get(), provider, amount).map_err(|_| AssetTransferFailed {})?;
        Ok(amount)
    }

    /// Whether `provider` may take work on `model`: registered, not paused,
    /// serving it, and with at least the minimum bond not unbonding.
    pub(crate) fn eligible(&self, provider: Address, model: u32) -> bool {
        let p = self.providers.get(provider);
        let free = p.bond.get().saturating_sub(p.unbonding.get());
        p.registered.get()
            && !p.paused.get()
            && self.serves.get(provider).get(model)
            && free >= self.settings.min_bond.get()
    }

    /// Takes the slash share of `provider`'s bond and sends it to `payer`;
    /// returns the amount.
    pub(crate) fn take_slash(
        &mut self,
        provider: Address,
        payer: Address,
        id: u64,
    ) -> Result<U256, Error> {
        let bps = self.settings.slash_bps.get().to::<u64>();
        let mut p = self.providers.setter(provider);
        let bond = p.bond.get();
        let amount = bps_ceil(bond, bps).min(bond);
        if amount.is_zero() {
            return Ok(U256::ZERO);
        }
        p.bond.set(bond - amount);
        emit(Slashed { provider, id, payer, amount });
        calls::transfer(self.asset.get(), payer, amount).map_err(|_| AssetTransferFailed {})?;
        Ok(amount)
    }

    pub(crate) fn provider_view(&self, provider: Address) -> (U256, U256, u64, B256, bool) {
        let p = self.providers.get(provider);
        (p.bond.get(), p.unbonding.get(), p.unbond_at.get().to(), p.key.get(), p.paused.get())
    }
}
