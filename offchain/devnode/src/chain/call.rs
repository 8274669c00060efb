//! Simulations: `eth_call` and `eth_estimateGas` run on a throwaway layer
//! over the latest state or a past block's, so a call costs what it reads,
//! not the size of the chain.

use super::{
    block::{BlockTemplate, StoredBlock},
    error::ChainError,
    error::ChainResult,
    mine::block_env,
    overrides, Chain,
};
use crate::exec::Mode;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Bytes, TxKind, B256};
use alloy_rpc_types_eth::{state::StateOverride, TransactionRequest};
use revm::context::{
    result::{ExecutionResult, Output},
    BlockEnv, TxEnv,
};
use revm::database::{CacheDB, DatabaseRef};
use std::convert::Infallible;

/// The most gas a simulation may use, as geth's default `RPCGasCap`: it keeps
/// a runaway loop from holding the node for long.
pub const RPC_GAS_CAP: u64 = 50_000_000;

impl Chain {
    /// Runs `request` as `eth_call` does, on the state of `block` (see
    /// [`Chain::state_block`]), and returns its output.
    pub fn call(
        &self,
        request: &TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<&StateOverride>,
    ) -> ChainResult<Bytes> {
        let gas = request.gas.unwrap_or(RPC_GAS_CAP).min(RPC_GAS_CAP);
        let env = self.env_for(block);
        match self.state_block(block)? {
            None => {
                let mut db = layer(&self.state.db, overrides)?;
                self.simulate(&mut db, env, request, gas, None)
            }
            Some(n) => {
                let at = self.state_at(n);
                let nonce = at.info(request.from.unwrap_or_default()).unwrap_or_default().nonce;
                let mut db = layer(at, overrides)?;
                self.simulate(&mut db, env, request, gas, Some(nonce))
            }
        }
        .map(|(output, _)| output)
    }

    /// The least gas limit with which `request` succeeds on the state of
    /// `block`, found by binary search, because refunds and the 63/64 rule
    /// make the gas used a lower bound only.
    pub fn estimate_gas(
        &self,
        request: &TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<&StateOverride>,
    ) -> ChainResult<u64> {
        let high = request.gas.unwrap_or(RPC_GAS_CAP).min(RPC_GAS_CAP);
        let env = self.env_for(block);
        match self.state_block(block)? {
            None => {
                let mut db = layer(&self.state.db, overrides)?;
                self.search_gas(&mut db, &env, request, high, None)
            }
            Some(n) => {
                let at = self.state_at(n);
                let nonce = at.info(request.from.unwrap_or_default()).unwrap_or_default().nonce;
                let mut db = layer(at, overrides)?;
                self.search_gas(&mut db, &env, request, high, Some(nonce))
            }
        }
    }

    fn search_gas<D: DatabaseRef<Error = Infallible> + Send>(
        &self,
        db: &mut CacheDB<D>,
        env: &BlockEnv,
        request: &TransactionRequest,
        mut high: u64,
        nonce: Option<u64>,
    ) -> ChainResult<u64> {
        // At the cap it must succeed; otherwise its error is the answer.
        let (_, used) = self.simulate(db, env.clone(), request, high, nonce)?;
        let mut low = used.saturating_sub(1);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.simulate(db, env.clone(), request, mid, nonce).is_ok() {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    /// Runs `request` with `gas` in `env` on `db` without committing;
    /// returns the output and gas used, or why it failed.
    fn simulate<D: DatabaseRef<Error = Infallible> + Send>(
        &self,
        db: &mut CacheDB<D>,
        env: BlockEnv,
        request: &TransactionRequest,
        gas: u64,
        nonce: Option<u64>,
    ) -> ChainResult<(Bytes, u64)> {
        let tx = self.call_tx_env(request, gas, nonce);
        let outcome = self
            .executor
            .transact(db, env, tx, Mode::Call)
            .map_err(|e| ChainError::Rejected(e.to_string()))?;
        let used = outcome.result.tx_gas_used();
        match outcome.result {
            ExecutionResult::Success {
                output: Output::Call(data) | Output::Create(data, _),
                ..
            } => Ok((data, used)),
            ExecutionResult::Revert { output, .. } => Err(ChainError::Revert(output)),
            ExecutionResult::Halt { reason, .. } => {
                Err(ChainError::Halt(format!("execution halted: {reason:?}")))
            }
        }
    }

    /// The environment a simulation at `block` runs in: a block named by
    /// number or hash runs in that block's (its number and timestamp, as
    /// geth does); a tag or no block runs in the next block's, so that
    /// simulations see the time moved by `evm_increaseTime`, as anvil does.
    pub(super) fn env_for(&self, block: Option<BlockId>) -> BlockEnv {
        let named = match block {
            Some(BlockId::Number(BlockNumberOrTag::Number(n))) => Some(n),
            Some(BlockId::Hash(hash)) => {
                self.block_by_hash(hash.block_hash).map(StoredBlock::number)
            }
            _ => None,
        };
        // `state_block` refuses unknown blocks; this only picks the env.
        match named {
            Some(n) if n <= self.latest().number() => self.block_env_of(n),
            _ => self.pending_block_env(),
        }
    }

    /// The environment block `number` was mined in, for calls on its state.
    pub(super) fn block_env_of(&self, number: u64) -> BlockEnv {
        let block = self.block_by_number(BlockNumberOrTag::Number(number));
        let (parent_hash, timestamp) =
            block.map_or((B256::ZERO, 0), |b| (b.header.parent_hash, b.header.timestamp));
        block_env(&BlockTemplate { parent_hash, number, timestamp })
    }

    /// The environment of the block the next transaction would be mined in,
    /// so simulations see the time moved by `evm_increaseTime`, as anvil does.
    fn pending_block_env(&self) -> BlockEnv {
        let latest = self.latest();
        block_env(&BlockTemplate {
            parent_hash: latest.hash,
            number: latest.number() + 1,
            timestamp: self.state.clock.clone().next_timestamp(latest.header.timestamp),
        })
    }

    /// The revm transaction for a call request. Missing fields get the values
    /// nodes use for simulations: zero sender, zero gas price, the sender's
    /// current nonce (which decides the address of a simulated deployment).
    pub(super) fn call_tx_env(
        &self,
        request: &TransactionRequest,
        gas: u64,
        nonce: Option<u64>,
    ) -> TxEnv {
        let caller = request.from.unwrap_or_default();
        let tx_type =
            if request.max_priority_fee_per_gas.is_some() || request.max_fee_per_gas.is_some() {
                2
            } else {
                u8::from(request.access_list.is_some())
            };
        TxEnv {
            tx_type,
            caller,
            gas_limit: gas,
            gas_price: request.gas_price.or(request.max_fee_per_gas).unwrap_or_default(),
            gas_priority_fee: (tx_type == 2)
                .then(|| request.max_priority_fee_per_gas.unwrap_or_default()),
            kind: request.to.unwrap_or(TxKind::Create),
            value: request.value.unwrap_or_default(),
            data: request.input.input().cloned().unwrap_or_default(),
            nonce: request.nonce.or(nonce).unwrap_or_else(|| self.nonce(caller, false)),
            chain_id: Some(self.chain_id()),
            access_list: request.access_list.clone().unwrap_or_default(),
            ..TxEnv::default()
        }
    }
}

/// A throwaway layer over `state` (the latest state or a past block's) with
/// `overrides` applied to it: a simulation's writes land in the layer.
fn layer<D: DatabaseRef>(state: D, overrides: Option<&StateOverride>) -> ChainResult<CacheDB<D>> {
    let mut db = CacheDB::new(state);
    if let Some(overrides) = overrides {
        overrides::apply(&mut db, overrides)?;
    }
    Ok(db)
}
