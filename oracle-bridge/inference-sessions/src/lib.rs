//! Inference sessions: one escrow, many answers, one settlement.
//!
//! A request through the oracle bridge costs an escrow, a claim and a
//! fulfilment on chain per answer. A session costs an open, an accept and a
//! close for a whole conversation: the payer's side escrows a spend cap in
//! the credit ledger, a provider accepts it (locking collateral in the
//! registry as for a lease), prompts and answers go straight between them
//! over HTTP, and after each answer the payer's side signs a cumulative
//! usage receipt with the session key ([`receipt`]). Whoever closes presents
//! the newest receipt it holds; the other side has a short challenge window
//! to present a newer one (or to agree at once); then the escrow settles
//! through the ledger exactly once, paying the provider the receipt's cost
//! and refunding the rest.
//!
//! ```text
//!   open() ──▶ Open ──accept()──▶ Active ──close(receipt)──▶ Closing ──┐
//!               │ close() by the payer's side:                 │       │ finalize() after the
//!               │ no provider, nothing to pay                  │       │ window, or the other
//!               ▼                                              │       │ side's close() at once
//!            Settled ◀─────────────────────────────────────────┴───────┘
//! ```
//!
//! Who may open is the access contract's answer, as for requests (the
//! payer itself, an approved requester, a key holder within its quota):
//! the cap is booked against the quota and what the session did not spend
//! is given back. Nothing is stored per message: gas per session is
//! constant, whatever the number of turns.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod close;
mod errors;
mod open;
pub mod receipt;
mod state;
#[cfg(test)]
mod tests;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{aliases::B8, Address, FixedBytes, B256, U256, U64};
use openzeppelin_stylus::utils::cryptography::eip712::IEip712;
use stylus_sdk::{
    abi::Bytes,
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU64},
};

pub use errors::*;
pub use receipt::Receipt;
use state::Session;
pub use state::{phase, side};

/// State of the sessions program.
#[entrypoint]
#[storage]
pub struct InferenceSessions {
    ledger: StorageAddress,
    registry: StorageAddress,
    access: StorageAddress,
    /// How long the other side has to answer a close, in seconds.
    challenge_seconds: StorageU64,
    /// The longest a session may run, in seconds.
    max_duration: StorageU64,
    count: StorageU64,
    sessions: StorageMap<u64, Session>,
}

impl IEip712 for InferenceSessions {
    const NAME: &'static str = receipt::DOMAIN_NAME;
    const VERSION: &'static str = receipt::DOMAIN_VERSION;
}

#[public]
impl InferenceSessions {
    /// Wires the program to the credit `ledger` (which must grant it the
    /// spender role), the inference `registry` and the inference `access`
    /// contract (whose admins must name it with `setSessions`). A close can
    /// be answered for `challenge_seconds`; a session runs at most
    /// `max_duration` seconds.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`InvalidSettings`].
    #[constructor]
    pub fn constructor(
        &mut self,
        ledger: Address,
        registry: Address,
        access: Address,
        challenge_seconds: u64,
        max_duration: u64,
    ) -> Result<(), Error> {
        if ledger.is_zero() || registry.is_zero() || access.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if challenge_seconds == 0 || max_duration == 0 {
            return Err(InvalidSettings {}.into());
        }
        self.ledger.set(ledger);
        self.registry.set(registry);
        self.access.set(access);
        self.challenge_seconds.set(U64::from(challenge_seconds));
        self.max_duration.set(U64::from(max_duration));
        Ok(())
    }

    /// Opens a session on `model`: escrows `cap` of `payer`'s credits until
    /// `expires`, for `provider` (zero: the first eligible provider that
    /// accepts). `session_key` signs the receipts. The caller must be
    /// allowed to charge the payer: the payer itself, an approved
    /// requester, or the holder of `token` in `collection` under the
    /// payer's policy (the cap counts against the key's quota). Returns the
    /// session's id (from 1).
    ///
    /// # Errors
    /// [`ZeroAddress`] (payer or key), [`ZeroAmount`], [`InvalidExpiry`],
    /// [`QuoteRefused`], [`NotAuthorized`], [`ModelNotAllowed`],
    /// [`QuotaExceeded`], [`AccessCallFailed`], [`LedgerCallFailed`] (too
    /// few credits).
    #[allow(clippy::too_many_arguments, reason = "a flat ABI: Solidity has no anonymous tuples")]
    pub fn open(
        &mut self,
        model: u32,
        payer: Address,
        provider: Address,
        cap: U256,
        expires: u64,
        session_key: Address,
        collection: Address,
        token: U256,
    ) -> Result<u64, Error> {
        let terms = open::Terms { model, payer, provider, cap, expires, key: session_key };
        self.open_session(msg::sender(), &terms, (collection, token), block::timestamp())
    }

    /// The caller, a provider, accepts session `id`: it must be the
    /// provider named (or any eligible one when none was) and have the
    /// collateral for the cap free in the registry, which locks it until
    /// the session settles.
    ///
    /// # Errors
    /// [`SessionClosed`], [`AlreadyAccepted`], [`SessionExpired`],
    /// [`ProviderIneligible`], [`RegistryCallFailed`].
    pub fn accept(&mut self, id: u64) -> Result<(), Error> {
        self.accept_session(msg::sender(), id, block::timestamp())
    }

    /// Closes session `id` with the newest receipt the caller holds
    /// (`seq` 0: none; `signature` is the session key's 65-byte EIP-712
    /// signature of the receipt). A side that closes first opens the
    /// challenge window; the other side's close in the window presents its
    /// newer receipt (or agrees) and settles at once. Before a provider
    /// accepted, the payer's side settles at once. The payer's side (payer
    /// or requester) or the provider may close; after expiry, anyone.
    ///
    /// # Errors
    /// [`SessionClosed`], [`NotParty`], [`AlreadyClosing`],
    /// [`WrongWindow`] (the window is over: finalize), [`NoProvider`],
    /// [`BadReceiptSignature`], [`StaleReceipt`], [`ReceiptOverCap`],
    /// [`ReceiptOverPrice`], [`LedgerCallFailed`], [`RegistryCallFailed`].
    #[allow(
        clippy::too_many_arguments,
        clippy::needless_pass_by_value,
        reason = "a flat ABI: Solidity has no anonymous tuples; the router hands calldata over owned"
    )]
    pub fn close(
        &mut self,
        id: u64,
        seq: u64,
        tokens_in: u64,
        tokens_out: u64,
        cost: U256,
        signature: Bytes,
    ) -> Result<(), Error> {
        let receipt = Receipt { session: id, seq, tokens_in, tokens_out, cost };
        self.close_session(msg::sender(), &receipt, &signature, block::timestamp())
    }

    /// Settles session `id` once its challenge window is over. Anyone may
    /// call it.
    ///
    /// # Errors
    /// [`SessionClosed`], [`WrongWindow`], [`LedgerCallFailed`],
    /// [`RegistryCallFailed`].
    pub fn finalize(&mut self, id: u64) -> Result<(), Error> {
        self.finalize_session(id, block::timestamp())
    }

    /// Session `id`'s terms and phase (see [`phase`]).
    ///
    /// Returns: payer, requester, provider, sessionKey, model, phase, cap, expires
    #[allow(clippy::type_complexity, reason = "the ABI's tuple")]
    pub fn session(&self, id: u64) -> (Address, Address, Address, Address, u32, u8, U256, u64) {
        let s = self.sessions.get(id);
        (
            s.payer.get(),
            s.requester.get(),
            s.provider.get(),
            s.key.get(),
            s.model.get().to(),
            s.phase(),
            s.cap(),
            s.expires.get().to(),
        )
    }

    /// Where session `id`'s close stands: the newest receipt presented
    /// (sequence and cost), when the window ends, and which side closed
    /// (see [`side`]).
    ///
    /// Returns: seq, cost, closesAt, closer, escrow
    pub fn settlement(&self, id: u64) -> (u64, U256, u64, u8, u64) {
        let s = self.sessions.get(id);
        let closer = s.closer.get().to();
        (s.seq.get().to(), s.cost(), s.closes_at.get().to(), closer, s.escrow.get().to())
    }

    /// The prices session `id` was opened at, in credits per input and per
    /// output token: what its receipts are checked against.
    ///
    /// Returns: priceIn, priceOut
    pub fn prices(&self, id: u64) -> (U256, U256) {
        self.sessions.get(id).prices()
    }

    /// The EIP-712 digest the session key signs for a receipt: what a
    /// client can check its own signer against.
    pub fn receipt_digest(
        &self,
        id: u64,
        seq: u64,
        tokens_in: u64,
        tokens_out: u64,
        cost: U256,
    ) -> B256 {
        let receipt = Receipt { session: id, seq, tokens_in, tokens_out, cost };
        self.hash_typed_data_v4(receipt.struct_hash())
    }

    /// The EIP-712 domain (ERC-5267), which wallets and viem read to sign
    /// receipts.
    ///
    /// Returns: fields, name, version, chainId, verifyingContract, salt, extensions
    #[allow(clippy::type_complexity, reason = "the ERC-5267 tuple")]
    pub fn eip712_domain(&self) -> (B8, String, String, U256, Address, B256, Vec<U256>) {
        let (fields, name, version, chain, contract, salt, extensions) =
            IEip712::eip712_domain(self);
        (FixedBytes(fields), name, version, chain, contract, B256::from(salt), extensions)
    }

    /// The wiring and the time rules.
    ///
    /// Returns: ledger, registry, access, challengeSeconds, maxDuration, sessions
    pub fn settings(&self) -> (Address, Address, Address, u64, u64, u64) {
        (
            self.ledger.get(),
            self.registry.get(),
            self.access.get(),
            self.challenge_seconds.get().to(),
            self.max_duration.get().to(),
            self.count.get().to(),
        )
    }
}
