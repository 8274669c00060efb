//! Errors and events of the credit ledger.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::errors::{ZeroAddress, ZeroAmount};
use contract_kit::{guard::ReentrantCall, short_string::InvalidString};
use openzeppelin_stylus::access::control;
use stylus_sdk::prelude::*;

sol! {
    /// `account` has `available` spendable credits but the call needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientCredits(address account, uint256 available, uint256 needed);
    /// `account` has `available` earned credits but the call needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientEarned(address account, uint256 available, uint256 needed);
    /// `vault` has `available` unallocated yield but the call needs `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientReserve(address vault, uint256 available, uint256 needed);
    /// No open escrow has this id.
    #[derive(Debug, PartialEq, Eq)]
    error EscrowNotOpen(uint64 id);
    /// Only the spender that opened an escrow may release or close it.
    #[derive(Debug, PartialEq, Eq)]
    error NotEscrowSpender(uint64 id, address caller);
    /// The escrow holds `remaining` but the call releases `needed`.
    #[derive(Debug, PartialEq, Eq)]
    error ExceedsEscrow(uint64 id, uint256 remaining, uint256 needed);
    /// An escrow of 2^96 credits or more (an escrow's remainder is stored in
    /// 96 bits, beside its payer).
    #[derive(Debug, PartialEq, Eq)]
    error EscrowTooLarge(uint256 amount);
    /// The asset's transfer failed or returned false.
    #[derive(Debug, PartialEq, Eq)]
    error AssetTransferFailed(address asset);

    /// `payer` bought `amount` spendable credits for `to` with the asset.
    event ToppedUp(address indexed payer, address indexed to, uint256 amount);
    /// A vault delivered `amount` of harvested yield.
    event YieldDeposited(address indexed vault, uint256 amount);
    /// A vault turned `amount` of its delivered yield into credits for `to`.
    event CreditsMinted(address indexed vault, address indexed to, uint256 amount);
    /// `amount` of `payer`'s spendable credits are held for `spender`.
    event Escrowed(uint64 indexed id, address indexed payer, address indexed spender, uint256 amount);
    /// `amount` of an escrow was paid to `payee` as earned credits.
    event Released(uint64 indexed id, address indexed payee, uint256 amount);
    /// The escrow ended; `refunded` went back to the payer as spendable credits.
    event EscrowClosed(uint64 indexed id, uint256 refunded);
    /// `account` cashed `amount` earned credits out to `to`.
    event Redeemed(address indexed account, address indexed to, uint256 amount);
    /// `amount` of the asset the ledger held above what it owes (sent to it
    /// directly) became spendable credits of the stray beneficiary `to`.
    event StraySwept(address indexed to, uint256 amount);
    /// Stray asset is swept to `to` from now on.
    event StrayBeneficiarySet(address indexed to);
}

/// Every way a ledger call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAmount(ZeroAmount),
    ZeroAddress(ZeroAddress),
    InsufficientCredits(InsufficientCredits),
    InsufficientEarned(InsufficientEarned),
    InsufficientReserve(InsufficientReserve),
    EscrowNotOpen(EscrowNotOpen),
    NotEscrowSpender(NotEscrowSpender),
    ExceedsEscrow(ExceedsEscrow),
    EscrowTooLarge(EscrowTooLarge),
    AssetTransferFailed(AssetTransferFailed),
    ReentrantCall(ReentrantCall),
    InvalidString(InvalidString),
    UnauthorizedAccount(control::AccessControlUnauthorizedAccount),
    BadConfirmation(control::AccessControlBadConfirmation),
}

impl From<control::Error> for Error {
    fn from(value: control::Error) -> Self {
        match value {
            control::Error::UnauthorizedAccount(e) => Self::UnauthorizedAccount(e),
            control::Error::BadConfirmation(e) => Self::BadConfirmation(e),
        }
    }
}
