//! Key NFTs: ERC-721 membership keys to a community AI ("an NFT is the key
//! to the AI").
//!
//! The issuer (the AI's token-bound account) issues and revokes keys, and
//! appoints minters who may do the same (a membership desk, a sale). The
//! oracle bridge's access policy names the collection: a holder's requests
//! are paid by the AI's account within a quota per key. A collection can be
//! soulbound, so that a key stays with the member it was issued to; its
//! keys can then only be issued and revoked, never transferred.
//!
//! Each key is one vote (`IVotes`, ERC-5805, clocked by timestamps): a
//! member votes with its keys, or delegates them (also by signature,
//! `delegateBySig`); a member that never delegated votes for itself. The
//! checkpoints let a Governor read the votes at a proposal's snapshot.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod votes_tests;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{
    aliases::{B32, U48},
    keccak256, Address, FixedBytes, B256, U256,
};
use alloy_sol_types::SolValue;
use contract_kit::{
    events::emit,
    short_string::ShortString,
    votes::{self, Votes, VotesExpiredSignature},
};
use openzeppelin_stylus::{
    token::erc721::{Erc721, IErc721},
    utils::{
        cryptography::eip712::IEip712, introspection::erc165::IErc165, precompiles::Precompiles,
    },
};
use stylus_sdk::{
    abi::Bytes,
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256},
};

pub use errors::*;

/// State of a key collection.
#[entrypoint]
#[storage]
pub struct KeyNft {
    erc721: Erc721,
    name: ShortString,
    symbol: ShortString,
    issuer: StorageAddress,
    minters: StorageMap<Address, StorageBool>,
    soulbound: StorageBool,
    issued: StorageU256,
    votes: Votes,
}

/// The EIP-712 domain of delegation signatures.
struct Domain;

impl IEip712 for Domain {
    const NAME: &'static str = "Compute-Fi Keys";
    const VERSION: &'static str = "1";
}

/// `keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)")`,
/// `OpenZeppelin`'s `Votes` type.
const DELEGATION_TYPEHASH: [u8; 32] = keccak_const::Keccak256::new()
    .update(b"Delegation(address delegatee,uint256 nonce,uint256 expiry)")
    .finalize();

#[public]
#[implements(IErc721<Error = Error>, IErc165)]
impl KeyNft {
    /// Names the collection, its issuer (the AI's account) and whether its
    /// keys are soulbound.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`contract_kit::short_string::InvalidString`].
    #[constructor]
    pub fn constructor(
        &mut self,
        name: B256,
        symbol: B256,
        issuer: Address,
        soulbound: bool,
    ) -> Result<(), Error> {
        if issuer.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.name.set(name)?;
        self.symbol.set(symbol)?;
        self.issuer.set(issuer);
        self.soulbound.set(soulbound);
        Ok(())
    }

    /// The collection's name.
    pub fn name(&self) -> String {
        self.name.get()
    }

    /// The collection's symbol.
    pub fn symbol(&self) -> String {
        self.symbol.get()
    }

    /// The issuer: the AI's account.
    pub fn issuer(&self) -> Address {
        self.issuer.get()
    }

    /// Whether keys stay with the member they were issued to.
    pub fn soulbound(&self) -> bool {
        self.soulbound.get()
    }

    /// Whether `account` may issue and revoke keys.
    pub fn is_minter(&self, account: Address) -> bool {
        account == self.issuer.get() || self.minters.get(account)
    }

    /// Keys issued so far (revoked ones included); the last id.
    pub fn issued(&self) -> U256 {
        self.issued.get()
    }

    /// The issuer appoints or dismisses a minter.
    ///
    /// # Errors
    /// [`NotIssuer`], [`ZeroAddress`].
    pub fn set_minter(&mut self, minter: Address, allowed: bool) -> Result<(), Error> {
        self.only_issuer()?;
        if minter.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.minters.setter(minter).set(allowed);
        emit(MinterSet { minter, allowed });
        Ok(())
    }

    /// The issuer hands the collection to another issuer (a new account).
    ///
    /// # Errors
    /// [`NotIssuer`], [`ZeroAddress`].
    pub fn transfer_issuer(&mut self, issuer: Address) -> Result<(), Error> {
        let previous = self.only_issuer()?;
        if issuer.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.issuer.set(issuer);
        emit(IssuerTransferred { previousIssuer: previous, newIssuer: issuer });
        Ok(())
    }

    /// Issues the next key to `to` and returns its id (from 1).
    ///
    /// # Errors
    /// [`NotMinter`], and the ERC-721 errors of minting (zero receiver).
    pub fn issue(&mut self, to: Address) -> Result<U256, Error> {
        self.only_minter()?;
        let id = self.issued.get() + U256::from(1);
        self.issued.set(id);
        self.votes.transfer_units(Address::ZERO, to, U256::from(1), block::timestamp())?;
        self.erc721._mint(to, id)?;
        Ok(id)
    }

    /// Revokes key `token_id`, wherever it is.
    ///
    /// # Errors
    /// [`NotMinter`], `ERC721NonexistentToken`.
    pub fn revoke(&mut self, token_id: U256) -> Result<(), Error> {
        self.only_minter()?;
        let holder = self.erc721.owner_of(token_id)?;
        self.votes.transfer_units(holder, Address::ZERO, U256::from(1), block::timestamp())?;
        Ok(self.erc721._burn(token_id)?)
    }

    /// ERC-6372: the clock votes are checkpointed by (unix seconds).
    pub fn clock(&self) -> U48 {
        votes::clock(block::timestamp())
    }

    /// ERC-6372: `mode=timestamp`.
    #[selector(name = "CLOCK_MODE")]
    pub fn clock_mode(&self) -> String {
        votes::CLOCK_MODE.into()
    }

    /// The votes of `account` now.
    pub fn get_votes(&self, account: Address) -> U256 {
        self.votes.get_votes(account)
    }

    /// The votes of `account` at the end of second `timepoint` (past).
    ///
    /// # Errors
    /// [`votes::ERC5805FutureLookup`] unless `timepoint` is past.
    pub fn get_past_votes(&self, account: Address, timepoint: U256) -> Result<U256, Error> {
        Ok(self.votes.get_past_votes(account, timepoint, block::timestamp())?)
    }

    /// The keys that existed at the end of second `timepoint` (past).
    ///
    /// # Errors
    /// [`votes::ERC5805FutureLookup`] unless `timepoint` is past.
    pub fn get_past_total_supply(&self, timepoint: U256) -> Result<U256, Error> {
        Ok(self.votes.get_past_total_supply(timepoint, block::timestamp())?)
    }

    /// Whom `account`'s keys vote for (itself unless it delegated).
    pub fn delegates(&self, account: Address) -> Address {
        self.votes.delegates(account)
    }

    /// The caller's keys vote for `delegatee` (zero or itself: itself).
    ///
    /// # Errors
    /// [`votes::CheckpointUnorderedInsertion`] if the clock went back.
    pub fn delegate(&mut self, delegatee: Address) -> Result<(), Error> {
        let account = msg::sender();
        let units = self.erc721.balance_of(account)?;
        Ok(self.votes.delegate(account, delegatee, units, block::timestamp())?)
    }

    /// A delegation signed by the key holder (EIP-712 `Delegation` in the
    /// domain `eip712Domain()`), sent by anyone.
    ///
    /// # Errors
    /// [`VotesExpiredSignature`], [`votes::InvalidAccountNonce`] (a
    /// replay), the ECDSA errors of a bad signature.
    pub fn delegate_by_sig(
        &mut self,
        delegatee: Address,
        nonce: U256,
        expiry: U256,
        v: u8,
        r: B256,
        s: B256,
    ) -> Result<(), Error> {
        let now = block::timestamp();
        if U256::from(now) > expiry {
            return Err(
                votes::VotesError::ExpiredSignature(VotesExpiredSignature { expiry }).into()
            );
        }
        let fields = (B256::from(DELEGATION_TYPEHASH), delegatee, nonce, expiry);
        let digest = Domain.hash_typed_data_v4(keccak256(fields.abi_encode()));
        let signer = self.ec_recover(digest, v, r, s)?;
        self.votes.use_nonce(signer, nonce)?;
        let units = self.erc721.balance_of(signer)?;
        Ok(self.votes.delegate(signer, delegatee, units, now)?)
    }

    /// The nonce `owner`'s next delegation signature must carry.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.votes.nonces(owner)
    }

    /// ERC-5267: the EIP-712 domain of delegation signatures.
    ///
    /// Returns: fields, name, version, chainId, verifyingContract, salt, extensions
    #[selector(name = "eip712Domain")]
    #[allow(clippy::type_complexity, reason = "the ABI's tuple")]
    pub fn eip712_domain(
        &self,
    ) -> (FixedBytes<1>, String, String, U256, Address, FixedBytes<32>, Vec<U256>) {
        let (fields, name, version, chain, contract, salt, extensions) = Domain.eip712_domain();
        (fields.into(), name, version, chain, contract, salt.into(), extensions)
    }
}

impl KeyNft {
    /// Returns the caller if it is the issuer.
    fn only_issuer(&self) -> Result<Address, Error> {
        let caller = msg::sender();
        if caller == self.issuer.get() {
            Ok(caller)
        } else {
            Err(NotIssuer { caller }.into())
        }
    }

    fn only_minter(&self) -> Result<(), Error> {
        let caller = msg::sender();
        if self.is_minter(caller) {
            Ok(())
        } else {
            Err(NotMinter { caller }.into())
        }
    }

    /// Moves key `token_id`'s vote from `from` to `to` before the key
    /// moves (so that a receiver's hook sees the votes already moved; a
    /// transfer that then fails reverts both). Refuses to move a key of a
    /// soulbound collection.
    fn move_vote(&mut self, from: Address, to: Address, token_id: U256) -> Result<(), Error> {
        if self.soulbound.get() {
            return Err(Soulbound { tokenId: token_id }.into());
        }
        // The key's holder, not `from`: a transfer from a non-holder fails
        // in the ERC-721 below, and must not have moved a vote meanwhile.
        let holder = self.erc721.owner_of(token_id)?;
        if holder != from || to.is_zero() {
            return Ok(());
        }
        Ok(self.votes.transfer_units(from, to, U256::from(1), block::timestamp())?)
    }
}

#[public]
impl IErc721 for KeyNft {
    type Error = Error;

    fn balance_of(&self, owner: Address) -> Result<U256, Self::Error> {
        Ok(self.erc721.balance_of(owner)?)
    }

    fn owner_of(&self, token_id: U256) -> Result<Address, Self::Error> {
        Ok(self.erc721.owner_of(token_id)?)
    }

    fn safe_transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Self::Error> {
        self.move_vote(from, to, token_id)?;
        Ok(self.erc721.safe_transfer_from(from, to, token_id)?)
    }

    #[selector(name = "safeTransferFrom")]
    fn safe_transfer_from_with_data(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<(), Self::Error> {
        self.move_vote(from, to, token_id)?;
        Ok(self.erc721.safe_transfer_from_with_data(from, to, token_id, data)?)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Self::Error> {
        self.move_vote(from, to, token_id)?;
        Ok(self.erc721.transfer_from(from, to, token_id)?)
    }

    fn approve(&mut self, to: Address, token_id: U256) -> Result<(), Self::Error> {
        Ok(self.erc721.approve(to, token_id)?)
    }

    fn set_approval_for_all(
        &mut self,
        operator: Address,
        approved: bool,
    ) -> Result<(), Self::Error> {
        Ok(self.erc721.set_approval_for_all(operator, approved)?)
    }

    fn get_approved(&self, token_id: U256) -> Result<Address, Self::Error> {
        Ok(self.erc721.get_approved(token_id)?)
    }

    fn is_approved_for_all(&self, owner: Address, operator: Address) -> bool {
        self.erc721.is_approved_for_all(owner, operator)
    }
}

#[public]
impl IErc165 for KeyNft {
    fn supports_interface(&self, interface_id: B32) -> bool {
        self.erc721.supports_interface(interface_id)
    }
}
