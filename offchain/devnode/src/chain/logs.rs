//! `eth_getLogs`: logs of mined transactions that match a filter.

use super::{block::StoredBlock, error::ChainError, error::ChainResult, Chain};
use alloy_eips::BlockNumberOrTag;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};

impl Chain {
    /// Every log in the filter's blocks that matches its addresses and topics,
    /// in chain order.
    pub fn logs(&self, filter: &Filter) -> ChainResult<Vec<Log>> {
        let mut logs = Vec::new();
        for block in self.filter_blocks(filter)? {
            // The header bloom rules out most blocks without reading receipts.
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            let receipts = block.transactions.iter().filter_map(|hash| self.receipt(*hash));
            for receipt in receipts {
                let matching = receipt.inner.logs().iter().filter(|log| filter.matches(&log.inner));
                logs.extend(matching.cloned());
            }
        }
        Ok(logs)
    }

    /// The blocks a filter covers: one block by hash, or a number range
    /// (missing ends mean the latest block).
    fn filter_blocks(&self, filter: &Filter) -> ChainResult<&[StoredBlock]> {
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let block = self.block_by_hash(hash).ok_or_else(|| {
                    ChainError::InvalidParams(format!("unknown block hash {hash}"))
                })?;
                (block.number(), block.number())
            }
            FilterBlockOption::Range { from_block, to_block } => {
                (self.resolve(from_block), self.resolve(to_block))
            }
        };
        if from > to {
            return Err(ChainError::InvalidParams(format!(
                "fromBlock {from} is after toBlock {to}"
            )));
        }
        let blocks = &self.state.blocks;
        // Blocks are stored from the chain's first one (a fork's starts late).
        let first = self.first_number();
        let index = |n: u64| usize::try_from(n.saturating_sub(first)).unwrap_or(usize::MAX);
        let end = index(to).saturating_add(1).min(blocks.len());
        let start = index(from).min(end);
        Ok(&blocks[start..end])
    }

    /// The number a filter bound names; tags and a missing bound mean latest.
    fn resolve(&self, bound: Option<BlockNumberOrTag>) -> u64 {
        match bound {
            Some(BlockNumberOrTag::Number(n)) => n,
            Some(BlockNumberOrTag::Earliest) => self.first_number(),
            _ => self.latest().number(),
        }
    }
}
