//! Calls from one contract to another.
//!
//! The interfaces are plain `sol!` declarations; every call goes through the
//! two functions below and every reply is read as one ABI word. One shared
//! path instead of one generated caller per function keeps each contract
//! several kilobytes smaller (the 24 KB compressed limit is tight), and the
//! replies are checked as strictly as the generated decoders would.
#![allow(missing_docs, clippy::pub_underscore_fields)]

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::call::RawCall;

sol! {
    /// The ERC-20 calls made on the underlying asset.
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function decimals() external view returns (uint8);
    }

    /// The ERC-4626 calls the vault makes on its yield source.
    interface IERC4626 {
        function asset() external view returns (address);
        function balanceOf(address account) external view returns (uint256);
        function previewRedeem(uint256 shares) external view returns (uint256);
        function convertToShares(uint256 assets) external view returns (uint256);
        function deposit(uint256 assets, address receiver) external returns (uint256);
        function withdraw(uint256 assets, address receiver, address owner) external returns (uint256);
        function redeem(uint256 shares, address receiver, address owner) external returns (uint256);
    }

    /// The calls a registered vault or an authorised spender (the oracle
    /// bridge) makes on the credit ledger.
    interface ICreditLedger {
        function asset() external view returns (address);
        function depositYield(uint256 amount) external returns (uint256);
        function mintCredits(address to, uint256 amount) external;
        function escrow(address payer, uint256 amount) external returns (uint64);
        function release(uint64 id, address payee, uint256 amount) external;
        function close(uint64 id) external returns (uint256);
        function settle(uint64 id, address payee, uint256 cost) external returns (uint256);
    }

    /// The calls the oracle bridge makes on the inference registry (models
    /// and bonded providers): `lock` reserves collateral for a lease (false:
    /// the provider may not take it), `unlock` ends the lease with one of
    /// [`crate::market::outcome`] and returns what it took.
    interface IInferenceRegistry {
        function asset() external view returns (address);
        function quote(uint32 model, uint32 inputTokens, uint32 maxOutputTokens) external view returns (uint256 priceIn, uint256 priceOut, uint8 redundancy, uint256 escrow);
        function unbondDelay() external view returns (uint64);
        function arbiter() external view returns (address);
        function lock(address provider, uint32 model, uint256 cost) external returns (bool);
        function unlock(address provider, uint256 cost, uint8 outcome, uint64 id) external returns (uint256);
    }

    /// The calls the oracle bridge makes on the inference access contract
    /// (who may charge a payer). `verdict` is one of
    /// [`crate::calls::verdict`]; `left` is the quota left when it is
    /// `QUOTA_EXCEEDED`; `record` (zero when no quota was charged) and
    /// `period` name the booking to give back to.
    interface IInferenceAccess {
        function authorize(address caller, address payer, uint32 model, address collection, uint256 token, uint256 amount) external returns (uint8 verdict, uint256 left, bytes32 record, uint64 period);
        function giveBack(bytes32 record, uint64 period, uint256 amount) external;
    }

    /// The ERC-721 call an access policy makes on a key collection.
    interface IERC721 {
        function ownerOf(uint256 tokenId) external view returns (address);
    }

    /// How many times token `tokenId` changed hands (the AI NFT keeps it):
    /// rights granted under one holder end when it changes, even if the
    /// token comes back to the same address (review H-2).
    interface IOwnershipEpoch {
        function ownershipEpoch(uint256 tokenId) external view returns (uint64);
    }

    /// The ERC-6551 registry call the AI NFT makes when it mints an AI.
    interface IERC6551Registry {
        function createAccount(address implementation, bytes32 salt, uint256 chainId, address tokenContract, uint256 tokenId) external returns (address);
    }
}

/// What `IInferenceAccess::authorize` says of a request.
pub mod verdict {
    /// The caller may charge the payer (and any quota was booked).
    pub const ALLOWED: u8 = 0;
    /// Not the payer, not approved, not a sponsored key holder.
    pub const NOT_AUTHORIZED: u8 = 1;
    /// The policy does not allow the model.
    pub const MODEL_NOT_ALLOWED: u8 = 2;
    /// The key's quota for this period is too small.
    pub const QUOTA_EXCEEDED: u8 = 3;
}

/// A call reverted, or its reply was not what the interface promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallFailed;

/// Sends a state-changing call and returns the reply. The caller's storage
/// cache is flushed first, so that the callee (and any reentrant call, which
/// the contracts' guards refuse) sees the caller's current state.
///
/// # Errors
/// [`CallFailed`] if the call reverts.
#[inline]
pub fn send<C: SolCall>(target: Address, call: &C) -> Result<Vec<u8>, CallFailed> {
    send_data(target, &call.abi_encode())
}

/// [`send`] with the calldata encoded: one copy of the call itself for
/// every call type (each generic copy of it cost a contract ~100 bytes).
#[inline(never)]
fn send_data(target: Address, data: &[u8]) -> Result<Vec<u8>, CallFailed> {
    // SAFETY: the storage cache is flushed before the call and the contracts
    // refuse reentrant calls, so no cached value can go stale during it.
    unsafe { RawCall::new().flush_storage_cache().call(target, data) }.map_err(|_| CallFailed)
}

/// Sends a read-only (static) call and returns the reply.
///
/// # Errors
/// [`CallFailed`] if the call reverts.
#[inline]
pub fn view<C: SolCall>(target: Address, call: &C) -> Result<Vec<u8>, CallFailed> {
    view_data(target, &call.abi_encode())
}

/// [`view`] with the calldata encoded (see [`send_data`]).
#[inline(never)]
fn view_data(target: Address, data: &[u8]) -> Result<Vec<u8>, CallFailed> {
    // SAFETY: a static call cannot change any state.
    unsafe { RawCall::new_static().flush_storage_cache().call(target, data) }
        .map_err(|_| CallFailed)
}

/// The first word of a reply as a `uint256`.
///
/// # Errors
/// [`CallFailed`] if the reply is shorter than one word.
pub fn uint(reply: &[u8]) -> Result<U256, CallFailed> {
    word(reply, 0)
}

/// Word `index` of a reply (a static tuple's field) as a `uint256`. A reply
/// of static fields is read this way instead of through the generated
/// decoder, which costs hundreds of bytes per return type; the caller checks
/// each field's range as the decoder would.
///
/// # Errors
/// [`CallFailed`] if the reply is too short.
pub fn word(reply: &[u8], index: usize) -> Result<U256, CallFailed> {
    let at = index * 32;
    reply.get(at..at + 32).map(U256::from_be_slice).ok_or(CallFailed)
}

/// The first word of a reply as an `address` (its upper 12 bytes zero).
///
/// # Errors
/// [`CallFailed`] if the reply is short or not an address.
pub fn address(reply: &[u8]) -> Result<Address, CallFailed> {
    let word = reply.get(..32).ok_or(CallFailed)?;
    if word[..12].iter().any(|b| *b != 0) {
        return Err(CallFailed);
    }
    Ok(Address::from_slice(&word[12..]))
}

/// Whether a reply is the `bool` `true`. Tokens that return nothing are not
/// accepted: a call to an address without code also returns nothing.
pub fn is_true(reply: &[u8]) -> bool {
    uint(reply) == Ok(U256::from(1))
}

/// `token.balanceOf(account)`.
///
/// # Errors
/// [`CallFailed`].
pub fn balance_of(token: Address, account: Address) -> Result<U256, CallFailed> {
    uint(&view(token, &IERC20::balanceOfCall { account })?)
}

/// `token.transfer(to, value)`, requiring `true`.
///
/// # Errors
/// [`CallFailed`].
pub fn transfer(token: Address, to: Address, value: U256) -> Result<(), CallFailed> {
    ok_true(&send(token, &IERC20::transferCall { to, value })?)
}

/// `token.transferFrom(from, to, value)`, requiring `true`.
///
/// # Errors
/// [`CallFailed`].
pub fn transfer_from(
    token: Address,
    from: Address,
    to: Address,
    value: U256,
) -> Result<(), CallFailed> {
    ok_true(&send(token, &IERC20::transferFromCall { from, to, value })?)
}

/// `token.approve(spender, value)`, requiring `true`.
///
/// # Errors
/// [`CallFailed`].
pub fn approve(token: Address, spender: Address, value: U256) -> Result<(), CallFailed> {
    ok_true(&send(token, &IERC20::approveCall { spender, value })?)
}

/// `collection.ownershipEpoch(token_id)`, or zero for a collection that
/// does not keep one (rights on its accounts then end only with a change of
/// holder address, or a reset by the holder).
pub fn ownership_epoch(collection: Address, token_id: U256) -> u64 {
    view(collection, &IOwnershipEpoch::ownershipEpochCall { tokenId: token_id })
        .and_then(|reply| uint(&reply))
        .ok()
        .and_then(|epoch| u64::try_from(epoch).ok())
        .unwrap_or(0)
}

/// `token.decimals()`, if the token has them.
pub fn decimals(token: Address) -> Option<u8> {
    let word = uint(&view(token, &IERC20::decimalsCall {}).ok()?).ok()?;
    u8::try_from(word).ok()
}

fn ok_true(reply: &[u8]) -> Result<(), CallFailed> {
    if is_true(reply) {
        Ok(())
    } else {
        Err(CallFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(last: &[u8]) -> Vec<u8> {
        let mut w = alloc::vec![0u8; 32];
        w[32 - last.len()..].copy_from_slice(last);
        w
    }

    #[test]
    fn replies_are_read_strictly() {
        assert_eq!(uint(&word(&[7])), Ok(U256::from(7)));
        assert_eq!(uint(&[0u8; 31]), Err(CallFailed));
        assert!(is_true(&word(&[1])));
        assert!(!is_true(&word(&[2])));
        assert!(!is_true(&[]));
        let a = Address::repeat_byte(0xab);
        assert_eq!(address(&word(a.as_slice())), Ok(a));
        let mut dirty = word(a.as_slice());
        dirty[0] = 1;
        assert_eq!(address(&dirty), Err(CallFailed));
    }
}
