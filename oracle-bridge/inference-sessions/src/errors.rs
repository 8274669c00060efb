//! Errors and events of the sessions program.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::{
    access::{AccessCallFailed, ModelNotAllowed, NotAuthorized, QuotaExceeded},
    errors::{ZeroAddress, ZeroAmount},
};
use stylus_sdk::prelude::*;

sol! {
    /// No session has this id, or it has already settled.
    #[derive(Debug, PartialEq, Eq)]
    error SessionClosed(uint64 id);
    /// The caller is not a party to the session in the role this needs
    /// (the payer or its requester, or the provider that accepted).
    #[derive(Debug, PartialEq, Eq)]
    error NotParty(uint64 id, address caller);
    /// The expiry is not in the future or further away than the longest
    /// session allowed.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidExpiry(uint64 expires, uint64 latest);
    /// The session has expired: it takes no provider any more.
    #[derive(Debug, PartialEq, Eq)]
    error SessionExpired(uint64 id);
    /// The provider cannot take the session: not the one named, the payer
    /// or the requester itself, or per the registry unregistered, paused,
    /// not serving the model, or without the collateral free.
    #[derive(Debug, PartialEq, Eq)]
    error ProviderIneligible(address provider, uint32 model);
    /// A provider already accepted the session.
    #[derive(Debug, PartialEq, Eq)]
    error AlreadyAccepted(uint64 id);
    /// No provider accepted the session, so there is no usage to pay.
    #[derive(Debug, PartialEq, Eq)]
    error NoProvider(uint64 id);
    /// The receipt is not signed by the session's key (forged, or signed
    /// for another session, program or chain).
    #[derive(Debug, PartialEq, Eq)]
    error BadReceiptSignature(uint64 id);
    /// The receipt is not newer than the latest presented.
    #[derive(Debug, PartialEq, Eq)]
    error StaleReceipt(uint64 id, uint64 seq, uint64 latest);
    /// The receipt charges more than the session's cap.
    #[derive(Debug, PartialEq, Eq)]
    error ReceiptOverCap(uint64 id, uint256 cost, uint256 cap);
    /// The receipt charges more than its tokens cost at the session's prices.
    #[derive(Debug, PartialEq, Eq)]
    error ReceiptOverPrice(uint64 id, uint256 cost, uint256 priced);
    /// The caller's side already closed the session; the other side answers.
    #[derive(Debug, PartialEq, Eq)]
    error AlreadyClosing(uint64 id);
    /// The session is not closing, or its challenge window is still open
    /// (until `closesAt`) or already over.
    #[derive(Debug, PartialEq, Eq)]
    error WrongWindow(uint64 id, uint64 closesAt);
    /// The registry would not price the model (unknown or retired).
    #[derive(Debug, PartialEq, Eq)]
    error QuoteRefused(uint32 model);
    /// The credit ledger refused a call (escrow, settle).
    #[derive(Debug, PartialEq, Eq)]
    error LedgerCallFailed();
    /// The inference registry refused a call (lock, unlock).
    #[derive(Debug, PartialEq, Eq)]
    error RegistryCallFailed();
    /// A setting is out of range (a zero challenge window or duration).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSettings();

    /// `requester` opened session `id`, escrowing `cap` of `payer`'s
    /// credits for `model` until `expires`, for `provider` (zero: any that
    /// accepts); `sessionKey` signs its receipts.
    event SessionOpened(uint64 indexed id, address indexed payer, address indexed provider, address requester, uint32 model, uint256 cap, uint64 expires, address sessionKey);
    /// `provider` accepted session `id`, locking collateral for its cap.
    event SessionAccepted(uint64 indexed id, address indexed provider);
    /// `by` closed session `id` (or answered a close) with the receipt
    /// `seq` charging `cost` (0 and 0: none); it settles at `closesAt`
    /// unless the other side answers first.
    event SessionClosing(uint64 indexed id, address indexed by, uint64 seq, uint256 cost, uint64 closesAt);
    /// Session `id` settled: `paid` to `provider` for receipt `seq`, the
    /// rest of the cap `refunded` to the payer.
    event SessionSettled(uint64 indexed id, address indexed provider, uint64 seq, uint256 paid, uint256 refunded);
}

/// Every way a sessions call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    SessionClosed(SessionClosed),
    NotParty(NotParty),
    InvalidExpiry(InvalidExpiry),
    SessionExpired(SessionExpired),
    ProviderIneligible(ProviderIneligible),
    AlreadyAccepted(AlreadyAccepted),
    NoProvider(NoProvider),
    BadReceiptSignature(BadReceiptSignature),
    StaleReceipt(StaleReceipt),
    ReceiptOverCap(ReceiptOverCap),
    ReceiptOverPrice(ReceiptOverPrice),
    AlreadyClosing(AlreadyClosing),
    WrongWindow(WrongWindow),
    QuoteRefused(QuoteRefused),
    LedgerCallFailed(LedgerCallFailed),
    RegistryCallFailed(RegistryCallFailed),
    InvalidSettings(InvalidSettings),
    NotAuthorized(NotAuthorized),
    QuotaExceeded(QuotaExceeded),
    ModelNotAllowed(ModelNotAllowed),
    AccessCallFailed(AccessCallFailed),
    ZeroAddress(ZeroAddress),
    ZeroAmount(ZeroAmount),
}
