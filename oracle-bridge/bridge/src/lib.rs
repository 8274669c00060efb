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
//! - **Access policies**: a payer (a community AI's account) sponsors the
//!   holders of a key-NFT collection with a quota per period; payers can
//!   also approve requesters outright.
//! - **Results** are stored (inline output and hash) and readable by a view;
//!   an optional callback is told with capped gas once a request settles.
//!
//! Nothing loops over requests or providers: loops run over the slots of one
//! request, at most [`interfaces::fees::MAX_REDUNDANCY`].
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
mod policy;
mod requests;
mod state;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64};
use interfaces::guard::ReentrancyGuard;
use stylus_sdk::{
    abi::Bytes,
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU64},
};

pub use errors::*;
pub use requests::{IInferenceCallback, MAX_OUTPUT_BYTES, MAX_PROMPT_BYTES};
pub use state::{Lease, Policy, Request, Status, Usage};

/// Settings chosen at deployment.
#[storage]
pub struct Settings {
    lease_seconds: StorageU64,
    max_deadline: StorageU64,
    callback_gas: StorageU64,
}

/// State of the oracle bridge.
#[entrypoint]
#[storage]
pub struct OracleBridge {
    guard: ReentrancyGuard,
    ledger: StorageAddress,
    registry: StorageAddress,
    settings: Settings,
    request_count: StorageU64,
    requests: StorageMap<u64, Request>,
    leases: StorageMap<u64, StorageMap<u8, Lease>>,
    approvals: StorageMap<Address, StorageMap<Address, StorageBool>>,
    policies: StorageMap<Address, StorageMap<Address, Policy>>,
    usage: StorageMap<B256, Usage>,
}

/// The key-NFT half of a request: which collection and token the caller
/// holds, when it asks on the strength of a policy.
pub type KeyRef = (Address, U256);

#[public]
impl OracleBridge {
    /// Wires the bridge to the credit `ledger` (which must grant it the
    /// spender role) and the inference `registry` (which must name it as its
    /// bridge), with the lease length, the furthest deadline a request may
    /// set, and the gas a callback gets.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (zero lease, or a lease longer
    /// than the furthest deadline).
    #[constructor]
    pub fn constructor(
        &mut self,
        ledger: Address,
        registry: Address,
        lease_seconds: u64,
        max_deadline: u64,
        callback_gas: u64,
    ) -> Result<(), Error> {
        if ledger.is_zero() || registry.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if lease_seconds == 0 || max_deadline < lease_seconds {
            return Err(InvalidParams {}.into());
        }
        self.ledger.set(ledger);
        self.registry.set(registry);
        self.settings.lease_seconds.set(U64::from(lease_seconds));
        self.settings.max_deadline.set(U64::from(max_deadline));
        self.settings.callback_gas.set(U64::from(callback_gas));
        Ok(())
    }

    /// Lets `requester` charge the caller's credits (or stops it).
    pub fn approve_requester(&mut self, requester: Address, approved: bool) {
        let payer = msg::sender();
        self.approvals.setter(payer).setter(requester).set(approved);
        errors::emit(RequesterApproved { payer, requester, approved });
    }

    /// Sponsors the holders of `collection`: each token may spend `quota`
    /// credits of the caller's per `period` seconds, on every model or only
    /// on the models allowed with [`Self::set_policy_model`]. A zero quota
    /// ends the policy.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (zero period).
    pub fn set_policy(
        &mut self,
        collection: Address,
        quota: U256,
        period: u64,
        all_models: bool,
    ) -> Result<(), Error> {
        self.write_policy(msg::sender(), collection, quota, period, all_models)
    }

    /// Allows or forbids `model` under the caller's policy for `collection`.
    pub fn set_policy_model(&mut self, collection: Address, model: u32, allowed: bool) {
        self.write_policy_model(msg::sender(), collection, model, allowed);
    }

    /// Credits the holder of `token` in `collection` may still spend this
    /// period under `payer`'s policy.
    pub fn quota_left(&self, payer: Address, collection: Address, token: U256) -> U256 {
        self.quota_left_at(payer, (collection, token), block::timestamp())
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
    /// [`QuoteRefused`], [`InvalidSize`], [`InvalidDeadline`],
    /// [`LedgerCallFailed`], [`interfaces::guard::ReentrantCall`].
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
        let ask = requests::Ask {
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
    /// [`LedgerCallFailed`], [`interfaces::guard::ReentrantCall`].
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
            self.call_back(id, hash);
        }
        Ok(())
    }

    /// Anyone frees a slot whose lease ran out without a result; the
    /// registry slashes part of the provider's bond to the payer.
    ///
    /// # Errors
    /// [`RequestClosed`], [`NoLease`], [`LeaseActive`], [`RegistryCallFailed`],
    /// [`interfaces::guard::ReentrantCall`].
    pub fn reopen(&mut self, id: u64, slot: u8) -> Result<(), Error> {
        self.guarded(|s| s.reopen_slot((id, slot), block::timestamp()))
    }

    /// Anyone ends a request whose deadline passed unfulfilled; the payer
    /// gets the escrow back. Returns the refund.
    ///
    /// # Errors
    /// [`RequestClosed`], [`DeadlineNotReached`], [`LedgerCallFailed`],
    /// [`interfaces::guard::ReentrantCall`].
    pub fn refund(&mut self, id: u64) -> Result<U256, Error> {
        self.guarded(|s| s.expire(id, block::timestamp()))
    }

    /// Request `id`: payer, model, status (0 none, 1 open, 2 settled, 3
    /// refunded, 4 disputed), deadline, ledger escrow id, results in, and
    /// the agreed output hash.
    pub fn request_of(&self, id: u64) -> (Address, u32, u8, u64, u64, u8, B256) {
        self.request_view(id)
    }

    /// The result of request `id`: status and output hash.
    pub fn result(&self, id: u64) -> (u8, B256) {
        let r = self.requests.get(id);
        (r.status.get().to(), r.output_hash.get())
    }

    /// The inline output of request `id` (empty when given by URI). Its own
    /// view: stylus-sdk 0.9 wraps a returned tuple that holds `bytes` in an
    /// extra offset, which Solidity decoders reject.
    pub fn output(&self, id: u64) -> Bytes {
        Bytes(self.requests.get(id).output.get_bytes())
    }

    /// Slot `slot` of request `id`: provider, lease end, and whether it
    /// delivered.
    pub fn lease_of(&self, id: u64, slot: u8) -> (Address, u64, bool) {
        self.lease_view(id, slot)
    }

    /// The credit ledger and the inference registry.
    pub fn wiring(&self) -> (Address, Address) {
        (self.ledger.get(), self.registry.get())
    }
}

impl OracleBridge {
    /// Runs `f` under the reentrancy lock.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.guard.enter()?;
        let result = f(self);
        self.guard.exit();
        result
    }
}
