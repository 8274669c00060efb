//! Errors and events of the inference registry.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::errors::{ZeroAddress, ZeroAmount};
use contract_kit::guard::ReentrantCall;
pub use contract_kit::wiring::{NotAdmin, NotBridge};
use stylus_sdk::prelude::*;

sol! {
    /// No model has this id, or it is switched off.
    #[derive(Debug, PartialEq, Eq)]
    error ModelUnavailable(uint32 model);
    /// A model's settings are out of range: zero output limit, redundancy
    /// outside 1..=5, a price of 2^96 or more, or prices so high the largest
    /// request overflows.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidModel();
    /// The request's token counts exceed the model's limits.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSize();
    /// The caller is not a registered provider.
    #[derive(Debug, PartialEq, Eq)]
    error NotProvider(address caller);
    /// The provider is already registered.
    #[derive(Debug, PartialEq, Eq)]
    error AlreadyProvider(address provider);
    /// The bond has `available` free (neither unbonding nor reserved by
    /// leases) but the call needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientBond(uint256 available, uint256 needed);
    /// Unbonding completes at `ready_at`.
    #[derive(Debug, PartialEq, Eq)]
    error UnbondingNotReady(uint64 ready_at);
    /// The asset refused a transfer.
    #[derive(Debug, PartialEq, Eq)]
    error AssetTransferFailed();
    /// A parameter is out of range.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidParams();
    /// Only the arbiter may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotArbiter(address caller);

    event ModelRegistered(uint32 indexed model, bytes32 name, bytes32 weightsHash, string weightsUri);
    event ModelUpdated(uint32 indexed model, uint256 priceIn, uint256 priceOut, uint32 maxIn, uint32 maxOut, uint8 redundancy, bool active);
    event ProviderRegistered(address indexed provider, bytes32 key, string endpoint);
    event ProviderKeySet(address indexed provider, bytes32 key);
    event ProviderServing(address indexed provider, uint32 indexed model, bool serving);
    event ProviderPaused(address indexed provider, bool paused);
    event BondChanged(address indexed provider, uint256 bond, uint256 locked, uint256 unbonding, uint64 unbondAt);
    /// A lease of request `id` ended with `outcome` (1 abandoned, 2 missed,
    /// unrevealed or outvoted): `amount` of `provider`'s bond went to the
    /// treasury.
    event Slashed(address indexed provider, uint64 indexed id, uint8 outcome, uint256 amount);
    event BridgeSet(address bridge);
    event SessionsSet(address sessions);
    event ArbiterSet(address indexed arbiter);
}

/// Every way a registry call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAmount(ZeroAmount),
    ZeroAddress(ZeroAddress),
    NotAdmin(NotAdmin),
    NotBridge(NotBridge),
    ModelUnavailable(ModelUnavailable),
    InvalidModel(InvalidModel),
    InvalidSize(InvalidSize),
    NotProvider(NotProvider),
    AlreadyProvider(AlreadyProvider),
    InsufficientBond(InsufficientBond),
    UnbondingNotReady(UnbondingNotReady),
    AssetTransferFailed(AssetTransferFailed),
    InvalidParams(InvalidParams),
    NotArbiter(NotArbiter),
    ReentrantCall(ReentrantCall),
}
