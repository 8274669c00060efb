//! `debug_traceTransaction` and `debug_traceCall`: a mined transaction is
//! re-run on the state before its block with the block's earlier
//! transactions replayed, a call on the state of the block it names; geth's
//! `callTracer` (the call tree through EVM and Stylus frames) and
//! `prestateTracer` (every account and slot the execution read or wrote, as
//! it was before) and Stylus's `stylusTracer` (host I/O).

use std::{collections::BTreeMap, convert::Infallible};

use alloy_eips::BlockId;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::TransactionRequest;
use revm::{
    context::BlockEnv,
    database::{CacheDB, DatabaseCommit, DatabaseRef},
    state::{AccountInfo, EvmState, EvmStorageSlot},
};
use serde::Serialize;
use serde_json::Value;

use super::{error::ChainError, error::ChainResult, tx::PendingTx, Chain};
use crate::{
    evm::trace::{OpcodeLogger, Recorder, StructLog},
    exec::Mode,
};

/// Which of geth's tracers to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tracer {
    /// `callTracer`; `only_top` keeps the top call alone.
    Call {
        /// geth's `onlyTopCall`.
        only_top: bool,
    },
    /// `prestateTracer`; `diff` is its `diffMode` (the state before and
    /// after, of the accounts the execution changed).
    Prestate {
        /// geth's `diffMode`.
        diff: bool,
    },
    /// `stylusTracer`: the host calls of the Stylus programs that ran
    /// (what `cargo stylus trace` and `replay` read).
    Stylus,
    /// geth's default opcode logger; `disable_stack` leaves stacks out.
    Opcodes {
        /// geth's `disableStack`.
        disable_stack: bool,
    },
}

/// The opcode logger's result, as geth writes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names, reason = "geth's field names")]
struct StructLogs {
    gas: u64,
    failed: bool,
    return_value: Bytes,
    struct_logs: Vec<StructLog>,
    /// Present (true) when the log stopped at its size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<bool>,
}

/// One account as `prestateTracer` shows it (in diff mode's `post`, only
/// what changed).
#[derive(Debug, Default, Serialize)]
struct PreAccount {
    #[serde(skip_serializing_if = "Option::is_none")]
    balance: Option<U256>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<Bytes>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    storage: BTreeMap<B256, B256>,
}

impl Chain {
    /// Traces the mined transaction `hash` with `tracer`.
    ///
    /// # Errors
    /// [`ChainError::Rejected`] for an unknown transaction,
    /// [`ChainError::HistoryPruned`] when the state before its block is no
    /// longer kept.
    pub fn trace_transaction(&self, hash: B256, tracer: Tracer) -> ChainResult<Value> {
        let tx = self
            .state
            .transactions
            .get(&hash)
            .ok_or_else(|| ChainError::Rejected(format!("transaction {hash} not found")))?;
        let number = tx.block_number.unwrap_or_default();
        let parent = number.saturating_sub(1);
        let oldest = self.state.history.oldest();
        if number == 0 || parent < oldest {
            return Err(ChainError::HistoryPruned { number: parent, oldest });
        }
        let env = self.block_env_of(number);
        let mut db = CacheDB::new(self.state_at(parent));
        let earlier = self.block_by_number(number.into()).map(|b| b.transactions.clone());
        for earlier in earlier.unwrap_or_default().iter().take_while(|h| **h != hash) {
            let tx = self.pending_of(*earlier)?;
            let outcome = self
                .executor
                .transact(&mut db, env.clone(), tx.tx_env(), Mode::Transaction)
                .map_err(|e| ChainError::Rejected(e.to_string()))?;
            db.commit(outcome.state);
        }
        let tx = self.pending_of(hash)?;
        self.run_tracer(&mut db, env, tx.tx_env(), Mode::Transaction, tracer)
    }

    /// Traces `request` as `eth_call` would run it at `block`.
    ///
    /// # Errors
    /// As [`Chain::call`].
    pub fn trace_call(
        &self,
        request: &TransactionRequest,
        block: Option<BlockId>,
        tracer: Tracer,
    ) -> ChainResult<Value> {
        let gas = request.gas.unwrap_or(super::RPC_GAS_CAP).min(super::RPC_GAS_CAP);
        let env = self.env_for(block);
        match self.state_block(block)? {
            None => {
                let tx = self.call_tx_env(request, gas, None);
                self.run_tracer(&mut CacheDB::new(&self.state.db), env, tx, Mode::Call, tracer)
            }
            Some(n) => {
                let at = self.state_at(n);
                let nonce = at.info(request.from.unwrap_or_default()).unwrap_or_default().nonce;
                let tx = self.call_tx_env(request, gas, Some(nonce));
                self.run_tracer(&mut CacheDB::new(at), env, tx, Mode::Call, tracer)
            }
        }
    }

    /// The mined transaction `hash`, as it was sent.
    fn pending_of(&self, hash: B256) -> ChainResult<PendingTx> {
        let tx = self
            .state
            .transactions
            .get(&hash)
            .ok_or_else(|| ChainError::Rejected(format!("transaction {hash} not found")))?;
        Ok(PendingTx { envelope: tx.inner.inner().clone(), sender: tx.inner.signer() })
    }

    fn run_tracer<D: DatabaseRef<Error = Infallible> + Send>(
        &self,
        db: &mut CacheDB<D>,
        env: BlockEnv,
        tx: revm::context::TxEnv,
        mode: Mode,
        tracer: Tracer,
    ) -> ChainResult<Value> {
        let gas_limit = tx.gas_limit;
        let mut wanted = Recorder::default();
        if let Tracer::Opcodes { disable_stack } = tracer {
            wanted.opcodes = Some(OpcodeLogger::new(disable_stack));
        }
        let (outcome, recorded) = self
            .executor
            .trace(&mut *db, env, tx, mode, wanted)
            .map_err(|e| ChainError::Rejected(e.to_string()))?;
        let value = match tracer {
            Tracer::Call { only_top } => {
                let mut frame = recorded.call.unwrap_or_default();
                // The top call carries the transaction's gas, as in geth.
                frame.gas = U64::from(gas_limit);
                frame.gas_used = U64::from(outcome.result.tx_gas_used());
                if only_top {
                    frame.calls.clear();
                }
                serde_json::to_value(frame)
            }
            Tracer::Prestate { diff: false } => serde_json::to_value(prestate(db, &outcome.state)),
            Tracer::Prestate { diff: true } => serde_json::to_value(diff(db, &outcome.state)),
            Tracer::Stylus => serde_json::to_value(recorded.hostio),
            Tracer::Opcodes { .. } => serde_json::to_value(StructLogs {
                gas: outcome.result.tx_gas_used(),
                failed: !outcome.result.is_success(),
                return_value: outcome.result.output().cloned().unwrap_or_default(),
                struct_logs: recorded.opcodes,
                truncated: recorded.truncated.then_some(true),
            }),
        };
        value.map_err(|e| ChainError::Rejected(format!("encoding the trace: {e}")))
    }
}

/// Every account and slot `state` shows the execution touched, as `db`
/// (not yet changed by it) had them.
fn prestate<D: DatabaseRef>(db: &CacheDB<D>, state: &EvmState) -> BTreeMap<Address, PreAccount> {
    state
        .iter()
        .map(|(address, account)| {
            let storage = account
                .storage
                .iter()
                .map(|(slot, value)| (B256::from(*slot), B256::from(value.original_value)))
                .collect();
            (*address, before(db, *address, storage))
        })
        .collect()
}

/// `address` as `db` has it, with the slots `storage`.
fn before<D: DatabaseRef>(
    db: &CacheDB<D>,
    address: Address,
    storage: BTreeMap<B256, B256>,
) -> PreAccount {
    let info = db.basic_ref(address).ok().flatten().unwrap_or_default();
    let code = code_of(db, &info);
    let nonce = (info.nonce != 0).then_some(info.nonce);
    PreAccount { balance: Some(info.balance), nonce, code, storage }
}

fn code_of<D: DatabaseRef>(db: &CacheDB<D>, info: &AccountInfo) -> Option<Bytes> {
    info.code
        .clone()
        .or_else(|| db.code_by_hash_ref(info.code_hash).ok())
        .map(|c| c.original_bytes())
        .filter(|c| !c.is_empty())
}

/// `prestateTracer`'s diff mode.
#[derive(Debug, Default, Serialize)]
struct Diff {
    pre: BTreeMap<Address, PreAccount>,
    post: BTreeMap<Address, PreAccount>,
}

/// The accounts the execution changed, as geth's diff mode shows them:
/// `pre` as they were (with the changed slots that held something), `post`
/// what changed (with the changed slots that now hold something); an
/// account destroyed is in `pre` alone.
fn diff<D: DatabaseRef>(db: &CacheDB<D>, state: &EvmState) -> Diff {
    let mut out = Diff::default();
    for (address, account) in state.iter().filter(|(_, a)| a.is_touched()) {
        let changed: Vec<_> = account.storage.iter().filter(|(_, v)| v.is_changed()).collect();
        let slots = |pick: fn(&EvmStorageSlot) -> U256| -> BTreeMap<B256, B256> {
            changed
                .iter()
                .filter(|(_, v)| !pick(v).is_zero())
                .map(|(k, v)| (B256::from(**k), B256::from(pick(v))))
                .collect()
        };
        let pre = before(db, *address, slots(|v| v.original_value));
        let info = &account.info;
        let code = code_of(db, info);
        let post = PreAccount {
            balance: (pre.balance != Some(info.balance)).then_some(info.balance),
            nonce: (pre.nonce.unwrap_or_default() != info.nonce).then_some(info.nonce),
            code: (pre.code != code).then_some(code).flatten(),
            storage: slots(|v| v.present_value),
        };
        let destroyed = account.is_selfdestructed();
        let modified = destroyed
            || !changed.is_empty()
            || post.balance.is_some()
            || post.nonce.is_some()
            || post.code.is_some();
        if !modified {
            continue;
        }
        out.pre.insert(*address, pre);
        if !destroyed {
            out.post.insert(*address, post);
        }
    }
    out
}
