//! Receipts and RPC transaction objects for mined transactions.

use super::tx::PendingTx;
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, Transaction as _};
use alloy_primitives::{Address, Log, B256};
use alloy_rpc_types_eth::{Transaction, TransactionReceipt};
use revm::context::result::{ExecutionResult, HaltReason, Output};

/// A transaction that ran in a block under construction.
#[derive(Debug)]
pub(super) struct ExecutedTx {
    /// The transaction and its sender.
    pub tx: PendingTx,
    /// What happened when it ran.
    pub result: ExecutionResult<HaltReason>,
    /// Gas used by this and all earlier transactions of the block.
    pub cumulative_gas_used: u64,
}

/// Where a transaction sits in the chain once its block is sealed.
#[derive(Clone, Copy, Debug)]
pub(super) struct Inclusion {
    /// The block's hash.
    pub block_hash: B256,
    /// The block's number.
    pub block_number: u64,
    /// The block's timestamp.
    pub block_timestamp: u64,
    /// The block's base fee.
    pub base_fee: u64,
    /// The transaction's position in the block.
    pub index: u64,
    /// The block-wide index of the transaction's first log.
    pub first_log_index: u64,
}

impl ExecutedTx {
    /// The consensus receipt, as hashed into the receipts root.
    pub(super) fn consensus_receipt(&self) -> ReceiptEnvelope<Log> {
        self.receipt_envelope(self.result.logs().to_vec())
    }

    fn receipt_envelope<L>(&self, logs: Vec<L>) -> ReceiptEnvelope<L>
    where
        L: AsRef<Log>,
    {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.result.is_success()),
            cumulative_gas_used: self.cumulative_gas_used,
            logs,
        };
        ReceiptEnvelope::from_typed(self.tx.envelope.tx_type(), receipt.with_bloom())
    }

    /// The address a contract creation deployed to, if any.
    fn contract_address(&self) -> Option<Address> {
        match &self.result {
            ExecutionResult::Success { output: Output::Create(_, address), .. } => *address,
            _ => None,
        }
    }

    /// The receipt as `eth_getTransactionReceipt` returns it.
    pub(super) fn rpc_receipt(&self, at: Inclusion) -> TransactionReceipt {
        let logs = self.result.logs().iter().enumerate().map(|(i, log)| alloy_rpc_types_eth::Log {
            inner: log.clone(),
            block_hash: Some(at.block_hash),
            block_number: Some(at.block_number),
            block_timestamp: Some(at.block_timestamp),
            transaction_hash: Some(self.tx.hash()),
            transaction_index: Some(at.index),
            log_index: Some(at.first_log_index + i as u64),
            removed: false,
        });
        TransactionReceipt {
            inner: self.receipt_envelope(logs.collect()),
            transaction_hash: self.tx.hash(),
            transaction_index: Some(at.index),
            block_hash: Some(at.block_hash),
            block_number: Some(at.block_number),
            gas_used: self.result.tx_gas_used(),
            effective_gas_price: self.tx.envelope.effective_gas_price(Some(at.base_fee)),
            blob_gas_used: None,
            blob_gas_price: None,
            from: self.tx.sender,
            to: self.tx.envelope.to(),
            contract_address: self.contract_address(),
        }
    }

    /// The transaction as `eth_getTransactionByHash` returns it.
    pub(super) fn rpc_transaction(&self, at: Inclusion) -> Transaction {
        Transaction {
            inner: alloy_consensus::transaction::Recovered::new_unchecked(
                self.tx.envelope.clone(),
                self.tx.sender,
            ),
            block_hash: Some(at.block_hash),
            block_number: Some(at.block_number),
            transaction_index: Some(at.index),
            effective_gas_price: Some(self.tx.envelope.effective_gas_price(Some(at.base_fee))),
            block_timestamp: Some(at.block_timestamp),
        }
    }
}
