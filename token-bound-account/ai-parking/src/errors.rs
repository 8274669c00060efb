//! Errors and events of the AI parking.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::errors::ZeroAddress;
pub use contract_kit::guard::ReentrantCall;
use stylus_sdk::prelude::*;

sol! {
    /// Only the holder of token `tokenId` may park it.
    #[derive(Debug, PartialEq, Eq)]
    error NotTokenOwner(address caller, uint256 tokenId);
    /// The token is not parked here.
    #[derive(Debug, PartialEq, Eq)]
    error NotParked(address nft, uint256 tokenId);
    /// Only the parking's controller may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotController(address caller);
    /// Only the controller or one of the parking's guardians may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotGuardian(address caller);
    /// A releasable parking needs 1 to `max` guardians, not `count`.
    #[derive(Debug, PartialEq, Eq)]
    error BadGuardians(uint256 count, uint256 max);
    /// A release delay of `delay` seconds is shorter than `min`.
    #[derive(Debug, PartialEq, Eq)]
    error DelayTooShort(uint64 delay, uint64 min);
    /// Released to `to`, token `tokenId` of `nft` would own itself (its own
    /// account, or an account its ownership leads back to).
    #[derive(Debug, PartialEq, Eq)]
    error OwnershipCycle(address to, address nft, uint256 tokenId);
    /// The token is parked for good: it is never released.
    #[derive(Debug, PartialEq, Eq)]
    error PermanentlyParked(address nft, uint256 tokenId);
    /// No release of the token is pending.
    #[derive(Debug, PartialEq, Eq)]
    error NoPendingRelease(address nft, uint256 tokenId);
    /// The release (or proposal) may run from `eta` on, not at `now`.
    #[derive(Debug, PartialEq, Eq)]
    error NotReady(uint64 eta, uint64 now);
    /// `account` is not the token-bound account of the parked token.
    #[derive(Debug, PartialEq, Eq)]
    error WrongAccount(address account);
    /// A proposal must be a `grant` or `allow` call for the parked AI's
    /// account.
    #[derive(Debug, PartialEq, Eq)]
    error BadProposal();
    /// No such proposal is pending.
    #[derive(Debug, PartialEq, Eq)]
    error UnknownProposal(bytes32 id);
    /// A call to `callee` failed.
    #[derive(Debug, PartialEq, Eq)]
    error CallFailed(address callee);

    #[derive(Debug, PartialEq, Eq)]
    event Parked(address indexed nft, uint256 indexed tokenId, address account, address controller, uint64 delay, bool permanent);
    #[derive(Debug, PartialEq, Eq)]
    event ReleaseRequested(address indexed nft, uint256 indexed tokenId, address to, uint64 eta);
    #[derive(Debug, PartialEq, Eq)]
    event ReleaseCancelled(address indexed nft, uint256 indexed tokenId, address by);
    #[derive(Debug, PartialEq, Eq)]
    event Released(address indexed nft, uint256 indexed tokenId, address to);
    #[derive(Debug, PartialEq, Eq)]
    event Proposed(address indexed nft, uint256 indexed tokenId, bytes32 id, uint64 eta, bytes data);
    #[derive(Debug, PartialEq, Eq)]
    event ProposalCancelled(address indexed nft, uint256 indexed tokenId, bytes32 id, address by);
    #[derive(Debug, PartialEq, Eq)]
    event ProposalExecuted(address indexed nft, uint256 indexed tokenId, bytes32 id);
}

/// Every way a parking call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum Error {
    ZeroAddress(ZeroAddress),
    ReentrantCall(ReentrantCall),
    NotTokenOwner(NotTokenOwner),
    NotParked(NotParked),
    NotController(NotController),
    NotGuardian(NotGuardian),
    BadGuardians(BadGuardians),
    DelayTooShort(DelayTooShort),
    PermanentlyParked(PermanentlyParked),
    OwnershipCycle(OwnershipCycle),
    NoPendingRelease(NoPendingRelease),
    NotReady(NotReady),
    WrongAccount(WrongAccount),
    BadProposal(BadProposal),
    UnknownProposal(UnknownProposal),
    CallFailed(CallFailed),
}
