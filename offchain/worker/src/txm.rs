//! The one transaction manager: every transaction of the worker goes
//! through it, one at a time, so nonces never collide. It simulates each
//! call first (a revert costs nothing and is reported with its decoded
//! error), keeps the nonce in memory and resyncs it from the chain when the
//! node disagrees, bumps the fee of a transaction that is not mined in
//! time (same nonce, so at most one of them lands), and retries RPC errors
//! a bounded number of times.

use std::time::Duration;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use thiserror::Error;
use tokio::sync::Mutex;

use crate::config::TxConfig;

/// Why a transaction did not land.
#[derive(Debug, Error)]
pub enum TxError {
    /// The call reverts: `data` is the revert data (empty for a trap).
    #[error("{what} reverts ({})", bindings::describe_revert(data))]
    Reverts {
        /// What was being sent.
        what: String,
        /// The revert data.
        data: Bytes,
    },
    /// It was mined but reverted.
    #[error("{what}: transaction {tx} reverted on chain")]
    RevertedOnChain {
        /// What was sent.
        what: String,
        /// The transaction.
        tx: B256,
    },
    /// The node kept failing.
    #[error("{what}: gave up after {attempts} attempts: {last}")]
    GaveUp {
        /// What was being sent.
        what: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: String,
    },
}

/// Sends the worker's transactions.
pub struct TxManager {
    provider: DynProvider,
    from: Address,
    chain_id: u64,
    config: TxConfig,
    nonce: Mutex<Option<u64>>,
}

/// A fee bump: +12.5 %, the least most nodes accept for a replacement,
/// rounded up.
fn bump(fee: u128) -> u128 {
    fee + fee.div_ceil(8)
}

impl TxManager {
    /// A manager sending from `from` through `provider` (which holds the key).
    pub fn new(provider: DynProvider, from: Address, chain_id: u64, config: TxConfig) -> Self {
        Self { provider, from, chain_id, config, nonce: Mutex::new(None) }
    }

    /// The sending account.
    pub fn from(&self) -> Address {
        self.from
    }

    /// Simulates `data` to `to`; the revert data when it would revert.
    pub async fn simulate(&self, to: Address, data: &Bytes, what: &str) -> Result<(), TxError> {
        let tx =
            TransactionRequest::default().with_from(self.from).with_to(to).with_input(data.clone());
        match self.provider.call(tx).await {
            Ok(_) => Ok(()),
            Err(e) => match e
                .as_error_resp()
                .and_then(alloy::rpc::json_rpc::ErrorPayload::as_revert_data)
            {
                Some(data) => Err(TxError::Reverts { what: what.to_owned(), data }),
                None if e.as_error_resp().is_some_and(|r| r.message.contains("revert")) => {
                    Err(TxError::Reverts { what: what.to_owned(), data: Bytes::new() })
                }
                None => {
                    Err(TxError::GaveUp { what: what.to_owned(), attempts: 1, last: e.to_string() })
                }
            },
        }
    }

    /// Simulates, sends and waits for `data` to `to` to be mined.
    pub async fn send(
        &self,
        to: Address,
        data: Bytes,
        what: &str,
    ) -> Result<TransactionReceipt, TxError> {
        let mut nonce = self.nonce.lock().await;
        let mut last = String::new();
        for attempt in 1..=self.config.max_retries.max(1) {
            self.simulate(to, &data, what).await?;
            match self.attempt(&mut nonce, to, &data, what).await {
                Ok(receipt) if receipt.status() => return Ok(receipt),
                Ok(receipt) => {
                    return Err(TxError::RevertedOnChain {
                        what: what.to_owned(),
                        tx: receipt.transaction_hash,
                    })
                }
                Err(e) => {
                    tracing::warn!(attempt, what, "send failed: {e:#}");
                    // The node may know a nonce we do not (or the other way round).
                    *nonce = None;
                    last = format!("{e:#}");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
        Err(TxError::GaveUp {
            what: what.to_owned(),
            attempts: self.config.max_retries.max(1),
            last,
        })
    }

    /// One send with its fee bumps. Keeps `nonce` current.
    async fn attempt(
        &self,
        nonce: &mut Option<u64>,
        to: Address,
        data: &Bytes,
        what: &str,
    ) -> anyhow::Result<TransactionReceipt> {
        let n = match *nonce {
            Some(n) => n,
            None => self.provider.get_transaction_count(self.from).pending().await?,
        };
        let base =
            TransactionRequest::default().with_from(self.from).with_to(to).with_input(data.clone());
        let gas = self.provider.estimate_gas(base.clone()).await?;
        let fees = self.provider.estimate_eip1559_fees().await?;
        let (mut max_fee, mut tip) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas);
        let mut sent = Vec::new();
        for bumps in 0..=self.config.max_bumps {
            let tx = base
                .clone()
                .with_nonce(n)
                .with_chain_id(self.chain_id)
                .with_gas_limit(gas + gas / 4)
                .with_max_fee_per_gas(max_fee)
                .with_max_priority_fee_per_gas(tip);
            match self.provider.send_transaction(tx).await {
                Ok(pending) => sent.push(*pending.tx_hash()),
                // A replacement the node refuses still leaves the earlier one in flight.
                Err(e) if !sent.is_empty() => tracing::warn!(what, "fee bump refused: {e}"),
                Err(e) => return Err(e.into()),
            }
            let wait = Duration::from_secs(self.config.receipt_timeout_secs);
            if let Some(receipt) = self.mined_one_of(&sent, wait).await? {
                *nonce = Some(n + 1);
                return Ok(receipt);
            }
            tracing::warn!(what, bumps, "not mined in time: bumping the fee");
            (max_fee, tip) = (bump(max_fee), bump(tip));
        }
        anyhow::bail!("not mined after {} fee bumps", self.config.max_bumps)
    }

    /// Waits up to `wait` for any of `hashes` (one nonce) to be mined.
    async fn mined_one_of(
        &self,
        hashes: &[B256],
        wait: Duration,
    ) -> anyhow::Result<Option<TransactionReceipt>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            for hash in hashes {
                if let Some(receipt) = self.provider.get_transaction_receipt(*hash).await? {
                    return Ok(Some(receipt));
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bump;

    #[test]
    fn bumps_are_at_least_an_eighth_and_grow() {
        assert_eq!(bump(8), 9);
        assert_eq!(bump(1), 2);
        assert_eq!(bump(100), 113);
        assert!(bump(u128::from(u64::MAX)) > u128::from(u64::MAX));
    }
}
