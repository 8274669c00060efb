//! The parts of ERC-6551 that the registry and the account must agree on,
//! as constants and pure functions: the account proxy's bytecode, the
//! CREATE2 address of an account, the footer an account reads its token
//! from, and the ERC-165 interface ids.
//!
//! Everything here follows the standard's text (ERC-6551, "Registry"):
//! each account is an ERC-1167 minimal proxy with the salt, chain id, token
//! contract and token id appended as four ABI words, deployed with CREATE2
//! from the registry with the caller's salt. Keeping it in one `no_std`
//! crate, free of any host call, lets both contracts share it and lets tests
//! check it without a chain.
#![cfg_attr(not(test), no_std)]

use alloy_primitives::{keccak256, Address, B256, U256};
use keccak_const::Keccak256;

/// The ERC-1167 constructor (10 bytes: copy the 0xad-byte runtime that
/// follows and return it) and the proxy's header up to the implementation
/// address (`PUSH20`).
pub const PROXY_PREFIX: [u8; 20] = [
    0x3d, 0x60, 0xad, 0x80, 0x60, 0x0a, 0x3d, 0x39, 0x81, 0xf3, // constructor
    0x36, 0x3d, 0x3d, 0x37, 0x3d, 0x3d, 0x3d, 0x36, 0x3d, 0x73, // ERC-1167 header
];

/// The ERC-1167 footer after the implementation address: delegatecall,
/// then return or revert with the callee's data.
pub const PROXY_SUFFIX: [u8; 15] =
    [0x5a, 0xf4, 0x3d, 0x82, 0x80, 0x3e, 0x90, 0x3d, 0x91, 0x60, 0x2b, 0x57, 0xfd, 0x5b, 0xf3];

/// Length of the constructor in front of the deployed code.
pub const CONSTRUCTOR_LEN: usize = 10;
/// Length of an account's deployed code (`0xad`): header, implementation,
/// footer and the four words of constant data.
pub const RUNTIME_LEN: usize = 0xad;
/// Length of the init code the registry deploys (`0xb7`).
pub const INIT_CODE_LEN: usize = CONSTRUCTOR_LEN + RUNTIME_LEN;
/// Where the implementation address starts in the deployed code.
pub const IMPLEMENTATION_OFFSET: usize = 10;
/// Where the constant data (salt, chain id, token contract, token id)
/// starts in the deployed code.
pub const DATA_OFFSET: usize = IMPLEMENTATION_OFFSET + 20 + PROXY_SUFFIX.len();

/// ERC-165 id of `IERC6551Account` (`token`, `state`, `isValidSigner`).
pub const IERC6551_ACCOUNT_ID: [u8; 4] = [0x6f, 0xaf, 0xf5, 0xf1];
/// ERC-165 id of `IERC6551Executable` (`execute`).
pub const IERC6551_EXECUTABLE_ID: [u8; 4] = [0x51, 0x94, 0x54, 0x47];
/// The magic value `isValidSigner` returns for a valid signer (its own
/// selector).
pub const VALID_SIGNER_MAGIC: [u8; 4] = [0x52, 0x3e, 0x32, 0x60];

/// `keccak256("ERC6551AccountCreated(address,address,bytes32,uint256,address,uint256)")`.
pub const ACCOUNT_CREATED_TOPIC: [u8; 32] = Keccak256::new()
    .update(b"ERC6551AccountCreated(address,address,bytes32,uint256,address,uint256)")
    .finalize();

/// The non-fungible token an account is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoundToken {
    /// The chain the token lives on.
    pub chain_id: U256,
    /// The token's contract.
    pub token_contract: Address,
    /// The token's id.
    pub token_id: U256,
}

/// The init code the registry deploys for one account: the ERC-1167
/// constructor and proxy pointing at `implementation`, then `salt`,
/// `chain_id`, `token_contract` and `token_id` as 32-byte words.
pub fn init_code(implementation: Address, salt: B256, token: &BoundToken) -> [u8; INIT_CODE_LEN] {
    let mut code = [0u8; INIT_CODE_LEN];
    code[..20].copy_from_slice(&PROXY_PREFIX);
    code[20..40].copy_from_slice(implementation.as_slice());
    code[40..55].copy_from_slice(&PROXY_SUFFIX);
    code[55..87].copy_from_slice(salt.as_slice());
    code[87..119].copy_from_slice(&token.chain_id.to_be_bytes::<32>());
    // An address as an ABI word: 12 zero bytes, then the 20 address bytes.
    code[131..151].copy_from_slice(token.token_contract.as_slice());
    code[151..183].copy_from_slice(&token.token_id.to_be_bytes::<32>());
    code
}

/// The CREATE2 address: the last 20 bytes of
/// `keccak256(0xff ++ deployer ++ salt ++ init_code_hash)` (EIP-1014).
pub fn create2_address(deployer: Address, salt: B256, init_code_hash: B256) -> Address {
    let mut preimage = [0u8; 85];
    preimage[0] = 0xff;
    preimage[1..21].copy_from_slice(deployer.as_slice());
    preimage[21..53].copy_from_slice(salt.as_slice());
    preimage[53..85].copy_from_slice(init_code_hash.as_slice());
    Address::from_slice(&keccak256(preimage)[12..])
}

/// The address `registry` creates the account at for these parameters.
pub fn account_address(
    registry: Address,
    implementation: Address,
    salt: B256,
    token: &BoundToken,
) -> Address {
    create2_address(registry, salt, keccak256(init_code(implementation, salt, token)))
}

/// Reads the bound token from an account's deployed code.
///
/// Only code of exactly the standard's shape is accepted (length `0xad`,
/// ERC-1167 header and footer in place, a clean address word): anything
/// else (the implementation called directly, some other proxy) has no
/// token, so that an account never mistakes random bytes for an owner.
pub fn parse_footer(code: &[u8]) -> Option<BoundToken> {
    if code.len() != RUNTIME_LEN
        || code[..IMPLEMENTATION_OFFSET] != PROXY_PREFIX[CONSTRUCTOR_LEN..]
        || code[IMPLEMENTATION_OFFSET + 20..DATA_OFFSET] != PROXY_SUFFIX
    {
        return None;
    }
    let word = |i: usize| &code[DATA_OFFSET + 32 * i..DATA_OFFSET + 32 * (i + 1)];
    let contract_word = word(2);
    if contract_word[..12].iter().any(|b| *b != 0) {
        return None;
    }
    Some(BoundToken {
        chain_id: U256::from_be_slice(word(1)),
        token_contract: Address::from_slice(&contract_word[12..]),
        token_id: U256::from_be_slice(word(3)),
    })
}

/// The salt recorded in an account's deployed code, if it has the
/// standard's shape.
pub fn parse_salt(code: &[u8]) -> Option<B256> {
    parse_footer(code)?;
    Some(B256::from_slice(&code[DATA_OFFSET..DATA_OFFSET + 32]))
}

#[cfg(test)]
mod tests;
