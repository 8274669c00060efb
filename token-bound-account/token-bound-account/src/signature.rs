//! Signature checks of the account (ERC-1271), made replay-safe.
//!
//! A plain ERC-1271 account that accepts any hash its owner signed lets a
//! signature meant for one account be replayed on every other account with
//! the same owner, and on the same account on another chain (for instance
//! a Permit2 permit, whose signed struct does not name the signer). So the
//! owner signs not `hash` itself but [`replay_safe_hash`]: an EIP-712
//! digest of `AccountMessage(bytes32 hash)` under a domain that names this
//! account (`verifyingContract`) and the chain (`chainId`). Wallets show it
//! as typed data; `replaySafeHash(hash)` on the account computes it. This is
//! the scheme smart wallets such as Coinbase's use; Tokenbound V3 checks the
//! raw hash and is replayable this way.

use alloc::vec::Vec;

use alloy_primitives::{address, keccak256, uint, Address, B256, U256};
use keccak_const::Keccak256;
use stylus_sdk::call::RawCall;

/// `keccak256` of the EIP-712 domain type.
const DOMAIN_TYPEHASH: [u8; 32] = Keccak256::new()
    .update(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    .finalize();
/// `keccak256` of the domain's name.
const NAME_HASH: [u8; 32] = Keccak256::new().update(b"Compute-Fi Token Bound Account").finalize();
/// `keccak256` of the domain's version.
const VERSION_HASH: [u8; 32] = Keccak256::new().update(b"1").finalize();
/// `keccak256` of the wrapped message's type.
const MESSAGE_TYPEHASH: [u8; 32] =
    Keccak256::new().update(b"AccountMessage(bytes32 hash)").finalize();

/// ERC-1271's magic value (`isValidSignature`'s selector).
pub const ERC1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// Half the order of secp256k1: signatures with a larger `s` are the
/// malleable twins of valid ones and are refused (EIP-2).
const HALF_ORDER: U256 =
    uint!(0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0_U256);

/// The ecrecover precompile.
const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");

/// The digest the owner signs for `hash` on `account` at `chain_id`.
pub fn replay_safe_hash(hash: B256, chain_id: u64, account: Address) -> B256 {
    let mut domain = [0u8; 160];
    domain[..32].copy_from_slice(&DOMAIN_TYPEHASH);
    domain[32..64].copy_from_slice(&NAME_HASH);
    domain[64..96].copy_from_slice(&VERSION_HASH);
    domain[96..128].copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    domain[140..160].copy_from_slice(account.as_slice());
    let mut message = [0u8; 64];
    message[..32].copy_from_slice(&MESSAGE_TYPEHASH);
    message[32..].copy_from_slice(hash.as_slice());
    let mut digest = [0u8; 66];
    digest[..2].copy_from_slice(&[0x19, 0x01]);
    digest[2..34].copy_from_slice(keccak256(domain).as_slice());
    digest[34..].copy_from_slice(keccak256(message).as_slice());
    keccak256(digest)
}

/// The ecrecover precompile's input for a 65-byte `r ‖ s ‖ v` signature
/// of `digest`, or `None` for a signature of another shape, a `v` other
/// than 27 or 28, a zero `r` or `s`, or a high `s`.
pub fn ecrecover_input(digest: B256, signature: &[u8]) -> Option<[u8; 128]> {
    let [rs @ .., v] = signature else { return None };
    if rs.len() != 64 || !matches!(*v, 27 | 28) {
        return None;
    }
    let (r, s) = (U256::from_be_slice(&rs[..32]), U256::from_be_slice(&rs[32..]));
    if r.is_zero() || s.is_zero() || s > HALF_ORDER {
        return None;
    }
    let mut input = [0u8; 128];
    input[..32].copy_from_slice(digest.as_slice());
    input[63] = *v;
    input[64..].copy_from_slice(rs);
    Some(input)
}

/// The address that signed `digest`, through the ecrecover precompile
/// (a static call: it cannot change state).
pub fn recover(digest: B256, signature: &[u8]) -> Option<Address> {
    let input = ecrecover_input(digest, signature)?;
    // SAFETY: a static call to a precompile; no storage is cached across it.
    let reply: Vec<u8> = unsafe { RawCall::new_static().call(ECRECOVER, &input) }.ok()?;
    contract_kit::calls::address(&reply).ok().filter(|a| !a.is_zero())
}
