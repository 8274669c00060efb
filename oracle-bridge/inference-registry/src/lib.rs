//! The inference registry: the models the oracle bridge sells and the
//! bonded providers that serve them.
//!
//! - **Models**: an admin registers models (weights hash and URI, prices per
//!   input and output token in credits, token limits, redundancy) and
//!   updates them. The bridge prices each request when it is made, so a
//!   price change applies only to later requests.
//! - **Providers** bond the credit ledger's asset, publish an X25519 key for
//!   sealed prompts and name the models they serve. Unbonding waits a delay
//!   during which the bond can still be slashed; the admin can pause a
//!   provider. Only the bridge slashes, when a provider misses a lease.
//!
//! The registry and the bridge are two programs because together they do
//! not fit Stylus's 24 KB limit; the bridge reads the registry with static
//! calls and is the only contract allowed to slash.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
mod models;
mod providers;
mod state;
#[cfg(test)]
mod tests;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64};
use contract_kit::{
    events::emit,
    guard::{Guarded, ReentrancyGuard},
    wiring::BridgeWiring,
};
use stylus_sdk::{
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU32, StorageU64},
};

pub use errors::*;
pub use state::{Model, Provider};

/// Settings chosen at deployment.
#[storage]
pub struct Settings {
    unbond_delay: StorageU64,
    slash_bps: StorageU64,
    min_bond: StorageU256,
}

/// State of the inference registry.
#[entrypoint]
#[storage]
pub struct InferenceRegistry {
    guard: ReentrancyGuard,
    wiring: BridgeWiring,
    asset: StorageAddress,
    settings: Settings,
    model_count: StorageU32,
    models: StorageMap<u32, Model>,
    providers: StorageMap<Address, Provider>,
    serves: StorageMap<Address, StorageMap<u32, StorageBool>>,
}

impl Guarded for InferenceRegistry {
    fn lock(&mut self) -> &mut ReentrancyGuard {
        &mut self.guard
    }
}

#[public]
impl InferenceRegistry {
    /// Sets the bond asset (the credit ledger's), the admin, the unbonding
    /// delay, the share of a bond slashed per missed lease, and the minimum
    /// free bond to take work.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (slash above 100 %).
    #[constructor]
    pub fn constructor(
        &mut self,
        asset: Address,
        admin: Address,
        unbond_delay: u64,
        slash_bps: u64,
        min_bond: U256,
    ) -> Result<(), Error> {
        if asset.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if slash_bps > contract_kit::math::BPS {
            return Err(InvalidParams {}.into());
        }
        self.asset.set(asset);
        self.wiring.set_admin(admin)?;
        self.settings.unbond_delay.set(U64::from(unbond_delay));
        self.settings.slash_bps.set(U64::from(slash_bps));
        self.settings.min_bond.set(min_bond);
        Ok(())
    }

    /// Names the oracle bridge, the only contract that may slash.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn set_bridge(&mut self, bridge: Address) -> Result<(), Error> {
        self.only_admin()?;
        self.wiring.set_bridge(bridge)?;
        emit(BridgeSet { bridge });
        Ok(())
    }

    /// Hands the admin role to `admin`.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn transfer_admin(&mut self, admin: Address) -> Result<(), Error> {
        self.only_admin()?;
        Ok(self.wiring.set_admin(admin)?)
    }

    /// Registers a model and returns its id (from 1). Prices are credits per
    /// input and per output token.
    ///
    /// # Errors
    /// [`NotAdmin`], [`InvalidModel`].
    #[allow(clippy::too_many_arguments, reason = "a flat ABI: Solidity has no anonymous tuples")]
    pub fn register_model(
        &mut self,
        name: B256,
        weights_hash: B256,
        weights_uri: String,
        price_in: U256,
        price_out: U256,
        max_input_tokens: u32,
        max_output_tokens: u32,
        redundancy: u8,
    ) -> Result<u32, Error> {
        self.only_admin()?;
        let limits = (max_input_tokens, max_output_tokens, redundancy);
        self.add_model(name, weights_hash, weights_uri, (price_in, price_out), limits)
    }

    /// Changes a model's prices, token limits, redundancy and switch.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ModelUnavailable`] (unknown id), [`InvalidModel`].
    #[allow(clippy::too_many_arguments, reason = "a flat ABI: Solidity has no anonymous tuples")]
    pub fn update_model(
        &mut self,
        model: u32,
        price_in: U256,
        price_out: U256,
        max_input_tokens: u32,
        max_output_tokens: u32,
        redundancy: u8,
        active: bool,
    ) -> Result<(), Error> {
        self.only_admin()?;
        let limits = (max_input_tokens, max_output_tokens, redundancy);
        self.change_model(model, (price_in, price_out), limits, active)
    }

    /// Model `model`: name, weights hash, input and output prices, max input
    /// and output tokens, redundancy, and whether it takes requests.
    ///
    /// Returns: name, weightsHash, priceIn, priceOut, maxInputTokens, maxOutputTokens, redundancy, active
    pub fn model(&self, model: u32) -> (B256, B256, U256, U256, u32, u32, u8, bool) {
        self.model_view(model)
    }

    /// Prices a request now: input price, output price, redundancy.
    ///
    /// Returns: priceIn, priceOut, redundancy
    ///
    /// # Errors
    /// [`ModelUnavailable`], [`InvalidSize`] (tokens over the model's limits).
    pub fn quote(
        &self,
        model: u32,
        input_tokens: u32,
        max_output_tokens: u32,
    ) -> Result<(U256, U256, u8), Error> {
        self.price(model, input_tokens, max_output_tokens)
    }

    /// Registers the caller as a provider with a `bond` in the asset
    /// (approve the registry first), an X25519 public key for sealed
    /// prompts and an informational endpoint.
    ///
    /// # Errors
    /// [`AlreadyProvider`], [`ZeroAmount`], [`AssetTransferFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn register_provider(
        &mut self,
        bond: U256,
        key: B256,
        endpoint: String,
    ) -> Result<(), Error> {
        self.guarded(|s| s.add_provider(msg::sender(), bond, key, endpoint))
    }

    /// Starts or stops serving `model`.
    ///
    /// # Errors
    /// [`NotProvider`], [`ModelUnavailable`].
    pub fn set_serving(&mut self, model: u32, serving: bool) -> Result<(), Error> {
        self.serve(msg::sender(), model, serving)
    }

    /// Replaces the caller's X25519 key.
    ///
    /// # Errors
    /// [`NotProvider`].
    pub fn set_provider_key(&mut self, key: B256) -> Result<(), Error> {
        self.rekey(msg::sender(), key)
    }

    /// Adds `amount` to the caller's bond.
    ///
    /// # Errors
    /// [`NotProvider`], [`ZeroAmount`], [`AssetTransferFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn add_bond(&mut self, amount: U256) -> Result<(), Error> {
        self.guarded(|s| s.bond_more(msg::sender(), amount))
    }

    /// Starts unbonding `amount`; it stays slashable until the delay ends.
    ///
    /// # Errors
    /// [`NotProvider`], [`ZeroAmount`], [`InsufficientBond`].
    pub fn start_unbond(&mut self, amount: U256) -> Result<(), Error> {
        self.unbond(msg::sender(), amount, block::timestamp())
    }

    /// Pays out what finished unbonding (less any slash) and returns it.
    ///
    /// # Errors
    /// [`NotProvider`], [`UnbondingNotReady`], [`ZeroAmount`],
    /// [`AssetTransferFailed`], [`contract_kit::guard::ReentrantCall`].
    pub fn withdraw_bond(&mut self) -> Result<U256, Error> {
        self.guarded(|s| s.unbonded(msg::sender(), block::timestamp()))
    }

    /// The admin pauses or resumes a provider.
    ///
    /// # Errors
    /// [`NotAdmin`], [`NotProvider`].
    pub fn set_provider_paused(&mut self, provider: Address, paused: bool) -> Result<(), Error> {
        self.only_admin()?;
        self.pause(provider, paused)
    }

    /// Provider `provider`: bond, amount unbonding, when it unbonds, key,
    /// paused.
    ///
    /// Returns: bond, unbonding, unbondsAt, key, paused
    pub fn provider(&self, provider: Address) -> (U256, U256, u64, B256, bool) {
        self.provider_view(provider)
    }

    /// Whether `provider` may take work on `model` now.
    pub fn is_eligible(&self, provider: Address, model: u32) -> bool {
        self.eligible(provider, model)
    }

    /// The bridge slashes `provider` for missing a lease of request `id`:
    /// the slash share of its bond goes to `payer`. Returns the amount.
    ///
    /// # Errors
    /// [`NotBridge`], [`AssetTransferFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn slash(&mut self, provider: Address, payer: Address, id: u64) -> Result<U256, Error> {
        let caller = msg::sender();
        self.wiring.only_bridge(caller)?;
        self.guarded(|s| s.take_slash(provider, payer, id))
    }

    /// The bond asset, the bridge, and the admin.
    ///
    /// Returns: asset, bridge, admin
    pub fn wiring(&self) -> (Address, Address, Address) {
        (self.asset.get(), self.wiring.bridge(), self.wiring.admin())
    }
}

impl InferenceRegistry {
    fn only_admin(&self) -> Result<(), Error> {
        Ok(self.wiring.only_admin(msg::sender())?)
    }
}
