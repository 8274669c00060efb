//! Errors and events of the vault.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::errors::{ZeroAddress, ZeroAmount};
use contract_kit::{guard::ReentrantCall, short_string::InvalidString};
use openzeppelin_stylus::{access::ownable, token::erc20};
use stylus_sdk::prelude::*;

sol! {
    /// Deposits are paused; withdrawals and claims still work.
    #[derive(Debug, PartialEq, Eq)]
    error DepositsPaused();
    /// The deposit would take total principal to `total`, above `cap`.
    #[derive(Debug, PartialEq, Eq)]
    error DepositCapExceeded(uint256 cap, uint256 total);
    /// A lock of `lockSeconds` is longer than the `max` allowed.
    #[derive(Debug, PartialEq, Eq)]
    error LockTooLong(uint64 lockSeconds, uint64 max);
    /// The position is locked until `unlockAt`; it is `now`.
    #[derive(Debug, PartialEq, Eq)]
    error StillLocked(uint64 unlockAt, uint64 now);
    /// `member` has `principal` but the call needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientPrincipal(address member, uint256 principal, uint256 needed);
    /// This vault pays all yield to its fixed `beneficiary`.
    #[derive(Debug, PartialEq, Eq)]
    error BeneficiaryFixed(address beneficiary);
    /// The asset moved less than `expected` (`received` arrived): fee-on-transfer
    /// and rebasing assets are not supported.
    #[derive(Debug, PartialEq, Eq)]
    error AssetShortfall(uint256 expected, uint256 received);
    /// A call to the asset, the yield source or the ledger at `target` failed.
    #[derive(Debug, PartialEq, Eq)]
    error ExternalCallFailed(address target);
    /// The yield source or the ledger is not for this vault's asset.
    #[derive(Debug, PartialEq, Eq)]
    error AssetMismatch(address target, address asset);
    /// A tip of `bps` exceeds the `max` allowed.
    #[derive(Debug, PartialEq, Eq)]
    error TipTooHigh(uint16 bps, uint16 max);
    /// A loss buffer of `bps` exceeds the `max` allowed.
    #[derive(Debug, PartialEq, Eq)]
    error BufferTooHigh(uint16 bps, uint16 max);
    /// A parameter delay of `delay` seconds is outside `[min, max]`.
    #[derive(Debug, PartialEq, Eq)]
    error DelayOutOfRange(uint64 delay, uint64 min, uint64 max);
    /// The source is worth `value`, less than the `principal` it backs:
    /// deposits wait until it recovers, so new principal never absorbs a loss.
    #[derive(Debug, PartialEq, Eq)]
    error SourceAtLoss(uint256 value, uint256 principal);
    /// The source took `assets` but credited the vault only `credited`.
    #[derive(Debug, PartialEq, Eq)]
    error SourceShortfall(uint256 assets, uint256 credited);
    /// No parameter change is waiting.
    #[derive(Debug, PartialEq, Eq)]
    error NoPendingChange();
    /// The proposed change applies from `eta`; it is `now`.
    #[derive(Debug, PartialEq, Eq)]
    error ChangeNotReady(uint64 eta, uint64 now);

    /// `member` deposited `assets`, counted as `principal` (what the source
    /// credited, at most `assets`), for `beneficiary`.
    event Deposited(address indexed member, address indexed beneficiary, uint256 assets, uint256 principal, uint64 unlockAt);
    /// `member` burnt `principal` and `receiver` got `paid` of the asset
    /// (`paid < principal` while the source has lost value, or by the
    /// source's own rounding or exit fee, which the leaver bears).
    event Withdrawn(address indexed member, address indexed receiver, uint256 principal, uint256 paid);
    /// A harvest skimmed `surplus`, tipped `caller` (zero: the harvest a
    /// deposit runs first), and delivered `credits` to the ledger.
    event Harvested(address indexed caller, uint256 surplus, uint256 tip, uint256 credits);
    /// The source is worth `value`, less than the `principal` it backs.
    event LossReported(uint256 value, uint256 principal);
    /// `credits` accrued to `member` were minted to `beneficiary`.
    event Claimed(address indexed member, address indexed beneficiary, uint256 credits);
    /// `member`'s yield now goes to `beneficiary`.
    event BeneficiarySet(address indexed member, address indexed beneficiary);
    /// A parameter change was proposed; it can be executed from `eta`.
    event ChangeProposed(uint16 tipBps, uint256 maxTip, uint16 bufferBps, uint256 depositCap, uint64 eta);
    /// The proposed parameters apply from now on.
    event ChangeExecuted(uint16 tipBps, uint256 maxTip, uint16 bufferBps, uint256 depositCap);
    /// The proposed change was withdrawn.
    event ChangeCancelled();
    /// Deposits were paused (`true`) or resumed (`false`).
    event PauseSet(bool paused);
}

/// Every way a vault call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAmount(ZeroAmount),
    ZeroAddress(ZeroAddress),
    DepositsPaused(DepositsPaused),
    DepositCapExceeded(DepositCapExceeded),
    LockTooLong(LockTooLong),
    StillLocked(StillLocked),
    InsufficientPrincipal(InsufficientPrincipal),
    BeneficiaryFixed(BeneficiaryFixed),
    AssetShortfall(AssetShortfall),
    ExternalCallFailed(ExternalCallFailed),
    AssetMismatch(AssetMismatch),
    TipTooHigh(TipTooHigh),
    BufferTooHigh(BufferTooHigh),
    DelayOutOfRange(DelayOutOfRange),
    SourceAtLoss(SourceAtLoss),
    SourceShortfall(SourceShortfall),
    NoPendingChange(NoPendingChange),
    ChangeNotReady(ChangeNotReady),
    ReentrantCall(ReentrantCall),
    InvalidString(InvalidString),
    UnauthorizedAccount(ownable::OwnableUnauthorizedAccount),
    InvalidOwner(ownable::OwnableInvalidOwner),
    InsufficientBalance(erc20::ERC20InsufficientBalance),
    InvalidSender(erc20::ERC20InvalidSender),
    InvalidReceiver(erc20::ERC20InvalidReceiver),
    InsufficientAllowance(erc20::ERC20InsufficientAllowance),
    InvalidSpender(erc20::ERC20InvalidSpender),
    InvalidApprover(erc20::ERC20InvalidApprover),
}

impl From<ownable::Error> for Error {
    fn from(value: ownable::Error) -> Self {
        match value {
            ownable::Error::UnauthorizedAccount(e) => Self::UnauthorizedAccount(e),
            ownable::Error::InvalidOwner(e) => Self::InvalidOwner(e),
        }
    }
}

impl From<erc20::Error> for Error {
    fn from(value: erc20::Error) -> Self {
        match value {
            erc20::Error::InsufficientBalance(e) => Self::InsufficientBalance(e),
            erc20::Error::InvalidSender(e) => Self::InvalidSender(e),
            erc20::Error::InvalidReceiver(e) => Self::InvalidReceiver(e),
            erc20::Error::InsufficientAllowance(e) => Self::InsufficientAllowance(e),
            erc20::Error::InvalidSpender(e) => Self::InvalidSpender(e),
            erc20::Error::InvalidApprover(e) => Self::InvalidApprover(e),
        }
    }
}
