//! Errors and events of the oracle bridge.
#![allow(missing_docs)]

use alloy_sol_types::sol;
use contract_kit::guard::ReentrantCall;
pub use contract_kit::{
    access::{AccessCallFailed, ModelNotAllowed, NotAuthorized, QuotaExceeded},
    errors::ZeroAddress,
};
use stylus_sdk::prelude::*;

sol! {
    /// The provider cannot take this work: it is the request's payer (a
    /// payer never serves its own request), or per the registry it is
    /// unregistered, paused, not serving the model, or without the lease's
    /// collateral plus the minimum bond free.
    #[derive(Debug, PartialEq, Eq)]
    error ProviderIneligible(address provider, uint32 model);
    /// The request's sizes are out of range: tokens above the model's limits,
    /// an inline prompt or output over the cap, or neither inline data nor a hash.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSize();
    /// The deadline is in the past or too far away.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidDeadline(uint64 deadline);
    /// The request is not open (already settled, refunded or disputed).
    #[derive(Debug, PartialEq, Eq)]
    error RequestClosed(uint64 id);
    /// The request is not waiting for arbitration.
    #[derive(Debug, PartialEq, Eq)]
    error NotDisputed(uint64 id);
    /// Only the arbiter may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotArbiter(address caller);
    /// The request's deadline (or its dispute's window) has passed.
    #[derive(Debug, PartialEq, Eq)]
    error DeadlinePassed(uint64 id);
    /// The request's deadline (or its dispute's window) has not passed yet.
    #[derive(Debug, PartialEq, Eq)]
    error DeadlineNotReached(uint64 id);
    /// Every slot of the request is taken, or the caller already holds one.
    #[derive(Debug, PartialEq, Eq)]
    error NoFreeSlot(uint64 id);
    /// The caller does not hold a live lease on this slot.
    #[derive(Debug, PartialEq, Eq)]
    error NoLease(uint64 id, uint8 slot);
    /// The lease is still running (or the slot was fulfilled).
    #[derive(Debug, PartialEq, Eq)]
    error LeaseActive(uint64 id, uint8 slot);
    /// The credit ledger refused a call (escrow, release or close).
    #[derive(Debug, PartialEq, Eq)]
    error LedgerCallFailed();
    /// The inference registry refused to price the request: unknown or
    /// switched-off model, or token counts over its limits.
    #[derive(Debug, PartialEq, Eq)]
    error QuoteRefused(uint32 model);
    /// The inference registry could not be reached or refused a slash.
    #[derive(Debug, PartialEq, Eq)]
    error RegistryCallFailed();
    /// A parameter is out of range (or the registry's unbonding delay is
    /// shorter than the longest a provider stays slashable here).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidParams();
    /// The named providers are not zero or exactly one per slot, repeat an
    /// address, name zero or the payer, or are missing for a sealed prompt.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidProviders();
    /// Sealed prompts are refused for models of redundancy above 1: a prompt
    /// sealed to one provider's key cannot be served by the others.
    #[derive(Debug, PartialEq, Eq)]
    error SealedRedundancy(uint8 redundancy);
    /// The slot is not in the phase this call needs (fulfil is for
    /// redundancy 1, commit and reveal for more; reveals open once every
    /// slot committed or the commit window closed).
    #[derive(Debug, PartialEq, Eq)]
    error WrongPhase(uint64 id, uint8 slot);
    /// The revealed answer and salt do not match the commitment.
    #[derive(Debug, PartialEq, Eq)]
    error CommitmentMismatch(uint64 id, uint8 slot);
    /// Too little gas is left to give the callback the gas it is promised:
    /// send the transaction with more.
    #[derive(Debug, PartialEq, Eq)]
    error CallbackGasTooLow(uint64 needed);

    /// Everything a worker needs to serve request `id`, with the prompt
    /// inline (sealed to the provider's key when `encrypted`) or by hash and
    /// URI, the key a sealed answer is for, and the providers that may claim
    /// it (empty: any eligible provider).
    event Requested(uint64 indexed id, uint32 indexed model, address indexed payer, address requester, uint32 inputTokens, uint32 maxOutputTokens, uint64 deadline, uint256 maxCost, uint8 redundancy, bytes prompt, bytes32 promptHash, bytes promptUri, bool encrypted, bytes32 requesterKey, address[] providers);
    event LeaseClaimed(uint64 indexed id, uint8 slot, address indexed provider, uint64 expires);
    /// A lapsed lease was freed; its provider lost the lease's collateral.
    event LeaseReopened(uint64 indexed id, uint8 slot, address indexed provider);
    /// The provider handed its lease back for the abandon penalty.
    event LeaseAbandoned(uint64 indexed id, uint8 slot, address indexed provider);
    /// Slot `slot` committed to a hidden answer; reveals open at `revealAt`
    /// (or as soon as every slot has committed).
    event Committed(uint64 indexed id, uint8 slot, address indexed provider, uint64 revealAt);
    /// Slot `slot` of request `id` delivered: the output inline or by URI.
    event Fulfilled(uint64 indexed id, uint8 slot, address indexed provider, bytes32 outputHash, uint32 inputTokens, uint32 outputTokens, bytes output, bytes outputUri);
    /// Request `id`'s results disagree: the arbiter may settle it on one
    /// output until `windowEnds`; after that anyone may refund it.
    event Disputed(uint64 indexed id, uint64 windowEnds);
    /// Request `id` ended with `status` (2 settled, 3 refunded): the
    /// providers whose answer is `outputHash` were paid `paid` in all and
    /// `refunded` went back to the payer.
    event Ended(uint64 indexed id, uint8 status, bytes32 outputHash, uint256 paid, uint256 refunded);
    event CallbackFailed(uint64 indexed id, address callback);
}

/// Every way a bridge call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAddress(ZeroAddress),
    ProviderIneligible(ProviderIneligible),
    NotAuthorized(NotAuthorized),
    QuotaExceeded(QuotaExceeded),
    ModelNotAllowed(ModelNotAllowed),
    InvalidSize(InvalidSize),
    InvalidDeadline(InvalidDeadline),
    RequestClosed(RequestClosed),
    NotDisputed(NotDisputed),
    NotArbiter(NotArbiter),
    DeadlinePassed(DeadlinePassed),
    DeadlineNotReached(DeadlineNotReached),
    NoFreeSlot(NoFreeSlot),
    NoLease(NoLease),
    LeaseActive(LeaseActive),
    LedgerCallFailed(LedgerCallFailed),
    QuoteRefused(QuoteRefused),
    RegistryCallFailed(RegistryCallFailed),
    AccessCallFailed(AccessCallFailed),
    InvalidParams(InvalidParams),
    InvalidProviders(InvalidProviders),
    SealedRedundancy(SealedRedundancy),
    WrongPhase(WrongPhase),
    CommitmentMismatch(CommitmentMismatch),
    CallbackGasTooLow(CallbackGasTooLow),
    ReentrantCall(ReentrantCall),
}
