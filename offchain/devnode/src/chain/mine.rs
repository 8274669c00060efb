//! Mining: running transactions in a new block, sealing it and recording
//! its transactions and receipts.

use super::{
    block::{BlockTemplate, BodySummary, StoredBlock, BASE_FEE, BLOCK_GAS_LIMIT},
    receipt::{ExecutedTx, Inclusion},
    tx::PendingTx,
    Chain,
};
use crate::exec::Mode;
use alloy_consensus::{
    proofs::{calculate_receipt_root, calculate_transaction_root},
    ReceiptEnvelope,
};
use alloy_primitives::{Bloom, B256, U256};
use revm::{context::BlockEnv, database::DatabaseCommit};

/// A transaction that could not be included, and why.
#[derive(Debug)]
pub struct Rejected {
    /// The transaction's hash.
    pub hash: B256,
    /// Why it was rejected (nonce, balance, gas...).
    pub reason: String,
}

impl Chain {
    /// Mines one block with `txs` (in order). Transactions that fail
    /// validation are left out and returned; the block is sealed anyway
    /// unless `skip_if_empty` is set and nothing was included.
    pub fn mine(
        &mut self,
        txs: Vec<PendingTx>,
        skip_if_empty: bool,
    ) -> (Option<B256>, Vec<Rejected>) {
        // The clock only advances if a block is sealed, so a rejected
        // transaction does not consume a pinned timestamp.
        let mut clock = self.state.clock.clone();
        let parent = self.latest();
        let template = BlockTemplate {
            parent_hash: parent.hash,
            number: parent.number() + 1,
            timestamp: clock.next_timestamp(parent.header.timestamp),
        };
        let (executed, rejected) = self.execute(&block_env(&template), txs);
        if executed.is_empty() && skip_if_empty {
            return (None, rejected);
        }
        self.state.clock = clock;
        (Some(self.seal(template, &executed)), rejected)
    }

    /// Mines every transaction waiting for an interval block.
    pub fn mine_pending(&mut self) -> (Option<B256>, Vec<Rejected>) {
        let pending = std::mem::take(&mut self.state.pending);
        self.mine(pending, false)
    }

    /// Queues a transaction for the next interval block.
    pub fn enqueue(&mut self, tx: PendingTx) {
        self.state.pending.push(tx);
    }

    /// Runs `txs` one after the other, committing each one's state changes.
    fn execute(&mut self, env: &BlockEnv, txs: Vec<PendingTx>) -> (Vec<ExecutedTx>, Vec<Rejected>) {
        let mut executed = Vec::with_capacity(txs.len());
        let mut rejected = Vec::new();
        let mut cumulative_gas_used = 0;
        for tx in txs {
            match self.executor.transact(
                &mut self.state.db,
                env.clone(),
                tx.tx_env(),
                Mode::Transaction,
            ) {
                Ok(outcome) => {
                    self.state.history.record(&self.state.db, &outcome.state);
                    self.state.db.commit(outcome.state);
                    cumulative_gas_used += outcome.result.tx_gas_used();
                    executed.push(ExecutedTx { tx, result: outcome.result, cumulative_gas_used });
                }
                Err(error) => {
                    rejected.push(Rejected { hash: tx.hash(), reason: error.to_string() });
                }
            }
        }
        (executed, rejected)
    }

    /// Seals a block around already executed transactions and records it.
    fn seal(&mut self, template: BlockTemplate, executed: &[ExecutedTx]) -> B256 {
        let envelopes: Vec<_> = executed.iter().map(|e| e.tx.envelope.clone()).collect();
        let receipts: Vec<_> = executed.iter().map(ExecutedTx::consensus_receipt).collect();
        let body = BodySummary {
            transactions_root: calculate_transaction_root(&envelopes),
            receipts_root: calculate_receipt_root(&receipts),
            logs_bloom: receipts
                .iter()
                .map(ReceiptEnvelope::logs_bloom)
                .fold(Bloom::ZERO, |acc, b| acc | b),
            gas_used: executed.last().map_or(0, |e| e.cumulative_gas_used),
        };
        let hashes = executed.iter().map(|e| e.tx.hash()).collect();
        let block = StoredBlock::seal(template.header(&body), hashes);
        self.record(&block, executed);
        let hash = block.hash;
        self.state.history.seal(block.number());
        // BLOCKHASH (and ArbSys.arbBlockHash) answer the real hashes.
        self.state.db.cache.block_hashes.insert(U256::from(block.number()), hash);
        self.state.block_numbers.insert(hash, block.number());
        self.state.blocks.push(block);
        hash
    }

    /// Stores the RPC views of a sealed block's transactions and receipts.
    fn record(&mut self, block: &StoredBlock, executed: &[ExecutedTx]) {
        let mut first_log_index = 0;
        for (index, tx) in executed.iter().enumerate() {
            let at = Inclusion {
                block_hash: block.hash,
                block_number: block.number(),
                block_timestamp: block.header.timestamp,
                base_fee: BASE_FEE,
                index: index as u64,
                first_log_index,
            };
            first_log_index += tx.result.logs().len() as u64;
            let hash = tx.tx.hash();
            self.state.transactions.insert(hash, tx.rpc_transaction(at));
            self.state.receipts.insert(hash, tx.rpc_receipt(at));
        }
    }
}

/// The execution environment of a block built from `template`.
pub(super) fn block_env(template: &BlockTemplate) -> BlockEnv {
    BlockEnv {
        number: U256::from(template.number),
        timestamp: U256::from(template.timestamp),
        gas_limit: BLOCK_GAS_LIMIT,
        basefee: BASE_FEE,
        ..BlockEnv::default()
    }
}
