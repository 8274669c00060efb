//! `eth_*` methods about mined blocks, transactions, receipts, logs and fees.

use super::{convert::rpc_block, error::invalid_params, error::rpc_error, RpcContext};
use crate::chain::{lock, BASE_FEE};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U64};
use alloy_rpc_types_eth::{Block, FeeHistory, Filter, Log, Transaction, TransactionReceipt};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

/// The most blocks one `eth_feeHistory` call reports, as in geth.
const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;

/// Blocks, transactions, receipts, logs and fee history.
#[rpc(server, namespace = "eth")]
pub trait EthBlocksApi {
    /// A block by number or tag, with full transactions or hashes.
    #[method(name = "getBlockByNumber")]
    fn block_by_number(&self, number: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>>;

    /// A block by hash, with full transactions or hashes.
    #[method(name = "getBlockByHash")]
    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>>;

    /// A mined transaction.
    #[method(name = "getTransactionByHash")]
    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>>;

    /// The receipt of a mined transaction.
    #[method(name = "getTransactionReceipt")]
    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>>;

    /// Logs matching a filter.
    #[method(name = "getLogs")]
    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;

    /// Base fees and gas use of recent blocks, for EIP-1559 fee estimation.
    #[method(name = "feeHistory")]
    fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
}

/// The [`EthBlocksApiServer`] implementation.
#[derive(Clone, Debug)]
pub struct EthBlocksRpc {
    ctx: RpcContext,
}

impl EthBlocksRpc {
    /// Serves `ctx`'s chain.
    pub fn new(ctx: RpcContext) -> Self {
        Self { ctx }
    }
}

impl EthBlocksApiServer for EthBlocksRpc {
    fn block_by_number(&self, number: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>> {
        let chain = lock(&self.ctx.chain);
        Ok(chain.block_by_number(number).map(|block| rpc_block(&chain, block, full)))
    }

    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>> {
        let chain = lock(&self.ctx.chain);
        Ok(chain.block_by_hash(hash).map(|block| rpc_block(&chain, block, full)))
    }

    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        Ok(lock(&self.ctx.chain).transaction(hash).cloned())
    }

    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        Ok(lock(&self.ctx.chain).receipt(hash).cloned())
    }

    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        lock(&self.ctx.chain).logs(&filter).map_err(rpc_error)
    }

    fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        if let Some(p) = reward_percentiles.iter().flatten().find(|p| !(0.0..=100.0).contains(*p)) {
            return Err(invalid_params(format!("reward percentile {p} is not within 0..=100")));
        }
        let chain = lock(&self.ctx.chain);
        let newest = chain
            .block_by_number(newest_block)
            .ok_or_else(|| invalid_params(format!("block {newest_block} does not exist")))?
            .number();
        let count = block_count.saturating_to::<u64>().min(MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
        let oldest = newest + 1 - count;
        let gas_used_ratio = (oldest..=newest)
            .filter_map(|n| chain.block_by_number(BlockNumberOrTag::Number(n)))
            .map(|block| gas_used_ratio(block.header.gas_used, block.header.gas_limit))
            .collect::<Vec<_>>();
        let len = gas_used_ratio.len();
        Ok(FeeHistory {
            // The base fee is constant, so the next block's is known too.
            base_fee_per_gas: vec![u128::from(BASE_FEE); len + 1],
            gas_used_ratio,
            base_fee_per_blob_gas: vec![0; len + 1],
            blob_gas_used_ratio: vec![0.0; len],
            oldest_block: oldest,
            // Tips are not needed on this chain: every percentile is zero.
            reward: reward_percentiles.map(|p| vec![vec![0; p.len()]; len]),
        })
    }
}

/// `used / limit` as a float; the precision lost above 2^52 gas is far below
/// what fee estimators look at.
#[expect(clippy::cast_precision_loss, reason = "a ratio for fee estimation")]
fn gas_used_ratio(used: u64, limit: u64) -> f64 {
    used as f64 / limit as f64
}
