//! Key NFTs: ERC-721 membership keys to a community AI ("an NFT is the key
//! to the AI").
//!
//! The issuer (the AI's token-bound account) issues and revokes keys, and
//! appoints minters who may do the same (a membership desk, a sale). The
//! oracle bridge's access policy names the collection: a holder's requests
//! are paid by the AI's account within a quota per key. A collection can be
//! soulbound, so that a key stays with the member it was issued to; its
//! keys can then only be issued and revoked, never transferred.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions (`msg::sender`, `evm::log`, ...) are deprecated in
// favour of `self.vm()`, but motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
#[cfg(test)]
mod tests;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{aliases::B32, Address, B256, U256};
use contract_kit::{events::emit, short_string::ShortString};
use openzeppelin_stylus::{
    token::erc721::{Erc721, IErc721},
    utils::introspection::erc165::IErc165,
};
use stylus_sdk::{
    abi::Bytes,
    msg,
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
}

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
        self.erc721._mint(to, id)?;
        Ok(id)
    }

    /// Revokes key `token_id`, wherever it is.
    ///
    /// # Errors
    /// [`NotMinter`], `ERC721NonexistentToken`.
    pub fn revoke(&mut self, token_id: U256) -> Result<(), Error> {
        self.only_minter()?;
        Ok(self.erc721._burn(token_id)?)
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

    /// Refuses to move a key of a soulbound collection.
    fn movable(&self, token_id: U256) -> Result<(), Error> {
        if self.soulbound.get() {
            Err(Soulbound { tokenId: token_id }.into())
        } else {
            Ok(())
        }
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
        self.movable(token_id)?;
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
        self.movable(token_id)?;
        Ok(self.erc721.safe_transfer_from_with_data(from, to, token_id, data)?)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Self::Error> {
        self.movable(token_id)?;
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
