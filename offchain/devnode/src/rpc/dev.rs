//! Development methods (anvil / hardhat / ganache names): time travel,
//! manual mining, snapshots and direct state edits.

use super::{error::invalid_params, RpcContext};
use crate::chain::lock;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

/// The most blocks one `anvil_mine` call mines, so a typo cannot stall the node.
const MAX_MINE_BLOCKS: u64 = 100_000;

/// Time, mining, snapshots and state edits.
#[rpc(server)]
pub trait DevApi {
    /// Moves time forward by `seconds`; returns the total shift in seconds.
    #[method(name = "evm_increaseTime")]
    fn increase_time(&self, seconds: U64) -> RpcResult<i64>;

    /// Sets the timestamp of the next block.
    #[method(name = "evm_setNextBlockTimestamp")]
    fn set_next_block_timestamp(&self, timestamp: U64) -> RpcResult<bool>;

    /// Mines one block (with the queued transactions), optionally at `timestamp`.
    #[method(name = "evm_mine")]
    fn evm_mine(&self, timestamp: Option<U64>) -> RpcResult<String>;

    /// Mines `blocks` blocks (default one), `interval` seconds apart.
    #[method(name = "anvil_mine", aliases = ["hardhat_mine"])]
    fn anvil_mine(&self, blocks: Option<U64>, interval: Option<U64>) -> RpcResult<bool>;

    /// Saves the whole chain; returns the id to revert to.
    #[method(name = "evm_snapshot")]
    fn snapshot(&self) -> RpcResult<U64>;

    /// Restores a snapshot; `false` if the id is unknown.
    #[method(name = "evm_revert")]
    fn revert(&self, id: U64) -> RpcResult<bool>;

    /// Sets an account's balance.
    #[method(name = "anvil_setBalance", aliases = ["hardhat_setBalance"])]
    fn set_balance(&self, address: Address, balance: U256) -> RpcResult<bool>;

    /// Sets an account's code.
    #[method(name = "anvil_setCode", aliases = ["hardhat_setCode"])]
    fn set_code(&self, address: Address, code: Bytes) -> RpcResult<bool>;

    /// Sets an account's nonce.
    #[method(name = "anvil_setNonce", aliases = ["hardhat_setNonce"])]
    fn set_nonce(&self, address: Address, nonce: U64) -> RpcResult<bool>;

    /// Sets one storage word of an account.
    #[method(name = "anvil_setStorageAt", aliases = ["hardhat_setStorageAt"])]
    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> RpcResult<bool>;
}

/// The [`DevApiServer`] implementation.
#[derive(Clone, Debug)]
pub struct DevRpc {
    ctx: RpcContext,
}

impl DevRpc {
    /// Serves `ctx`'s chain.
    pub fn new(ctx: RpcContext) -> Self {
        Self { ctx }
    }
}

impl DevApiServer for DevRpc {
    fn increase_time(&self, seconds: U64) -> RpcResult<i64> {
        Ok(lock(&self.ctx.chain).clock_mut().increase(seconds.to()))
    }

    fn set_next_block_timestamp(&self, timestamp: U64) -> RpcResult<bool> {
        let mut chain = lock(&self.ctx.chain);
        let latest = chain.latest().header.timestamp;
        let timestamp: u64 = timestamp.to();
        if timestamp < latest {
            return Err(invalid_params(format!(
                "timestamp {timestamp} is before the latest block's ({latest})"
            )));
        }
        chain.clock_mut().set_next(timestamp);
        Ok(true)
    }

    fn evm_mine(&self, timestamp: Option<U64>) -> RpcResult<String> {
        if let Some(timestamp) = timestamp {
            self.set_next_block_timestamp(timestamp)?;
        }
        lock(&self.ctx.chain).mine_pending();
        Ok("0x0".to_owned())
    }

    fn anvil_mine(&self, blocks: Option<U64>, interval: Option<U64>) -> RpcResult<bool> {
        let blocks: u64 = blocks.map_or(1, |b| b.saturating_to());
        if blocks > MAX_MINE_BLOCKS {
            return Err(invalid_params(format!("at most {MAX_MINE_BLOCKS} blocks per call")));
        }
        let mut chain = lock(&self.ctx.chain);
        for _ in 0..blocks {
            if let Some(interval) = interval {
                chain.clock_mut().increase(interval.saturating_to());
            }
            chain.mine_pending();
        }
        Ok(true)
    }

    fn snapshot(&self) -> RpcResult<U64> {
        Ok(U64::from(lock(&self.ctx.chain).snapshot()))
    }

    fn revert(&self, id: U64) -> RpcResult<bool> {
        Ok(lock(&self.ctx.chain).revert(id.saturating_to()).is_ok())
    }

    fn set_balance(&self, address: Address, balance: U256) -> RpcResult<bool> {
        lock(&self.ctx.chain).set_balance(address, balance);
        Ok(true)
    }

    fn set_code(&self, address: Address, code: Bytes) -> RpcResult<bool> {
        lock(&self.ctx.chain).set_code(address, code);
        Ok(true)
    }

    fn set_nonce(&self, address: Address, nonce: U64) -> RpcResult<bool> {
        lock(&self.ctx.chain).set_nonce(address, nonce.saturating_to());
        Ok(true)
    }

    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> RpcResult<bool> {
        lock(&self.ctx.chain).set_storage(address, slot, value);
        Ok(true)
    }
}
