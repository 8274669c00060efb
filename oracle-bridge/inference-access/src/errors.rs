//! Errors and events of the inference access contract.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::{
    errors::ZeroAddress,
    wiring::{NotAdmin, NotBridge},
};
use stylus_sdk::prelude::*;

sol! {
    /// A parameter is out of range (a quota with a zero period).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidParams();
    /// Only the key's holder may delegate it.
    #[derive(Debug, PartialEq, Eq)]
    error NotKeyHolder(address caller, address holder);

    event AdminSet(address indexed admin);
    event BridgeSet(address indexed bridge);
    event SessionsSet(address indexed sessions);
    event RequesterApproved(address indexed payer, address indexed requester, bool approved);
    event PolicySet(address indexed payer, address indexed collection, uint256 quota, uint64 period, bool allModels);
    event PolicyModel(address indexed payer, address indexed collection, uint32 indexed model, bool allowed);
    /// `holder` of `token` lets `delegate` use the key (zero: nobody).
    event KeyDelegated(address indexed collection, uint256 indexed token, address indexed holder, address delegate);
}

/// Every way an access call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAddress(ZeroAddress),
    NotAdmin(NotAdmin),
    NotBridge(NotBridge),
    InvalidParams(InvalidParams),
    NotKeyHolder(NotKeyHolder),
}
