//! Who controls an account, and the ownership-cycle check.
//!
//! An account bound to token X is controlled by X's holder. If that holder
//! is itself an account bound to token Y, the account is controlled by Y's
//! holder, and so on: the account's *ancestry* is X, Y, ... Receiving any
//! token of its own ancestry would close a loop (the account would control
//! itself) and lock everything in it for good, so the receiver hooks refuse
//! such tokens.
//!
//! The walk follows at most [`MAX_HOPS`] holders beyond X. Each hop costs
//! two static calls (`ownerOf`, `token()`), and the standard notes that a
//! complete on-chain search is unbounded; four hops cover every nesting
//! this project builds (an AI's account held by a holder contract or by
//! another account) at a bounded cost. A longer chain is accepted.
//! Transfers that skip the receiver hooks (`transferFrom` rather than
//! `safeTransferFrom`) cannot be seen by any account implementation.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::sol;
use contract_kit::calls;
use erc6551::BoundToken;
use stylus_sdk::types::AddressVM;

sol! {
    /// The call the account makes on its token contract.
    interface IERC721Owner {
        function ownerOf(uint256 tokenId) external view returns (address);
    }
    /// The call the cycle check makes on a holder that may be an account.
    interface IERC6551Token {
        function token() external view returns (uint256 chainId, address tokenContract, uint256 tokenId);
    }
    /// The call the account makes on an owner that is a contract.
    interface IERC1271 {
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4);
    }
}

/// Holders followed beyond the account's own token.
pub const MAX_HOPS: usize = 4;

/// The holder of `token`, or zero when the token lives on another chain
/// than `chain_id`, its contract has no code, or `ownerOf` fails: an
/// account whose holder cannot be known answers to nobody.
pub fn owner_of(token: &BoundToken, chain_id: u64) -> Address {
    if token.chain_id != U256::from(chain_id) || !token.token_contract.has_code() {
        return Address::ZERO;
    }
    let call = IERC721Owner::ownerOfCall { tokenId: token.token_id };
    calls::view(token.token_contract, &call)
        .and_then(|reply| calls::address(&reply))
        .unwrap_or(Address::ZERO)
}

/// The token `holder` is bound to, if it is a contract that answers
/// `token()` with three well-formed words.
pub fn token_of(holder: Address) -> Option<BoundToken> {
    if !holder.has_code() {
        return None;
    }
    let reply = calls::view(holder, &IERC6551Token::tokenCall {}).ok()?;
    let chain_id = calls::uint(&reply).ok()?;
    let token_contract = calls::address(reply.get(32..)?).ok()?;
    let token_id = calls::uint(reply.get(64..)?).ok()?;
    Some(BoundToken { chain_id, token_contract, token_id })
}

/// The account's ancestry on this chain: its own token, then the token of
/// each holder that is an account, up to [`MAX_HOPS`] hops. Tokens on other
/// chains end the walk: their holders cannot be asked from here.
pub fn ancestry(own: BoundToken, me: Address, chain_id: u64) -> Vec<BoundToken> {
    let mut chain = Vec::new();
    let mut current = own;
    for _ in 0..=MAX_HOPS {
        if current.chain_id != U256::from(chain_id) {
            break;
        }
        chain.push(current);
        let holder = owner_of(&current, chain_id);
        // A holder that is this account means a loop already exists
        // (created around the hooks); nothing further to learn.
        if holder.is_zero() || holder == me {
            break;
        }
        match token_of(holder) {
            Some(next) => current = next,
            None => break,
        }
    }
    chain
}

/// Whether receiving token `token_id` of `token_contract` would close a
/// loop through `ancestry`.
pub fn closes_cycle(ancestry: &[BoundToken], token_contract: Address, token_id: U256) -> bool {
    ancestry.iter().any(|t| t.token_contract == token_contract && t.token_id == token_id)
}

/// Whether `owner` (a contract) accepts `signature` for `digest` under
/// ERC-1271.
pub fn contract_accepts(owner: Address, digest: alloy_primitives::B256, signature: &[u8]) -> bool {
    if !owner.has_code() {
        return false;
    }
    let call =
        IERC1271::isValidSignatureCall { hash: digest, signature: signature.to_vec().into() };
    calls::view(owner, &call)
        .is_ok_and(|reply| reply.len() >= 32 && reply[..4] == crate::signature::ERC1271_MAGIC)
}
