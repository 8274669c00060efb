//! Usage receipts: what the session key signs, as EIP-712 typed data.
//!
//! A receipt is cumulative: `(session, seq, tokensIn, tokensOut, cost)`
//! says that up to its `seq`-th acknowledgement the session used that many
//! tokens for that many credits in all. Each new one replaces the last, so
//! nothing is stored per message and settling needs only the newest. The
//! payer's side signs with the session key (an ordinary secp256k1 key the
//! client holds, not the payer's wallet); any EIP-712 signer produces it:
//!
//! ```text
//! domain  { name: "Compute-Fi Sessions", version: "1", chainId, verifyingContract }
//! Receipt { uint64 session; uint64 seq; uint64 tokensIn; uint64 tokensOut; uint256 cost }
//! ```

use alloy_primitives::{keccak256, B256, U256};

/// The EIP-712 type of a receipt.
pub const RECEIPT_TYPE: &str =
    "Receipt(uint64 session,uint64 seq,uint64 tokensIn,uint64 tokensOut,uint256 cost)";

/// `keccak256(RECEIPT_TYPE)`.
pub const RECEIPT_TYPEHASH: [u8; 32] =
    keccak_const::Keccak256::new().update(RECEIPT_TYPE.as_bytes()).finalize();

/// The EIP-712 domain's name.
pub const DOMAIN_NAME: &str = "Compute-Fi Sessions";

/// The EIP-712 domain's version.
pub const DOMAIN_VERSION: &str = "1";

/// A usage receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The session it is for.
    pub session: u64,
    /// Its place in the session's sequence (from 1; 0 means no receipt).
    pub seq: u64,
    /// Input tokens used so far.
    pub tokens_in: u64,
    /// Output tokens used so far.
    pub tokens_out: u64,
    /// Credits owed so far.
    pub cost: U256,
}

impl Receipt {
    /// The receipt's EIP-712 `hashStruct`.
    #[must_use]
    pub fn struct_hash(&self) -> B256 {
        let mut words = [0u8; 6 * 32];
        words[..32].copy_from_slice(&RECEIPT_TYPEHASH);
        let fields = [self.session, self.seq, self.tokens_in, self.tokens_out];
        for (i, field) in fields.iter().enumerate() {
            let at = 32 * (i + 2) - 8;
            words[at..at + 8].copy_from_slice(&field.to_be_bytes());
        }
        words[160..].copy_from_slice(&self.cost.to_be_bytes::<32>());
        keccak256(words)
    }
}

/// What `tokens_in` and `tokens_out` cost at `prices` (credits per input
/// and per output token), saturating: prices are at most 96 bits and
/// token counts 64, so it never does.
#[must_use]
pub fn priced(prices: (U256, U256), tokens_in: u64, tokens_out: u64) -> U256 {
    let input = prices.0.saturating_mul(U256::from(tokens_in));
    input.saturating_add(prices.1.saturating_mul(U256::from(tokens_out)))
}

/// A 65-byte signature `r ‖ s ‖ v` as `(v, r, s)`, with `v` as 27 or 28
/// (0 and 1 are accepted for 27 and 28). `None` when it is not 65 bytes.
#[must_use]
pub fn split_signature(signature: &[u8]) -> Option<(u8, B256, B256)> {
    if signature.len() != 65 {
        return None;
    }
    let v = match signature[64] {
        v @ (0 | 1) => v + 27,
        v => v,
    };
    Some((v, B256::from_slice(&signature[..32]), B256::from_slice(&signature[32..64])))
}
