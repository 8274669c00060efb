//! AI NFTs: one ERC-721 token is one community AI ("an NFT is the AI").
//!
//! Each AI's record names the model it runs (the model id in the oracle
//! bridge's inference registry), the hash and URI of its instructions (the
//! community's values and tuning: a system prompt, a tuning recipe), and its
//! key collection (the key NFTs whose holders it answers). Minting an AI
//! creates its ERC-6551 token-bound account in the same call, through the
//! registry (salt zero, this chain, this contract, the new id): the account
//! receives the community's credits and pays for its inference, and whoever
//! holds the token controls the account and the record.
//!
//! Minting is open to anyone: creating an AI is creating a community. Ids
//! are sequential from 1 and no AI is ever burnt, so an id is known exactly
//! when it is at most [`AiNft::total_minted`].
//!
//! The account's address is derived here before the registry is called
//! (CREATE2 from the registry, as the standard lays it out) and stored with
//! the rest of the record, so that every state change precedes the one
//! outgoing call; the registry must return that address or the mint reverts.
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

use alloy_primitives::{aliases::B32, Address, B256, U256, U32, U64};
use contract_kit::{
    calls::{self, IERC6551Registry},
    events::emit,
    short_string::ShortString,
};
use erc6551::BoundToken;
use openzeppelin_stylus::{
    token::erc721::{Erc721, IErc721},
    utils::introspection::erc165::IErc165,
};
use stylus_sdk::{
    abi::Bytes,
    block, contract, msg,
    prelude::*,
    storage::{
        StorageAddress, StorageB256, StorageBytes, StorageMap, StorageU256, StorageU32, StorageU64,
    },
};

pub use errors::*;

/// Longest instructions URI, in bytes (an `ipfs://` or `ar://` URI with a
/// path fits many times over; the instructions themselves live off-chain).
pub const MAX_URI_BYTES: usize = 512;

/// The salt of every AI's account: one account per AI.
pub const ACCOUNT_SALT: B256 = B256::ZERO;

/// The record of one AI.
#[storage]
pub struct Ai {
    /// The model id in the oracle bridge's inference registry.
    model: StorageU32,
    /// The key collection whose holders the AI answers (zero: none yet).
    key_collection: StorageAddress,
    /// Hash of the instructions the URI points to.
    instructions_hash: StorageB256,
    /// The AI's token-bound account.
    account: StorageAddress,
    /// Where the instructions are (UTF-8, at most [`MAX_URI_BYTES`]).
    instructions_uri: StorageBytes,
}

/// State of the AI collection.
#[entrypoint]
#[storage]
pub struct AiNft {
    erc721: Erc721,
    name: ShortString,
    symbol: ShortString,
    registry: StorageAddress,
    implementation: StorageAddress,
    minted: StorageU256,
    ais: StorageMap<U256, Ai>,
    /// Changes of holder per token (see [`AiNft::ownership_epoch`]).
    epochs: StorageMap<U256, StorageU64>,
}

// The router decodes every argument into an owned value; `mint` only reads
// the URI it is given.
#[allow(clippy::needless_pass_by_value)]
#[public]
#[implements(IErc721<Error = Error>, IErc165)]
impl AiNft {
    /// Names the collection and the ERC-6551 registry and account
    /// implementation every AI's account is created with.
    ///
    /// # Errors
    /// [`ZeroAddress`], [`contract_kit::short_string::InvalidString`].
    #[constructor]
    pub fn constructor(
        &mut self,
        name: B256,
        symbol: B256,
        registry: Address,
        implementation: Address,
    ) -> Result<(), Error> {
        if registry.is_zero() || implementation.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.name.set(name)?;
        self.symbol.set(symbol)?;
        self.registry.set(registry);
        self.implementation.set(implementation);
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

    /// The ERC-6551 registry that creates the AIs' accounts.
    pub fn registry(&self) -> Address {
        self.registry.get()
    }

    /// The account implementation the AIs' accounts delegate to.
    pub fn account_implementation(&self) -> Address {
        self.implementation.get()
    }

    /// AIs minted so far; the last id.
    pub fn total_minted(&self) -> U256 {
        self.minted.get()
    }

    /// Mints the next AI to `to` and creates its token-bound account;
    /// returns the AI's id (from 1) and its account. Anyone may mint.
    /// `key_collection` may be zero (no keys yet: the collection usually
    /// names the AI's account as its issuer, so it comes after the AI).
    ///
    /// Returns: id, account
    ///
    /// # Errors
    /// [`InvalidSize`], [`AccountCreationFailed`], and the ERC-721 errors
    /// of minting (zero receiver).
    pub fn mint(
        &mut self,
        to: Address,
        model: u32,
        instructions_hash: B256,
        instructions_uri: Bytes,
        key_collection: Address,
    ) -> Result<(U256, Address), Error> {
        check_uri(&instructions_uri)?;
        // Effects: the id, the record (the account's address included) and
        // the token, all before the registry is called.
        let id = self.minted.get() + U256::from(1);
        self.minted.set(id);
        let registry = self.registry.get();
        let implementation = self.implementation.get();
        let token = BoundToken {
            chain_id: U256::from(block::chainid()),
            token_contract: contract::address(),
            token_id: id,
        };
        let account = erc6551::account_address(registry, implementation, ACCOUNT_SALT, &token);
        let mut ai = self.ais.setter(id);
        ai.model.set(U32::from(model));
        ai.key_collection.set(key_collection);
        ai.instructions_hash.set(instructions_hash);
        ai.account.set(account);
        ai.instructions_uri.set_bytes(&*instructions_uri);
        self.erc721._mint(to, id)?;
        emit(AiMinted {
            id,
            owner: to,
            account,
            model,
            keyCollection: key_collection,
            instructionsHash: instructions_hash,
        });
        // Interaction: the registry deploys the account (or returns the one
        // that exists); a program refuses reentrant calls, so it cannot
        // call back in.
        let call = IERC6551Registry::createAccountCall {
            implementation,
            salt: ACCOUNT_SALT,
            chainId: token.chain_id,
            tokenContract: token.token_contract,
            tokenId: id,
        };
        let reply = calls::send(registry, &call).map_err(|_| AccountCreationFailed {})?;
        if calls::address(&reply) != Ok(account) {
            return Err(AccountCreationFailed {}.into());
        }
        Ok((id, account))
    }

    /// The record of AI `id`: model, instructions hash, key collection and
    /// account. The instructions URI has its own view,
    /// [`Self::instructions_uri`] (stylus-sdk 0.9 wraps a returned tuple
    /// that holds `bytes` in an extra offset, which Solidity decoders reject).
    ///
    /// Returns: model, instructionsHash, keyCollection, account
    ///
    /// # Errors
    /// [`UnknownAi`].
    pub fn ai(&self, id: U256) -> Result<(u32, B256, Address, Address), Error> {
        self.known(id)?;
        let ai = self.ais.getter(id);
        Ok((
            ai.model.get().to(),
            ai.instructions_hash.get(),
            ai.key_collection.get(),
            ai.account.get(),
        ))
    }

    /// Where the instructions of AI `id` are (UTF-8 bytes).
    ///
    /// # Errors
    /// [`UnknownAi`].
    pub fn instructions_uri(&self, id: U256) -> Result<Bytes, Error> {
        self.known(id)?;
        Ok(Bytes(self.ais.getter(id).instructions_uri.get_bytes()))
    }

    /// How many times AI `id` changed hands. Agent grants and the account's
    /// executor record it and lapse when it moves on, so rights made under
    /// one holder never come back when the token returns (review H-2).
    pub fn ownership_epoch(&self, id: U256) -> u64 {
        self.epochs.get(id).to()
    }

    /// The token-bound account of AI `id`.
    ///
    /// # Errors
    /// [`UnknownAi`].
    pub fn account_of(&self, id: U256) -> Result<Address, Error> {
        self.known(id)?;
        Ok(self.ais.getter(id).account.get())
    }

    /// The holder of AI `id` replaces its instructions (hash and URI).
    ///
    /// # Errors
    /// [`UnknownAi`], [`NotTokenOwner`], [`InvalidSize`].
    pub fn set_instructions(
        &mut self,
        id: U256,
        instructions_hash: B256,
        instructions_uri: Bytes,
    ) -> Result<(), Error> {
        self.only_holder(id)?;
        check_uri(&instructions_uri)?;
        let mut ai = self.ais.setter(id);
        ai.instructions_hash.set(instructions_hash);
        ai.instructions_uri.set_bytes(&*instructions_uri);
        emit(InstructionsSet {
            id,
            instructionsHash: instructions_hash,
            instructionsUri: instructions_uri.0.into(),
        });
        Ok(())
    }

    /// The holder of AI `id` moves it to another model of the oracle bridge.
    ///
    /// # Errors
    /// [`UnknownAi`], [`NotTokenOwner`].
    pub fn set_model(&mut self, id: U256, model: u32) -> Result<(), Error> {
        self.only_holder(id)?;
        self.ais.setter(id).model.set(U32::from(model));
        emit(ModelSet { id, model });
        Ok(())
    }

    /// The holder of AI `id` names its key collection (zero: none).
    ///
    /// # Errors
    /// [`UnknownAi`], [`NotTokenOwner`].
    pub fn set_key_collection(&mut self, id: U256, key_collection: Address) -> Result<(), Error> {
        self.only_holder(id)?;
        self.ais.setter(id).key_collection.set(key_collection);
        emit(KeyCollectionSet { id, keyCollection: key_collection });
        Ok(())
    }
}

impl AiNft {
    /// Refuses an id that was never minted.
    /// A transfer starts a new period of ownership, even back to a former
    /// holder.
    fn next_epoch(&mut self, id: U256) {
        let mut epoch = self.epochs.setter(id);
        let next = epoch.get() + U64::from(1);
        epoch.set(next);
    }

    fn known(&self, id: U256) -> Result<(), Error> {
        if id.is_zero() || id > self.minted.get() {
            Err(UnknownAi { id }.into())
        } else {
            Ok(())
        }
    }

    /// Refuses anyone but the holder of AI `id` (approved operators included).
    fn only_holder(&self, id: U256) -> Result<(), Error> {
        self.known(id)?;
        let caller = msg::sender();
        if self.erc721.owner_of(id)? == caller {
            Ok(())
        } else {
            Err(NotTokenOwner { caller, id }.into())
        }
    }
}

/// Refuses an instructions URI longer than [`MAX_URI_BYTES`].
fn check_uri(uri: &[u8]) -> Result<(), Error> {
    if uri.len() > MAX_URI_BYTES {
        Err(InvalidSize {}.into())
    } else {
        Ok(())
    }
}

#[public]
impl IErc721 for AiNft {
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
        self.erc721.safe_transfer_from(from, to, token_id)?;
        self.next_epoch(token_id);
        Ok(())
    }

    #[selector(name = "safeTransferFrom")]
    fn safe_transfer_from_with_data(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<(), Self::Error> {
        self.erc721.safe_transfer_from_with_data(from, to, token_id, data)?;
        self.next_epoch(token_id);
        Ok(())
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        token_id: U256,
    ) -> Result<(), Self::Error> {
        self.erc721.transfer_from(from, to, token_id)?;
        self.next_epoch(token_id);
        Ok(())
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
impl IErc165 for AiNft {
    fn supports_interface(&self, interface_id: B32) -> bool {
        self.erc721.supports_interface(interface_id)
    }
}
