//! `eth_*` methods about accounts, simulations and sending transactions.

use super::{error::rpc_error, RpcContext};
use crate::chain::{lock, ChainError, PendingTx, BASE_FEE};
use alloy_eips::BlockId;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{state::StateOverride, TransactionRequest};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};

/// Account state, simulations and transaction submission.
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// The chain id.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;

    /// The latest block number.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;

    /// The balance of an account.
    #[method(name = "getBalance")]
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;

    /// The nonce of an account (with `pending`, counting queued transactions).
    #[method(name = "getTransactionCount")]
    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;

    /// The code of an account.
    #[method(name = "getCode")]
    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;

    /// One storage word of an account.
    #[method(name = "getStorageAt")]
    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256>;

    /// Runs a call without mining it.
    ///
    /// Like `sendRawTransaction`, it runs on the connection's own task
    /// rather than on tokio's blocking pool: a hand-off to another thread
    /// cost more than the execution itself (~45 µs of a 130 µs EVM call).
    /// The runtime's threads have the execution stack (`exec::THREAD_STACK`),
    /// and a call is bounded by [`crate::chain::RPC_GAS_CAP`].
    #[method(name = "call")]
    fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes>;

    /// The least gas limit with which a transaction succeeds.
    ///
    /// A binary search of up to ~26 executions, so it runs on the blocking
    /// pool rather than hold a runtime thread.
    #[method(name = "estimateGas", blocking)]
    fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<U64>;

    /// Submits a signed transaction; in automine mode it is mined at once.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;

    /// The gas price to offer: the (constant) base fee.
    #[method(name = "gasPrice")]
    fn gas_price(&self) -> RpcResult<U256>;

    /// The priority fee to offer: zero, as on Arbitrum, which ignores tips.
    #[method(name = "maxPriorityFeePerGas")]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;

    /// The funded dev accounts.
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;

    /// Always `false`: a dev chain has nothing to sync from.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<bool>;
}

/// The [`EthApiServer`] implementation.
#[derive(Clone, Debug)]
pub struct EthRpc {
    ctx: RpcContext,
}

impl EthRpc {
    /// Serves `ctx`'s chain.
    pub fn new(ctx: RpcContext) -> Self {
        Self { ctx }
    }

    /// Submits a transaction and returns its hash.
    fn submit(&self, tx: PendingTx) -> Result<B256, ChainError> {
        let hash = tx.hash();
        let mut chain = lock(&self.ctx.chain);
        if chain.transaction(hash).is_some() {
            return Err(ChainError::Rejected(format!("transaction {hash} is already known")));
        }
        if !self.ctx.automine {
            chain.enqueue(tx);
            return Ok(hash);
        }
        let (_, rejected) = chain.mine(vec![tx], true);
        match rejected.into_iter().next() {
            Some(rejected) => Err(ChainError::Rejected(rejected.reason)),
            None => Ok(hash),
        }
    }
}

impl EthApiServer for EthRpc {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(lock(&self.ctx.chain).chain_id()))
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(lock(&self.ctx.chain).latest().number()))
    }

    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        let chain = lock(&self.ctx.chain);
        Ok(chain.info_at(address, block).map_err(rpc_error)?.balance)
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        let chain = lock(&self.ctx.chain);
        if block.is_some_and(|b| b.is_pending()) {
            return Ok(U64::from(chain.nonce(address, true)));
        }
        Ok(U64::from(chain.info_at(address, block).map_err(rpc_error)?.nonce))
    }

    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        lock(&self.ctx.chain).code_at(address, block).map_err(rpc_error)
    }

    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256> {
        lock(&self.ctx.chain).storage_at(address, slot, block).map_err(rpc_error)
    }

    fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<Bytes> {
        let chain = lock(&self.ctx.chain);
        chain.call(&request, block, overrides.as_ref()).map_err(rpc_error)
    }

    fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        let chain = lock(&self.ctx.chain);
        chain.estimate_gas(&request, block, overrides.as_ref()).map(U64::from).map_err(rpc_error)
    }

    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        let chain_id = lock(&self.ctx.chain).chain_id();
        let tx = PendingTx::decode(&raw, chain_id).map_err(rpc_error)?;
        self.submit(tx).map_err(rpc_error)
    }

    fn gas_price(&self) -> RpcResult<U256> {
        Ok(U256::from(BASE_FEE))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::ZERO)
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self.ctx.accounts.clone())
    }

    fn syncing(&self) -> RpcResult<bool> {
        Ok(false)
    }
}
