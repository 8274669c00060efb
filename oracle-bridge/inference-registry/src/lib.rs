//! The inference registry: the models the oracle bridge sells and the
//! bonded providers that serve them.
//!
//! - **Models**: an admin registers models (weights hash and URI, prices per
//!   input and output token in credits, token limits, redundancy) and
//!   updates them. The bridge prices each request when it is made, so a
//!   price change applies only to later requests.
//! - **Providers** bond the credit ledger's asset, publish an X25519 key for
//!   sealed prompts and name the models they serve. Every lease reserves
//!   collateral sized by the request ([`contract_kit::market`]); only free
//!   bond (neither reserved nor unbonding) backs a new lease, so one bond
//!   cannot back unlimited leases. When a lease ends the bridge says how:
//!   delivered frees the collateral, abandoned takes a small share of it,
//!   missed or outvoted takes all of it, always to the treasury (never to
//!   the payer, who could otherwise profit from requests nobody can serve).
//!   Unbonding waits a delay during which the bond can still be slashed; the
//!   admin can pause a provider. Only the bridge locks and slashes, and a new
//!   bridge takes over only after the unbonding delay, so providers can
//!   leave before it could touch their bonds.
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
    delay::{Change, Delayed},
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
    treasury: StorageAddress,
    unbond_delay: StorageU64,
    collateral_bps: StorageU64,
    abandon_bps: StorageU64,
    min_bond: StorageU256,
}

/// State of the inference registry.
#[entrypoint]
#[storage]
pub struct InferenceRegistry {
    guard: ReentrancyGuard,
    arbiter: Delayed,
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
    /// Sets the bond asset (the credit ledger's), the admin, the `arbiter`
    /// of the market's disputes, the `treasury` that receives slashes, the unbonding delay (at least the bridge's
    /// furthest deadline plus its reveal and dispute windows: the bridge
    /// checks when it is wired), the collateral a lease reserves in basis
    /// points of its slot's maximum cost, the share of it an abandoned lease
    /// loses, and the minimum free bond to take work.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (zero minimum bond or unbonding
    /// delay, collateral below the slot's cost, abandon share above 100 %).
    #[constructor]
    #[allow(clippy::too_many_arguments, reason = "a flat ABI: Solidity has no anonymous tuples")]
    pub fn constructor(
        &mut self,
        asset: Address,
        admin: Address,
        arbiter: Address,
        treasury: Address,
        unbond_delay: u64,
        collateral_bps: u64,
        abandon_bps: u64,
        min_bond: U256,
    ) -> Result<(), Error> {
        if asset.is_zero() || treasury.is_zero() || arbiter.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let bps = contract_kit::math::BPS;
        // A zero minimum bond makes slashing meaningless (review L-7), and a
        // collateral below the slot's cost makes a lapse cheaper than work.
        if min_bond.is_zero() || unbond_delay == 0 || collateral_bps < bps || abandon_bps > bps {
            return Err(InvalidParams {}.into());
        }
        self.asset.set(asset);
        self.wiring.set_admin(admin)?;
        self.arbiter.init(arbiter);
        let s = &mut self.settings;
        s.treasury.set(treasury);
        s.unbond_delay.set(U64::from(unbond_delay));
        s.collateral_bps.set(U64::from(collateral_bps));
        s.abandon_bps.set(U64::from(abandon_bps));
        s.min_bond.set(min_bond);
        Ok(())
    }

    /// Names the oracle bridge, the only contract that may lock and slash
    /// bonds: the first at once, a replacement only when the same call is
    /// made again after the unbonding delay (the first call queues it), so
    /// that providers can unbond before a new bridge can touch their bonds.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn set_bridge(&mut self, bridge: Address) -> Result<(), Error> {
        self.only_admin()?;
        let delay = self.settings.unbond_delay.get().to();
        if self.wiring.set_bridge(bridge, block::timestamp(), delay)? == Change::Applied {
            emit(BridgeSet { bridge });
        }
        Ok(())
    }

    /// Names the sessions program, which locks and frees bonds for sessions
    /// as the bridge does for leases, under the same rule as `setBridge`.
    ///
    /// # Errors
    /// [`NotAdmin`], [`ZeroAddress`].
    pub fn set_sessions(&mut self, sessions: Address) -> Result<(), Error> {
        self.only_admin()?;
        let delay = self.settings.unbond_delay.get().to();
        if self.wiring.set_sessions(sessions, block::timestamp(), delay)? == Change::Applied {
            emit(SessionsSet { sessions });
        }
        Ok(())
    }

    /// The sessions program (zero until named).
    pub fn sessions(&self) -> Address {
        self.wiring.sessions()
    }

    /// The arbiter hands its role to `arbiter`: the first call queues the
    /// change, the same call after the unbonding delay applies it (review
    /// I-1: a ruling slashes bonds, so providers can leave before a new
    /// arbiter could rule on them). The queued arbiter and its time are in
    /// the `ChangeQueued` event.
    ///
    /// # Errors
    /// [`NotArbiter`], [`ZeroAddress`].
    pub fn set_arbiter(&mut self, arbiter: Address) -> Result<(), Error> {
        let caller = msg::sender();
        if caller != self.arbiter.get() {
            return Err(NotArbiter { caller }.into());
        }
        if arbiter.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let delay = self.settings.unbond_delay.get().to();
        if self.arbiter.propose(arbiter, block::timestamp(), delay) == Change::Applied {
            emit(ArbiterSet { arbiter });
        }
        Ok(())
    }

    /// Who settles the market's disputes (the bridge asks on every ruling).
    pub fn arbiter(&self) -> Address {
        self.arbiter.get()
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

    /// Prices a request now: input price, output price, redundancy, and
    /// what the request escrows (the maximum cost for every unit of the
    /// model's redundancy).
    ///
    /// Returns: priceIn, priceOut, redundancy, escrow
    ///
    /// # Errors
    /// [`ModelUnavailable`], [`InvalidSize`] (tokens over the model's limits).
    pub fn quote(
        &self,
        model: u32,
        input_tokens: u32,
        max_output_tokens: u32,
    ) -> Result<(U256, U256, u8, U256), Error> {
        let (price_in, price_out, k) = self.price(model, input_tokens, max_output_tokens)?;
        // Registration bounded the largest request's escrow: no overflow.
        let escrow =
            contract_kit::fees::escrow_for(price_in, price_out, input_tokens, max_output_tokens, k)
                .unwrap_or_default();
        Ok((price_in, price_out, k, escrow))
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

    /// Provider `provider`: bond (all of it), what active leases reserve of
    /// it, what is unbonding and when, key, paused.
    ///
    /// Returns: bond, locked, unbonding, unbondsAt, key, paused
    pub fn provider(&self, provider: Address) -> (U256, U256, U256, u64, B256, bool) {
        self.provider_view(provider)
    }

    /// Whether `provider` may take work on `model` now: registered, not
    /// paused, serving it, with at least the minimum bond free (a lease also
    /// needs its collateral free on top).
    pub fn is_eligible(&self, provider: Address, model: u32) -> bool {
        self.eligible(provider, model, U256::ZERO)
    }

    /// The bridge reserves collateral for a lease on `model` whose work may
    /// cost `cost`. Returns false, reserving nothing, when `provider` may not
    /// take it.
    ///
    /// # Errors
    /// [`NotBridge`].
    pub fn lock(&mut self, provider: Address, model: u32, cost: U256) -> Result<bool, Error> {
        self.wiring.only_bridge(msg::sender())?;
        Ok(self.reserve(provider, model, cost))
    }

    /// The bridge ends `provider`'s lease of request `id` (work that may
    /// cost `cost`) with `outcome` (0 delivered, 1 abandoned, 2 slashed):
    /// the collateral is freed less what the outcome takes, which goes to
    /// the treasury. Returns the amount taken.
    ///
    /// # Errors
    /// [`NotBridge`], [`AssetTransferFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn unlock(
        &mut self,
        provider: Address,
        cost: U256,
        outcome: u8,
        id: u64,
    ) -> Result<U256, Error> {
        self.wiring.only_bridge(msg::sender())?;
        self.guarded(|s| s.release(provider, (cost, outcome, id)))
    }

    /// How long unbonding takes, in seconds.
    pub fn unbond_delay(&self) -> u64 {
        self.settings.unbond_delay.get().to()
    }

    /// The treasury, the unbonding delay, the collateral per lease and the
    /// abandon share (basis points), and the minimum free bond.
    ///
    /// Returns: treasury, unbondDelay, collateralBps, abandonBps, minBond
    pub fn settings(&self) -> (Address, u64, u64, u64, U256) {
        let s = &self.settings;
        (
            s.treasury.get(),
            s.unbond_delay.get().to(),
            s.collateral_bps.get().to(),
            s.abandon_bps.get().to(),
            s.min_bond.get(),
        )
    }

    /// The bridge queued to replace the current one and when the same
    /// `setBridge` call can apply it (zero and 0 when none).
    ///
    /// Returns: bridge, eta
    pub fn pending_bridge(&self) -> (Address, u64) {
        self.wiring.pending_bridge()
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
