//! Simulations: `eth_call` and `eth_estimateGas` run on an [`Overlay`] of the
//! state, so a call costs what it reads, not the size of the chain.

use super::{
    block::BlockTemplate, error::ChainError, error::ChainResult, mine::block_env, overrides, Chain,
};
use crate::exec::{Mode, Overlay};
use alloy_primitives::{Bytes, TxKind};
use alloy_rpc_types_eth::{state::StateOverride, TransactionRequest};
use revm::context::{
    result::{ExecutionResult, Output},
    BlockEnv, TxEnv,
};

/// The most gas a simulation may use, as geth's default `RPCGasCap`: it keeps
/// a runaway loop from holding the node for long.
pub const RPC_GAS_CAP: u64 = 50_000_000;

impl Chain {
    /// Runs `request` as `eth_call` does and returns its output.
    pub fn call(
        &self,
        request: &TransactionRequest,
        overrides: Option<&StateOverride>,
    ) -> ChainResult<Bytes> {
        let mut db = self.simulation_db(overrides)?;
        let gas = request.gas.unwrap_or(RPC_GAS_CAP).min(RPC_GAS_CAP);
        self.simulate(&mut db, request, gas).map(|(output, _)| output)
    }

    /// The least gas limit with which `request` succeeds, found by binary
    /// search, because refunds and the 63/64 rule make the gas used a lower
    /// bound only.
    pub fn estimate_gas(
        &self,
        request: &TransactionRequest,
        overrides: Option<&StateOverride>,
    ) -> ChainResult<u64> {
        let mut db = self.simulation_db(overrides)?;
        let mut high = request.gas.unwrap_or(RPC_GAS_CAP).min(RPC_GAS_CAP);
        // At the cap it must succeed; otherwise its error is the answer.
        let (_, used) = self.simulate(&mut db, request, high)?;
        let mut low = used.saturating_sub(1);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.simulate(&mut db, request, mid).is_ok() {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    /// A layer over the latest state with `overrides` applied to it.
    fn simulation_db(&self, overrides: Option<&StateOverride>) -> ChainResult<Overlay<'_>> {
        let mut db = Overlay::new(&self.state.db);
        if let Some(overrides) = overrides {
            overrides::apply(&mut db, overrides)?;
        }
        Ok(db)
    }

    /// Runs `request` with `gas` on `db` without committing; returns the
    /// output and gas used, or why it failed.
    fn simulate(
        &self,
        db: &mut Overlay<'_>,
        request: &TransactionRequest,
        gas: u64,
    ) -> ChainResult<(Bytes, u64)> {
        let tx = self.call_tx_env(request, gas);
        let outcome = self
            .executor
            .transact(db, self.pending_block_env(), tx, Mode::Call)
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
    fn call_tx_env(&self, request: &TransactionRequest, gas: u64) -> TxEnv {
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
            nonce: request.nonce.unwrap_or_else(|| self.nonce(caller, false)),
            chain_id: Some(self.chain_id()),
            access_list: request.access_list.clone().unwrap_or_default(),
            ..TxEnv::default()
        }
    }
}
