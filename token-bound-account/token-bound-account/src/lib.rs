//! An ERC-6551 token-bound account as a Stylus program.
//!
//! Deploy it once and point the registry's proxies at it: every call to an
//! account reaches this code by delegatecall from the account's ERC-1167
//! proxy, so storage, balance and `address(this)` are the account's, and the
//! bound token is read from the proxy's own bytecode footer. Behaviour
//! follows ERC-6551 and the Tokenbound V3 account where it matters to
//! clients (interfaces, `execute`, `state`, `lock`, receiver hooks):
//!
//! - **Control**: the holder of the bound token (`ownerOf` on the token
//!   contract, only when the token lives on this chain) may `execute` CALLs
//!   (operation 0; DELEGATECALL and CREATE are refused, so no call can
//!   rewrite the account's storage) one at a time or in a batch.
//! - **State**: `state()` grows by one on every execution and lock, so a
//!   marketplace order that names it is void once the account changed.
//! - **Lock**: `lock(until)` (at most one year ahead) stops executions and
//!   signatures until then, so a seller cannot drain the account between
//!   listing its token and the sale.
//! - **Signatures**: ERC-1271 for an EOA holder (ecrecover, low `s` only)
//!   or a contract holder (forwarded), over a digest that names this
//!   account and chain (see [`signature`]): no replay across accounts or
//!   chains.
//! - **Cycles**: the ERC-721 and ERC-1155 receiver hooks refuse any token
//!   of the account's ancestry (see [`ownership`]).
//! - **Executor**: the holder may name one executor contract (the shared
//!   agent-permissions contract) with `setExecutor`; it may call `execute`
//!   (not `executeBatch`, `lock` or `setExecutor`) for as long as the holder
//!   who named it still holds the token: a transfer of the token voids it.
//!
//! The account accepts reentrant calls (a program normally refuses them):
//! an account that executes a purchase must be able to receive the bought
//! NFT through its hook, and one that unwraps WETH must receive the ETH,
//! while it is still executing. Every state change happens before the
//! account's outgoing call and nothing is read from storage after it.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The free host functions are deprecated in favour of `self.vm()`, but
// motsu 0.10 only intercepts the free functions.
#![allow(deprecated)]
extern crate alloc;

mod errors;
pub mod ownership;
pub mod rules;
pub mod signature;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::B32, Address, B256, U256};
use contract_kit::{calls, events::emit};
use erc6551::BoundToken;
use stylus_sdk::{
    abi::Bytes,
    block,
    call::RawCall,
    contract, msg,
    prelude::*,
    storage::{StorageAddress, StorageU256, StorageU64},
};

pub use errors::*;

/// One operation of [`TokenBoundAccount::execute_batch`]: target, value,
/// calldata and operation (Tokenbound V3's `Operation` struct).
pub type Operation = (Address, U256, Bytes, u8);

/// State of one account (in the account proxy's storage).
#[storage]
pub struct TokenBoundAccount {
    state: StorageU256,
    locked_until: StorageU64,
    executor: StorageAddress,
    executor_owner: StorageAddress,
    /// The token's ownership epoch when the executor was named.
    executor_epoch: StorageU64,
}

// SAFETY: the account is the top-level storage of its program (the
// entrypoint below routes to it), as `#[entrypoint]` would declare.
unsafe impl TopLevelStorage for TokenBoundAccount {}

// The router decodes every argument into an owned value; views that only
// read one still take it by value.
#[allow(clippy::needless_pass_by_value)]
#[public]
impl TokenBoundAccount {
    /// Receives ETH from anyone.
    ///
    /// # Errors
    /// None: every payment is accepted.
    #[receive]
    pub fn receive(&mut self) -> Result<(), Vec<u8>> {
        Ok(())
    }

    /// The bound token: chain id, token contract and token id, read from the
    /// account proxy's bytecode footer; all zero when called on code that
    /// is not an ERC-6551 account proxy (the implementation itself).
    ///
    /// Returns: chainId, tokenContract, tokenId
    pub fn token(&self) -> (U256, Address, U256) {
        let t = bound_token().unwrap_or_default();
        (t.chain_id, t.token_contract, t.token_id)
    }

    /// A counter that changes whenever the account executes or locks.
    pub fn state(&self) -> U256 {
        self.state.get()
    }

    /// The holder of the bound token, or zero when it lives on another chain
    /// or cannot be read.
    pub fn owner(&self) -> Address {
        bound_token().map_or(Address::ZERO, |t| ownership::owner_of(&t, block::chainid()))
    }

    /// `0x523e3260` when `signer` may act for the account (the holder,
    /// while the account is not locked), else zero. `context` is unused.
    pub fn is_valid_signer(&self, signer: Address, context: Bytes) -> B32 {
        let _ = context;
        if !self.is_locked() && !signer.is_zero() && signer == self.owner() {
            B32::from(erc6551::VALID_SIGNER_MAGIC)
        } else {
            B32::ZERO
        }
    }

    /// ERC-1271: `0x1626ba7e` when the holder signed
    /// [`Self::replay_safe_hash`]`(hash)` (an EOA by ECDSA, a contract by
    /// its own ERC-1271) and the account is not locked; else `0xffffffff`.
    pub fn is_valid_signature(&self, hash: B256, signature: Bytes) -> B32 {
        let owner = self.owner();
        if self.is_locked() || owner.is_zero() {
            return B32::repeat_byte(0xff);
        }
        let digest = self.replay_safe_hash(hash);
        let valid = signature::recover(digest, &signature) == Some(owner)
            || ownership::contract_accepts(owner, digest, &signature);
        if valid {
            B32::from(signature::ERC1271_MAGIC)
        } else {
            B32::repeat_byte(0xff)
        }
    }

    /// The EIP-712 digest the holder signs to approve `hash` for this
    /// account on this chain (see [`signature`]).
    pub fn replay_safe_hash(&self, hash: B256) -> B256 {
        signature::replay_safe_hash(hash, block::chainid(), contract::address())
    }

    /// Calls `to` with `value` wei and `data` for the holder and returns the
    /// call's return data; its revert data is passed on unchanged.
    ///
    /// # Errors
    /// [`InvalidOperation`] unless `operation` is 0 (CALL),
    /// [`NotAuthorized`] for anyone but the holder, [`Locked`] while locked,
    /// or the call's own revert data.
    #[payable]
    pub fn execute(
        &mut self,
        to: Address,
        value: U256,
        data: Bytes,
        operation: u8,
    ) -> Result<Bytes, Error> {
        rules::check_operation(operation)?;
        self.authorize(true)?;
        let state = self.bump_state();
        call(to, value, &data, state)
    }

    /// Runs `operations` in order for the holder, all or nothing, and
    /// returns each one's return data. The checks of [`Self::execute`]
    /// apply to every operation before any runs; `state` grows by one.
    ///
    /// # Errors
    /// As [`Self::execute`].
    #[payable]
    pub fn execute_batch(&mut self, operations: Vec<Operation>) -> Result<Vec<Bytes>, Error> {
        for (_, _, _, operation) in &operations {
            rules::check_operation(*operation)?;
        }
        self.authorize(false)?;
        let state = self.bump_state();
        operations.iter().map(|(to, value, data, _)| call(*to, *value, data, state)).collect()
    }

    /// Locks the account until the timestamp `until` (at most one year
    /// ahead): no execution and no valid signature before then. A lock
    /// cannot be shortened or lifted: while locked, this call is refused too.
    ///
    /// # Errors
    /// [`NotAuthorized`], [`Locked`], [`LockTooLong`].
    pub fn lock(&mut self, until: U256) -> Result<(), Error> {
        self.authorize(false)?;
        let until = rules::lock_until(block::timestamp(), until)?;
        self.locked_until.set(alloy_primitives::U64::from(until));
        self.bump_state();
        emit(LockUpdated { until: U256::from(until) });
        Ok(())
    }

    /// Names the contract that may call [`Self::execute`] besides the
    /// holder (zero: none), valid while the caller holds the token and the
    /// token has not changed hands since (its collection's
    /// `ownershipEpoch`): a former holder's executor never comes back with
    /// the token (review H-2). `state` grows by one.
    ///
    /// # Errors
    /// [`NotAuthorized`], [`Locked`].
    pub fn set_executor(&mut self, executor: Address) -> Result<(), Error> {
        self.authorize(false)?;
        self.executor.set(executor);
        self.executor_owner.set(msg::sender());
        self.executor_epoch.set(alloy_primitives::U64::from(ownership_epoch()));
        self.bump_state();
        Ok(())
    }

    /// The executor named by the current holder in its current period of
    /// ownership (zero: none).
    pub fn executor(&self) -> Address {
        if self.executor_current() {
            self.executor.get()
        } else {
            Address::ZERO
        }
    }

    /// Whether the account is locked now.
    pub fn is_locked(&self) -> bool {
        rules::is_locked(block::timestamp(), self.locked_until.get().to())
    }

    /// The end of the current or last lock (zero: never locked).
    pub fn locked_until(&self) -> U256 {
        U256::from(self.locked_until.get())
    }

    /// ERC-721 receiver hook: accepts any token but one of the account's
    /// ancestry.
    ///
    /// # Errors
    /// [`OwnershipCycle`].
    #[selector(name = "onERC721Received")]
    pub fn on_erc721_received(
        &mut self,
        operator: Address,
        from: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<B32, Error> {
        let _ = (operator, from, data);
        check_cycle(msg::sender(), &[token_id])?;
        Ok(B32::new([0x15, 0x0b, 0x7a, 0x02]))
    }

    /// ERC-1155 receiver hook: as [`Self::on_erc721_received`].
    ///
    /// # Errors
    /// [`OwnershipCycle`].
    #[selector(name = "onERC1155Received")]
    pub fn on_erc1155_received(
        &mut self,
        operator: Address,
        from: Address,
        id: U256,
        value: U256,
        data: Bytes,
    ) -> Result<B32, Error> {
        let _ = (operator, from, value, data);
        check_cycle(msg::sender(), &[id])?;
        Ok(B32::new([0xf2, 0x3a, 0x6e, 0x61]))
    }

    /// ERC-1155 batch receiver hook: refuses the batch if any id is one of
    /// the account's ancestry.
    ///
    /// # Errors
    /// [`OwnershipCycle`].
    #[selector(name = "onERC1155BatchReceived")]
    pub fn on_erc1155_batch_received(
        &mut self,
        operator: Address,
        from: Address,
        ids: Vec<U256>,
        values: Vec<U256>,
        data: Bytes,
    ) -> Result<B32, Error> {
        let _ = (operator, from, values, data);
        check_cycle(msg::sender(), &ids)?;
        Ok(B32::new([0xbc, 0x19, 0x7c, 0x81]))
    }

    /// ERC-165: ERC-165, `IERC6551Account`, `IERC6551Executable`,
    /// ERC-1271, `IERC721Receiver` and `IERC1155Receiver`.
    pub fn supports_interface(&self, interface_id: B32) -> bool {
        rules::SUPPORTED_INTERFACES.contains(&interface_id.0)
    }
}

impl TokenBoundAccount {
    /// Lets only the holder (or, when `executor` is set, the executor the
    /// holder named) through, and only while unlocked.
    fn authorize(&self, executor: bool) -> Result<(), Error> {
        let caller = msg::sender();
        let owner = self.owner();
        let named = executor && caller == self.executor.get() && self.executor_current();
        if !named && (owner.is_zero() || caller != owner) {
            return Err(NotAuthorized { caller }.into());
        }
        let until = self.locked_until.get().to();
        if rules::is_locked(block::timestamp(), until) {
            return Err(Locked { until: U256::from(until) }.into());
        }
        Ok(())
    }

    /// Whether the executor was named by the current holder, since the
    /// token last changed hands.
    fn executor_current(&self) -> bool {
        let owner = self.owner();
        !owner.is_zero()
            && self.executor_owner.get() == owner
            && self.executor_epoch.get().to::<u64>() == ownership_epoch()
    }

    /// Adds one to `state` and returns the new value.
    fn bump_state(&mut self) -> U256 {
        let state = self.state.get() + U256::from(1);
        self.state.set(state);
        state
    }
}

/// Makes one call for the account. The storage cache is written out and
/// dropped first: the callee may re-enter the account, and nothing cached
/// may outlive the call.
fn call(to: Address, value: U256, data: &[u8], state: U256) -> Result<Bytes, Error> {
    // SAFETY: the cache is flushed and cleared, and the caller reads no
    // storage after the call.
    let reply = unsafe { RawCall::new_with_value(value).clear_storage_cache().call(to, data) }
        .map_err(Error::CallReverted)?;
    emit(Executed { to, value, state });
    Ok(reply.into())
}

/// Refuses tokens `ids` of `token_contract` when one of them is in the
/// account's ancestry.
fn check_cycle(token_contract: Address, ids: &[U256]) -> Result<(), Error> {
    let Some(own) = bound_token() else { return Ok(()) };
    let ancestry = ownership::ancestry(own, contract::address(), block::chainid());
    match ids.iter().find(|id| ownership::closes_cycle(&ancestry, token_contract, **id)) {
        Some(id) => Err(OwnershipCycle { tokenContract: token_contract, tokenId: *id }.into()),
        None => Ok(()),
    }
}

/// The token this account is bound to, from the footer of the code at the
/// running address (the account proxy, under its delegatecall).
/// The bound token's ownership epoch (zero for a collection that keeps
/// none, or no token).
fn ownership_epoch() -> u64 {
    bound_token().map_or(0, |t| calls::ownership_epoch(t.token_contract, t.token_id))
}

fn bound_token() -> Option<BoundToken> {
    erc6551::parse_footer(&running_code())
}

/// The code at the running address.
#[cfg(not(test))]
fn running_code() -> Vec<u8> {
    use stylus_sdk::types::AddressVM;
    contract::address().code()
}

/// In unit tests motsu has no account code; the tests give each account
/// the exact bytes the registry deploys (see `tests::set_code`). The real
/// path is tested through the registry's proxy on the devnode.
#[cfg(test)]
fn running_code() -> Vec<u8> {
    tests::code_of(contract::address())
}

/// Prints the Solidity interface (`--features export-abi`).
#[cfg(feature = "export-abi")]
pub fn print_from_args() {
    stylus_sdk::abi::export::print_from_args::<TokenBoundAccount>();
}

/// The program's entrypoint, written out instead of `#[entrypoint]` so
/// that reentrant calls are allowed (see the crate docs) without the SDK's
/// `reentrant` feature, which would change the call API of every contract
/// built together with this one.
#[cfg(all(target_arch = "wasm32", not(feature = "export-abi")))]
#[no_mangle]
pub extern "C" fn user_entrypoint(len: usize) -> usize {
    use stylus_sdk::host::{WasmVM, VM};
    let host = VM(WasmVM {});
    // Keeps `pay_for_memory_grow` imported, as activation requires.
    host.pay_for_memory_grow(0);
    let input = host.read_args(len);
    let (data, status) = match stylus_sdk::abi::router_entrypoint::<
        TokenBoundAccount,
        TokenBoundAccount,
    >(input, host.clone())
    {
        Ok(data) => (data, 0),
        Err(data) => (data, 1),
    };
    host.flush_cache(false);
    host.write_result(&data);
    status
}

#[cfg(test)]
mod tests;
