//! The oracle bridge: the on-chain market for inference.
//!
//! - **Requests** escrow their maximum cost from the payer in the credit
//!   ledger, priced by the inference registry when they are made (a later
//!   price change does not touch them). A request may name the providers
//!   allowed to serve it (one per slot; a sealed prompt must name the one it
//!   is sealed to); otherwise any eligible provider may.
//! - **Leases**: a provider claims a lease on one of the request's slots
//!   (one per unit of the model's redundancy); the registry reserves
//!   collateral from its free bond, sized by the request. Delivering frees
//!   it; handing the lease back (`abandon`) costs a small share; missing it
//!   (`reopen` by anyone) costs all of it, to the treasury. The payer's own
//!   address cannot serve its request.
//! - **Answers**: with redundancy 1 the leaseholder fulfils and is paid its
//!   exact cost at once. With redundancy k >= 2 leaseholders commit, then
//!   reveal; a strict majority of equal digests settles (losers and the
//!   silent are slashed), a split goes to the arbiter.
//! - **Access**: a request is charged to its payer when the caller is the
//!   payer or the inference access contract says so (approved requesters,
//!   holders of a key NFT the payer sponsors, within a quota per period).
//! - **Disputes**: the registry's arbiter names the right digest before the
//!   dispute window closes, or anyone refunds the payer after it. A new
//!   arbiter takes over only after the registry's unbonding delay.
//! - **Results**: status and digest are readable by a view; the output
//!   itself travels in the `Fulfilled` event and the callback (called with
//!   the gas it was promised when a request ends), not in storage.
//!
//! Nothing loops over requests or providers: loops run over the slots of one
//! request, at most [`contract_kit::fees::MAX_REDUNDANCY`].
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod delivery;
mod errors;
mod intake;
mod policy;
mod settlement;
mod state;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64};
use contract_kit::{
    calls::{self, IInferenceRegistry},
    guard::{Guarded, ReentrancyGuard},
};
use stylus_sdk::{
    abi::Bytes,
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU64},
};

use crate::delivery::Answer;

pub use errors::*;
pub use intake::{MAX_OUTPUT_BYTES, MAX_PROMPT_BYTES};
pub use settlement::IInferenceCallback;
pub use state::{Lease, Phase, Request, Status};

/// Settings chosen at deployment.
#[storage]
pub struct Settings {
    lease_seconds: StorageU64,
    max_deadline: StorageU64,
    callback_gas: StorageU64,
    dispute_window: StorageU64,
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
pub use contract_kit::access::KeyRef;

#[public]
impl OracleBridge {
    /// Wires the bridge to the credit `ledger` (which must grant it the
    /// spender role), the inference `registry` and the inference `access`
    /// contract (which must both name it as their bridge), with the lease
    /// length (also the commit and the reveal window), the furthest deadline
    /// a request may set, the gas a callback gets, and how long the
    /// registry's arbiter has to settle a dispute (`dispute_window` seconds).
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidParams`] (zero lease or dispute window, a
    /// lease longer than the furthest deadline, or a registry whose
    /// unbonding delay is shorter than the longest a provider stays
    /// slashable here: furthest deadline + reveal window + dispute window,
    /// review L-7), [`RegistryCallFailed`].
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
        dispute_window: u64,
    ) -> Result<(), Error> {
        if ledger.is_zero() || registry.is_zero() || access.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if lease_seconds == 0 || max_deadline < lease_seconds || dispute_window == 0 {
            return Err(InvalidParams {}.into());
        }
        let reply = calls::view(registry, &IInferenceRegistry::unbondDelayCall {})
            .map_err(|_| RegistryCallFailed {})?;
        let unbond_delay = calls::uint(&reply).map_err(|_| RegistryCallFailed {})?;
        let exposed =
            U256::from(max_deadline) + U256::from(lease_seconds) + U256::from(dispute_window);
        if unbond_delay < exposed {
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
        Ok(())
    }

    /// Asks `model` for an answer, charged to `payer`, and returns the
    /// request's id. The prompt is inline (`prompt`, possibly sealed to the
    /// named provider's key when `encrypted`) or given by `prompt_hash` and
    /// `prompt_uri` (UTF-8 bytes: taken as `bytes`, not `string`, because
    /// validating UTF-8 on chain costs 0.8 KB of the 24 KB limit and buys
    /// nothing). `requester_key` is the X25519 key a sealed answer is for;
    /// `callback` (optional) is called when the request ends; `key_collection`
    /// and `key_token` name the key NFT the caller holds when it asks under
    /// `payer`'s policy; `providers` names who may serve it, one per slot
    /// (empty: any eligible provider; a sealed prompt names its provider).
    ///
    /// # Errors
    /// [`NotAuthorized`], [`QuotaExceeded`], [`ModelNotAllowed`],
    /// [`AccessCallFailed`], [`QuoteRefused`], [`InvalidSize`],
    /// [`InvalidDeadline`], [`InvalidProviders`], [`SealedRedundancy`],
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
        providers: Vec<Address>,
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
            providers,
        };
        self.guarded(|s| s.open_request(msg::sender(), ask, block::timestamp()))
    }

    /// A provider claims a lease on a free slot of request `id` (its own
    /// slot, when the request names providers) and returns the slot. The
    /// registry reserves the lease's collateral from its free bond.
    ///
    /// # Errors
    /// [`RequestClosed`], [`DeadlinePassed`] (or the commit window closed),
    /// [`ProviderIneligible`] (also the payer itself), [`NoFreeSlot`],
    /// [`RegistryCallFailed`], [`contract_kit::guard::ReentrantCall`].
    pub fn claim(&mut self, id: u64) -> Result<u8, Error> {
        self.guarded(|s| s.claim_slot(msg::sender(), id, block::timestamp()))
    }

    /// The leaseholder hands back its lease on `slot` of request `id` before
    /// it expires (and before committing) for the abandon penalty; the slot
    /// reopens at once.
    ///
    /// # Errors
    /// [`RequestClosed`], [`NoLease`], [`WrongPhase`], [`RegistryCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn abandon(&mut self, id: u64, slot: u8) -> Result<(), Error> {
        self.guarded(|s| s.abandon_slot(msg::sender(), (id, slot), block::timestamp()))
    }

    /// The leaseholder of `slot` delivers its answer: the output inline
    /// (its digest is computed here) or `output_hash` with `output_uri`
    /// (UTF-8 bytes), and the token counts; for a sealed prompt
    /// `output_hash` may give the plaintext answer's digest. With
    /// redundancy 1 the request settles at once (`salt` is ignored): the
    /// provider is paid its exact cost, the rest refunded. With redundancy
    /// k >= 2 this reveals the committed answer with the commitment's
    /// `salt`, within one lease length of reveals opening; the last reveal
    /// tallies: a strict majority of equal digests settles (its providers
    /// paid, the others slashed), a split goes to the arbiter.
    ///
    /// # Errors
    /// [`RequestClosed`], [`NoLease`], [`WrongPhase`] (not leased with
    /// redundancy 1, not committed or reveals not open with more),
    /// [`DeadlinePassed`], [`InvalidSize`], [`CommitmentMismatch`],
    /// [`LedgerCallFailed`], [`RegistryCallFailed`], [`CallbackGasTooLow`],
    /// [`contract_kit::guard::ReentrantCall`].
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
        salt: B256,
    ) -> Result<(), Error> {
        let answer = Answer {
            output: &output,
            output_hash,
            output_uri,
            tokens: (input_tokens, output_tokens),
        };
        let (provider, now) = (msg::sender(), block::timestamp());
        let (own, paid) = self.guarded(|s| s.deliver(provider, (id, slot), answer, salt, now))?;
        // The callback gets the output when it is the agreed one.
        let output: &[u8] = if paid == Some(own) { &output } else { &[] };
        self.call_back(id, paid.unwrap_or_default(), output)
    }

    /// Redundancy k >= 2: the leaseholder of `slot` commits to
    /// `keccak256(digest ‖ provider ‖ salt)` (see [`contract_kit::market::commitment`])
    /// before its lease expires, then reveals with `fulfil`. Reveals open
    /// once every slot has committed or one lease length after the first
    /// commitment.
    ///
    /// # Errors
    /// [`RequestClosed`], [`NoLease`], [`WrongPhase`].
    pub fn commit(&mut self, id: u64, slot: u8, commitment: B256) -> Result<(), Error> {
        // No call leaves the bridge here, so no guard is needed.
        self.commit_slot(msg::sender(), (id, slot), commitment, block::timestamp())
    }

    /// The arbiter settles disputed request `id` on `output_hash`: the
    /// providers that revealed it are paid, every other holder slashed, the
    /// rest refunded. A digest nobody revealed refunds the payer in full and
    /// slashes every holder. Returns the final status.
    ///
    /// # Errors
    /// [`NotArbiter`], [`NotDisputed`], [`DeadlinePassed`] (the dispute
    /// window closed), [`LedgerCallFailed`], [`RegistryCallFailed`],
    /// [`CallbackGasTooLow`], [`contract_kit::guard::ReentrantCall`].
    pub fn resolve(&mut self, id: u64, output_hash: B256) -> Result<u8, Error> {
        self.only_arbiter()?;
        let paid = self.guarded(|s| s.arbitrate(id, output_hash, block::timestamp()))?;
        self.call_back(id, if paid { output_hash } else { B256::ZERO }, &[])?;
        Ok(self.requests.get(id).status.get().to())
    }

    /// Anyone frees a slot whose lease ran out without an answer (or a
    /// commitment); the registry slashes the lease's collateral to the
    /// treasury.
    ///
    /// # Errors
    /// [`RequestClosed`], [`NoLease`], [`LeaseActive`], [`RegistryCallFailed`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn reopen(&mut self, id: u64, slot: u8) -> Result<(), Error> {
        self.guarded(|s| s.reopen_slot((id, slot), block::timestamp()))
    }

    /// Anyone ends request `id` once its time is up: after the deadline
    /// (nothing committed), after the reveal window (commitments made: the
    /// revealed answers are tallied), or after an unresolved dispute's
    /// window. Leases held without an answer are slashed. Returns the digest
    /// paid (zero when the payer got everything back or the request went to
    /// the arbiter).
    ///
    /// # Errors
    /// [`RequestClosed`], [`DeadlineNotReached`], [`LedgerCallFailed`],
    /// [`RegistryCallFailed`], [`CallbackGasTooLow`],
    /// [`contract_kit::guard::ReentrantCall`].
    pub fn refund(&mut self, id: u64) -> Result<B256, Error> {
        let paid = self.guarded(|s| s.expire(id, block::timestamp()))?;
        self.call_back(id, paid, &[])?;
        Ok(paid)
    }

    /// Request `id`: payer, model, status (0 none, 1 open, 2 settled, 3
    /// refunded, 4 disputed), deadline, redundancy, answers delivered, and
    /// the agreed digest once settled. When reveals open and when a
    /// dispute's window closes are in the `Committed` and `Disputed` events.
    ///
    /// Returns: payer, model, status, deadline, redundancy, results, outputHash
    pub fn request_of(&self, id: u64) -> (Address, u32, u8, u64, u8, u8, B256) {
        self.request_view(id)
    }

    /// The result of request `id`: status and agreed digest (its text is in
    /// the `Fulfilled` events of request `id` that carry this digest, when
    /// delivered inline).
    ///
    /// Returns: status, outputHash
    pub fn result(&self, id: u64) -> (u8, B256) {
        let r = self.requests.get(id);
        (r.status.get().to(), r.output_hash.get())
    }

    /// Slot `slot` of request `id`: provider (or the named one), lease end,
    /// phase (0 free, 1 named, 2 leased, 3 committed, 4 revealed), and the
    /// commitment or revealed digest.
    ///
    /// Returns: provider, expires, phase, hash
    pub fn lease_of(&self, id: u64, slot: u8) -> (Address, u64, u8, B256) {
        self.lease_view(id, slot)
    }

    /// The credit ledger, the inference registry and the access contract.
    ///
    /// Returns: ledger, registry, access
    pub fn wiring(&self) -> (Address, Address, Address) {
        (self.ledger.get(), self.registry.get(), self.access.get())
    }

    /// Lease length, furthest deadline, callback gas and dispute window (all
    /// seconds but the gas). The arbiter is the registry's.
    ///
    /// Returns: leaseSeconds, maxDeadlineSeconds, callbackGas, disputeWindow
    pub fn settings(&self) -> (u64, u64, u64, u64) {
        let s = &self.settings;
        (
            s.lease_seconds.get().to(),
            s.max_deadline.get().to(),
            s.callback_gas.get().to(),
            s.dispute_window.get().to(),
        )
    }
}

impl OracleBridge {
    /// The arbiter is the registry's, so that both contracts answer to one
    /// and its change waits the same delay as a bridge change.
    fn only_arbiter(&self) -> Result<(), Error> {
        let caller = msg::sender();
        let reply = calls::view(self.registry.get(), &IInferenceRegistry::arbiterCall {})
            .map_err(|_| RegistryCallFailed {})?;
        if calls::address(&reply) == Ok(caller) {
            Ok(())
        } else {
            Err(NotArbiter { caller }.into())
        }
    }
}
