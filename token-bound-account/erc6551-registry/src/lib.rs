//! The ERC-6551 registry as a Stylus program, for chains and local nodes
//! that lack the canonical one at `0x000000006551c19487814612e58FE06813775758`.
//!
//! It has the canonical registry's interface and behaviour: the same
//! account addresses for the same registry address (CREATE2 from the
//! registry with the caller's salt over the standard's ERC-1167 proxy with
//! its constant-data footer), `createAccount` returns an existing account
//! without deploying again or emitting, and a failed CREATE2 reverts with
//! `AccountCreationFailed()`. It is permissionless and has no storage, no
//! owner and no upgrade path, as the standard requires of a registry.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions are deprecated in favour of `self.vm()`, but
// motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;

use alloc::{vec, vec::Vec};

use alloy_primitives::{keccak256, Address, B256, U256};
use contract_kit::events::emit;
use erc6551::BoundToken;
use stylus_sdk::{contract, deploy::RawDeploy, prelude::*, types::AddressVM};

pub use errors::*;

/// The registry. It keeps no state: an account's existence is its code.
#[entrypoint]
#[storage]
pub struct Erc6551Registry {}

#[public]
impl Erc6551Registry {
    /// Creates the token-bound account of (`chain_id`, `token_contract`,
    /// `token_id`) that delegates to `implementation`, and returns its
    /// address. An account that already exists is returned as it is,
    /// without CREATE2 and without an event.
    ///
    /// # Errors
    /// [`AccountCreationFailed`] when CREATE2 fails.
    pub fn create_account(
        &mut self,
        implementation: Address,
        salt: B256,
        chain_id: U256,
        token_contract: Address,
        token_id: U256,
    ) -> Result<Address, AccountCreationFailed> {
        let token = BoundToken { chain_id, token_contract, token_id };
        let code = erc6551::init_code(implementation, salt, &token);
        let account =
            erc6551::create2_address(contract::address(), salt, keccak256(code.as_slice()));
        // The code hash, not the code size, tells (motsu models only it).
        if account.has_code() {
            return Ok(account);
        }
        // SAFETY: the init code is the fixed ERC-1167 constructor, which
        // makes no call, and the registry has no storage to alias.
        let deployed = unsafe { RawDeploy::new().salt(salt).deploy(&code, U256::ZERO) }
            .map_err(|_: Vec<u8>| AccountCreationFailed {})?;
        // CREATE2 returns zero when the address is taken by something that
        // is not code (a nonce or a balance-only collision never is, but
        // the standard makes every failure an `AccountCreationFailed`).
        if deployed != account {
            return Err(AccountCreationFailed {});
        }
        emit(ERC6551AccountCreated {
            account,
            implementation,
            salt,
            chainId: chain_id,
            tokenContract: token_contract,
            tokenId: token_id,
        });
        Ok(account)
    }

    /// The address of the token-bound account of (`chain_id`,
    /// `token_contract`, `token_id`) with `implementation` and `salt`,
    /// whether or not it has been created.
    pub fn account(
        &self,
        implementation: Address,
        salt: B256,
        chain_id: U256,
        token_contract: Address,
        token_id: U256,
    ) -> Address {
        let token = BoundToken { chain_id, token_contract, token_id };
        erc6551::account_address(contract::address(), implementation, salt, &token)
    }
}

#[cfg(test)]
mod tests;
