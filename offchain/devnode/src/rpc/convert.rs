//! Stored blocks to their JSON-RPC form.

use crate::chain::{Chain, StoredBlock};
use alloy_primitives::U256;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header};

/// The RPC block for `block`, with full transactions or only their hashes.
pub(super) fn rpc_block(chain: &Chain, block: &StoredBlock, full: bool) -> Block {
    let transactions = if full {
        let txs = block.transactions.iter().filter_map(|hash| chain.transaction(*hash));
        BlockTransactions::Full(txs.cloned().collect())
    } else {
        BlockTransactions::Hashes(block.transactions.clone())
    };
    Block {
        header: Header {
            hash: block.hash,
            inner: block.header.clone(),
            // Post-merge blocks report zero; some clients still read it.
            total_difficulty: Some(U256::ZERO),
            size: None,
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: Some(Vec::new().into()),
    }
}
