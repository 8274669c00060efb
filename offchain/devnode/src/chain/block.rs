//! Sealed blocks as the chain stores them.

use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH, EMPTY_ROOT_HASH};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Bloom, B256};
use serde::{Deserialize, Serialize};

/// The block gas limit, the same as Arbitrum's (2^50), so large Stylus
/// deployments fit in one block.
pub const BLOCK_GAS_LIMIT: u64 = 1 << 50;

/// The base fee of every block: 0.1 gwei, Arbitrum's minimum. It stays
/// constant because a dev chain has no congestion to price.
pub const BASE_FEE: u64 = 100_000_000;

/// A mined block: its header, hash and transaction hashes in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredBlock {
    /// The consensus header; [`StoredBlock::hash`] is its RLP hash.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// The hashes of the block's transactions, in execution order.
    pub transactions: Vec<B256>,
}

impl StoredBlock {
    /// Seals `header`: computes its hash.
    pub fn seal(header: Header, transactions: Vec<B256>) -> Self {
        let hash = header.hash_slow();
        Self { header, hash, transactions }
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// The fields of a block header known before its transactions run.
#[derive(Clone, Copy, Debug)]
pub(super) struct BlockTemplate {
    /// The parent block's hash.
    pub parent_hash: B256,
    /// The new block's number.
    pub number: u64,
    /// The new block's timestamp.
    pub timestamp: u64,
}

impl BlockTemplate {
    /// A full Prague-style header for this template once the body is known.
    ///
    /// The state root is zero: the devnode keeps no state trie, and no client
    /// of a dev chain verifies it.
    pub(super) fn header(&self, body: &BodySummary) -> Header {
        Header {
            parent_hash: self.parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: Address::ZERO,
            state_root: B256::ZERO,
            transactions_root: body.transactions_root,
            receipts_root: body.receipts_root,
            logs_bloom: body.logs_bloom,
            number: self.number,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used: body.gas_used,
            timestamp: self.timestamp,
            base_fee_per_gas: Some(BASE_FEE),
            withdrawals_root: Some(EMPTY_ROOT_HASH),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(EMPTY_REQUESTS_HASH),
            ..Header::default()
        }
    }
}

/// What a header commits to about a block's body.
#[derive(Clone, Copy, Debug)]
pub(super) struct BodySummary {
    /// Root of the transactions trie.
    pub transactions_root: B256,
    /// Root of the receipts trie.
    pub receipts_root: B256,
    /// Bloom of every log in the block.
    pub logs_bloom: Bloom,
    /// Gas used by all transactions.
    pub gas_used: u64,
}

impl BodySummary {
    /// The summary of a block without transactions.
    pub(super) fn empty() -> Self {
        Self {
            transactions_root: EMPTY_ROOT_HASH,
            receipts_root: EMPTY_ROOT_HASH,
            logs_bloom: Bloom::ZERO,
            gas_used: 0,
        }
    }
}
