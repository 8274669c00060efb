//! Signed transactions: decoding, sender recovery and conversion to revm's input.

use super::error::{ChainError, ChainResult};
use alloy_consensus::{transaction::SignerRecoverable, Transaction as _, TxEnvelope};
use alloy_eips::Decodable2718;
use alloy_primitives::{Address, B256};
use revm::context::TxEnv;
use serde::{Deserialize, Serialize};

/// A signed transaction with its recovered sender, waiting to be mined.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingTx {
    /// The signed transaction.
    pub envelope: TxEnvelope,
    /// The address that signed it.
    pub sender: Address,
}

impl PendingTx {
    /// Decodes an EIP-2718 encoded transaction (as `eth_sendRawTransaction`
    /// receives it), checks it is of a supported type and chain, and recovers
    /// its sender.
    pub fn decode(mut raw: &[u8], chain_id: u64) -> ChainResult<Self> {
        let envelope = TxEnvelope::decode_2718(&mut raw)
            .map_err(|e| ChainError::InvalidParams(format!("invalid transaction encoding: {e}")))?;
        if !raw.is_empty() {
            return Err(ChainError::InvalidParams("trailing bytes after the transaction".into()));
        }
        if envelope.is_eip4844() || envelope.is_eip7702() {
            return Err(ChainError::InvalidParams(format!(
                "unsupported transaction type {}: only legacy, EIP-2930 and EIP-1559 are",
                envelope.tx_type()
            )));
        }
        // Legacy transactions without EIP-155 carry no chain id; they are
        // accepted, as every dev node does, so old deploy scripts keep working.
        if let Some(id) = envelope.chain_id() {
            if id != chain_id {
                return Err(ChainError::InvalidParams(format!(
                    "transaction is for chain id {id}, this chain is {chain_id}"
                )));
            }
        }
        let sender = envelope
            .recover_signer()
            .map_err(|e| ChainError::InvalidParams(format!("invalid signature: {e}")))?;
        Ok(Self { envelope, sender })
    }

    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        *self.envelope.tx_hash()
    }

    /// The transaction as revm executes it.
    pub fn tx_env(&self) -> TxEnv {
        let tx = &self.envelope;
        TxEnv {
            tx_type: tx.tx_type() as u8,
            caller: self.sender,
            gas_limit: tx.gas_limit(),
            gas_price: tx.max_fee_per_gas(),
            kind: tx.kind(),
            value: tx.value(),
            data: tx.input().clone(),
            nonce: tx.nonce(),
            chain_id: tx.chain_id(),
            access_list: tx.access_list().cloned().unwrap_or_default(),
            gas_priority_fee: tx.max_priority_fee_per_gas(),
            ..TxEnv::default()
        }
    }
}
