//! The oracle bridge: the on-chain market for inference.
//!
//! - **Requests** escrow their maximum cost from the payer in the credit
//!   ledger, priced by the inference registry when they are made (a later
//!   price change does not touch them). A provider that the registry deems
//!   eligible claims a lease on one of the request's slots (one per unit of
//!   the model's redundancy) and fulfils it; when all slots agree on the
//!   output hash each provider is paid its exact cost and the rest goes back
//!   to the payer. A missed lease can be reopened by anyone, and the
//!   registry slashes part of the provider's bond to the payer; after the
//!   deadline anyone can refund.
//! - **Access**: a request is charged to its payer when the caller is the
//!   payer or the inference access contract says so (approved requesters,
//!   holders of a key NFT the payer sponsors, within a quota per period).
//! - **Disputes**: when the results of a request disagree, its escrow stays
//!   held; the arbiter names the right output (its providers are paid, the
//!   others slashed) before the dispute window closes, or anyone refunds
//!   the payer after it.
//! - **Results**: status and output hash are readable by a view; the output
//!   itself travels in the `Fulfilled` event and the callback (called with
//!   capped gas once a request settles), not in storage.
//!
//! Nothing loops over requests or providers: loops run over the slots of one
//! request, at most [`contract_kit::fees::MAX_REDUNDANCY`].
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
mod intake;
mod policy;
mod settlement;
mod state;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64};
use contract_kit::{
    events::emit,
    guard::{Guarded, ReentrancyGuard},
};
use stylus_sdk::{
    abi::Bytes,
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU64},
};

pub use errors::*;
pub use intake::{MAX_OUTPUT_BYTES, MAX_PROMPT_BYTES};
pub use settlement::IInferenceCallback;
pub use state::{Lease, Request, Status};

/// Settings chosen at deployment.
#[storage]
pub struct Settings {
    lease_seconds: StorageU64,
    max_deadline: StorageU64,
    callback_gas: StorageU64,
    dispute_window: StorageU64,
    arbiter: StorageAddress,
}

/// State of the oracle bridge.
#[entrypoint]
#[storage]
pub struct OracleBridge {
    guard: ReentrancyGuard,
    ledger: StorageAddress,
    registry: StorageAddress,
    access: StorageAddress,
    settings: Settings,
    request_count: StorageU64,
    requests: StorageMap<u64, Request>,
    leases: StorageMap<u64, StorageMap<u8, Lease>>,
}

impl Guarded for OracleBridge {
    fn lock(&mut self) -> &mut ReentrancyGuard {
        &mut self.guard
    }
}

/// The key-NFT half of a request: which collection and token the caller
/// holds, when it asks on the strength of a policy.
pub type KeyRef = (Address, U256);

#[public]
impl OracleBridge {
    /// Wires the bridge to the credit `ledger` (which must grant it the
    /// spender role), the inference `registry` and the inference `access`
    /// contract (which must both name it as their bridge), with the lease length, the furthest deadline a request may
    /// set, the gas a callback gets, the `arbiter` of disputes and how long
    /// it has to settle one (`dispute_window` seconds).
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (zero lease or dispute window, or a
    /// lease longer than the furthest deadline).
    #[constructor]
    #[allow(clippy::too_many_arguments, reason = "a flat ABI: Solidity has no anonymous tuples")]
    pub fn constructor(
        &mut self,
        ledger: Address,
        registry: Address,
        access: Address,
        lease_seconds: u64,
        max_deadline: u64,
        callback_gas: u64,
        arbiter: Address,
        dispute_window: u64,
    ) -> Result<(), Error> {
        if ledger.is_zero() || registry.is_zero() || access.is_zero() || arbiter.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if lease_seconds == 0 || max_deadline < lease_seconds || dispute_window == 0 {
            return Err(InvalidParams {}.into());
        }
        self.ledger.set(ledger);
        self.registry.set(registry);
        self.access.set(access);
        let s = &mut self.settings;
        s.lease_seconds.set(U64::from(lease_seconds));
        s.max_deadline.set(U64::from(max_deadline));
        s.callback_gas.set(U64::from(callback_gas));
        s.dispute_window.set(U64::from(dispute_window));
        s.arbiter.set(arbiter);
        Ok(())
    }

    /// The arbiter hands its role to `arbiter`.
    ///
    /// # Errors
    /// [`NotArbiter`], [`ZeroAddress`].
    pub fn set_arbiter(&mut self, arbiter: Address) -> Result<(), Error> {
        self.only_arbiter()?;
        if arbiter.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.settings.arbiter.set(arbiter);
        emit(ArbiterSet { arbiter });
        Ok(())
    }

    /// What a request escrows: the maximum cost for every unit of the
    /// model's redundancy, at today's prices.
    ///
    /// # Errors
    /// [`QuoteRefused`].
    pub fn estimate_fee(
        &self,
        model: u32,
        input_tokens: u32,
        max_output_tokens: u32,
    ) -> Result<U256, Error> {
        self.quote(model, input_tokens, max_output_tokens).map(|q| q.escrow)
    }

    /// Asks `model` for an answer, charged to `payer`, and returns the
    /// request's id. The prompt is inline (`prompt`, possibly sealed to the
    /// provider's key when `encrypted`) or given by `prompt_hash` and
    /// `prompt_uri` (UTF-8 bytes: taken as `bytes`, not `string`, because
    /// validating UTF-8 on chain costs 0.8 KB of the 24 KB limit and buys
    /// nothing). `requester_key` is the X25519 key a sealed answer is for;
    /// `callback` (optional) is called after settlement; `key_collection`
    /// and `key_token` name the key NFT the caller holds when it asks under
    /// `payer`'s policy.
    ///
    /// # Errors
    /// [`NotAuthorized`], [`QuotaExceeded`], [`ModelNotAllowed`],
    /// [`AccessCallFailed`], [`QuoteRefused`], [`InvalidSize`], [`InvalidDeadline`],
    /// [`LedgerCallFailed`], [`contract_kit::guard::ReentrantCall`].
    #[allow(clippy::too_many_arguments, reason = "a flat ABI: Solidity has no anonymous tuples")]
    pub fn request(
        &mut self,
        model: u32,
        payer: Address,
        prompt: Bytes,
        prompt_hash: B256,
        prompt_uri: Bytes,
        input_tokens: u32,
        max_output_tokens: u32,
        deadline: u64,
        encrypted: bool,
        requester_key: B256,
        callback: Address,
        key_collection: Address,
        key_token: U256,
    ) -> Result<u64, Error> {
        let ask = intake::Ask {
            model,
            payer,
            tokens: (input_tokens, max_output_tokens),
            deadline,
            callback,
            key: (key_collection, key_token),
            prompt,
            prompt_ref: (prompt_hash, prompt_uri),
            sealed: (encrypted, requester_key),
        };
        self.guarded(|s| s.open_request(msg::sender(), ask, block::timestamp()))
    }

    /// A bonded provider serving the model claims a lease on a free slot of
    /// request `id` and returns the slot.
    ///
    /// # Errors
    /// [`RequestClosed`], [`DeadlinePassed`], [`ProviderIneligible`],
    /// [`NoFreeSlot`], [`RegistryCallFailed`].
    pub fn claim(&mut self, id: u64) -> Result<u8, Error> {
        self.claim_slot(msg::sender(), id, block::timestamp())
    }

    /// The leaseholder of `slot` delivers its result: the output inline (its
    /// hash is computed here) or `output_hash` with `output_uri` (UTF-8
    /// bytes), and the token counts. Settles the request once every slot
    /// agrees.
    ///
    /// # Errors
    /// [`RequestClosed`], [`DeadlinePassed`], [`NoLease`], [`InvalidSize`],
    /// [`LedgerCallFailed`], [`contract_kit::guard::ReentrantCall`].
    #[allow(
        clippy::too_many_arguments,
        clippy::needless_pass_by_value,
        reason = "a flat ABI (Solidity has no anonymous tuples); the router hands over owned arguments"
    )]
    pub fn fulfil(
        &mut self,
        id: u64,
        slot: u8,
        output: Bytes,
        output_hash: B256,
        output_uri: Bytes,
        input_tokens: u32,
        output_tokens: u32,
    ) -> Result<(), Error> {
        let output_ref = (output_hash, output_uri);
        let tokens = (input_tokens, output_tokens);
        let provider = msg::sender();
        let now = block::timestamp();
        let hash =
            self.guarded(|s| s.deliver(provider, (id, slot), &output, output_ref, tokens, now))?;
        if let Some(hash) = hash {
            self.call_back(id, hash, &output);
        }
        Ok(())
    }

    /// The arbiter settles disputed request `id` on `output_hash`: the
    /// providers that delivered it are paid, the others slashed to the
    /// payer, the rest refunded. A hash nobody delivered refunds the payer
    /// in full and slashes every provider. Returns the final status.
    ///
    /// # Errors
    /// [`NotArbiter`], [`NotDisputed`], [`DeadlinePassed`] (the dispute
    /// window closed), [`LedgerCallFailed`], [`RegistryCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn resolve(&mut self, id: u64, output_hash: B256) -> Result<u8, Error> {
        self.only_arbiter()?;
        let settled = self.guarded(|s| s.arbitrate(id, output_hash, block::timestamp()))?;
        if settled {
            self.call_back(id, output_hash, &[]);
        }
        Ok(self.requests.get(id).status.get().to())
    }

    /// Anyone frees a slot whose lease ran out without a result; the
    /// registry slashes part of the provider's bond to the payer.
    ///
    /// # Errors
    /// [`RequestClosed`], [`NoLease`], [`LeaseActive`], [`RegistryCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn reopen(&mut self, id: u64, slot: u8) -> Result<(), Error> {
        self.guarded(|s| s.reopen_slot((id, slot), block::timestamp()))
    }

    /// Anyone ends a request whose deadline passed unfulfilled, or whose
    /// dispute window closed unresolved; the payer gets the escrow back.
    /// Returns the refund.
    ///
    /// # Errors
    /// [`RequestClosed`], [`DeadlineNotReached`], [`LedgerCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn refund(&mut self, id: u64) -> Result<U256, Error> {
        self.guarded(|s| s.expire(id, block::timestamp()))
    }

    /// Request `id`: payer, model, status (0 none, 1 open, 2 settled, 3
    /// refunded, 4 disputed), deadline, ledger escrow id, results in, and
    /// the first result's hash (the agreed one once settled).
    ///
    /// Returns: payer, model, status, deadline, escrow, results, outputHash
    pub fn request_of(&self, id: u64) -> (Address, u32, u8, u64, u64, u8, B256) {
        self.request_view(id)
    }

    /// The result of request `id`: status and output hash (settled: the
    /// agreed one; its text is in the `Fulfilled` events of request `id`
    /// that carry this hash, when delivered inline).
    ///
    /// Returns: status, outputHash
    pub fn result(&self, id: u64) -> (u8, B256) {
        let r = self.requests.get(id);
        (r.status.get().to(), r.output_hash.get())
    }

    /// Slot `slot` of request `id`: provider, lease end, whether it
    /// delivered, and the hash it delivered.
    ///
    /// Returns: provider, expires, delivered, outputHash
    pub fn lease_of(&self, id: u64, slot: u8) -> (Address, u64, bool, B256) {
        self.lease_view(id, slot)
    }

    /// When request `id`'s dispute window closes (zero unless disputed).
    pub fn dispute_end(&self, id: u64) -> u64 {
        self.requests.get(id).dispute_end.get().to()
    }

    /// The credit ledger, the inference registry and the access contract.
    ///
    /// Returns: ledger, registry, access
    pub fn wiring(&self) -> (Address, Address, Address) {
        (self.ledger.get(), self.registry.get(), self.access.get())
    }

    /// Lease length, furthest deadline, callback gas and dispute window (all
    /// seconds but the gas), and the arbiter.
    ///
    /// Returns: leaseSeconds, maxDeadlineSeconds, callbackGas, disputeWindow, arbiter
    pub fn settings(&self) -> (u64, u64, u64, u64, Address) {
        let s = &self.settings;
        (
            s.lease_seconds.get().to(),
            s.max_deadline.get().to(),
            s.callback_gas.get().to(),
            s.dispute_window.get().to(),
            s.arbiter.get(),
        )
    }
}

impl OracleBridge {
    fn only_arbiter(&self) -> Result<(), Error> {
        let caller = msg::sender();
        if caller == self.settings.arbiter.get() {
            Ok(())
        } else {
            Err(NotArbiter { caller }.into())
        }
    }
}
