//! The timed part: pre-signed transfers sent with `eth_sendRawTransaction`,
//! and `eth_call` latency.

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
    network::TransactionBuilder,
    primitives::{Address, Bytes, TxKind, B256, U256},
    providers::{Provider, RootProvider},
    rpc::types::TransactionRequest,
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::SolCall,
};
use anyhow::{bail, Context as _};
use std::time::{Duration, Instant};

use crate::setup::IErc20;

/// How long, after the last send, the receipts may take before the ones
/// missing are counted as such.
const RECEIPT_TIMEOUT: Duration = Duration::from_mins(2);

/// One sender's transactions, signed in nonce order.
struct Lane {
    raw: Vec<Bytes>,
    hashes: Vec<B256>,
}

/// What one timed run measured.
#[derive(Debug)]
pub(crate) struct Throughput {
    /// From the first send until the last receipt was seen.
    pub(crate) elapsed: Duration,
    /// Transfers per second.
    pub(crate) tps: f64,
    /// How many of the transfers reverted (all should succeed).
    pub(crate) reverted: usize,
    /// How many accepted transfers had no receipt when the run ended (all
    /// should have one).
    pub(crate) missing: usize,
}

/// Signs `total` transfers of one unit of `token` to `recipient`, spread over
/// `signers` as evenly as possible, each sender's with consecutive nonces
/// starting at its current one. Fees come from the node's own suggestion.
async fn sign_lanes(
    provider: &RootProvider,
    signers: &[PrivateKeySigner],
    token: Address,
    recipient: Address,
    total: usize,
) -> anyhow::Result<Vec<Lane>> {
    let chain_id = provider.get_chain_id().await?;
    let input: Bytes =
        IErc20::transferCall { to: recipient, amount: U256::from(1) }.abi_encode().into();
    let estimate = provider
        .estimate_gas(
            TransactionRequest::default()
                .with_from(signers[0].address())
                .with_to(token)
                .with_input(input.clone()),
        )
        .await?;
    let tip = provider.get_max_priority_fee_per_gas().await?;
    // Twice the current price: the base fee may move during the run on anvil.
    let max_fee = provider.get_gas_price().await? * 2 + tip;
    let mut lanes = Vec::with_capacity(signers.len());
    for (index, signer) in signers.iter().enumerate() {
        let count = total / signers.len() + usize::from(index < total % signers.len());
        let first = provider.get_transaction_count(signer.address()).pending().await?;
        let mut lane = Lane { raw: Vec::with_capacity(count), hashes: Vec::with_capacity(count) };
        for nonce in first..first + count as u64 {
            let tx = TxEip1559 {
                chain_id,
                nonce,
                // Headroom over the estimate; unused gas is refunded.
                gas_limit: estimate * 2,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to: TxKind::Call(token),
                value: U256::ZERO,
                access_list: alloy::eips::eip2930::AccessList::default(),
                input: input.clone(),
            };
            let signature = signer.sign_hash_sync(&tx.signature_hash())?;
            let envelope = TxEnvelope::from(tx.into_signed(signature));
            lane.hashes.push(*envelope.tx_hash());
            lane.raw.push(envelope.encoded_2718().into());
        }
        lanes.push(lane);
    }
    Ok(lanes)
}

/// Sends `total` pre-signed transfers from one HTTP client with
/// `signers.len()` requests in flight (one lane per sender, so each sender's
/// nonces arrive in order: the devnode mines each transaction as it arrives
/// and rejects a nonce gap, where anvil would queue it), waits for every
/// lane's last receipt and then checks, untimed, that every transfer
/// succeeded.
pub(crate) async fn transfers(
    provider: &RootProvider,
    signers: &[PrivateKeySigner],
    token: Address,
    recipient: Address,
    total: usize,
) -> anyhow::Result<Throughput> {
    let mut lanes = sign_lanes(provider, signers, token, recipient, total).await?;
    // Everything a lane needs is ready before the clock starts.
    let mut work = Vec::with_capacity(lanes.len());
    let mut last = Vec::with_capacity(lanes.len());
    for lane in &mut lanes {
        last.push(*lane.hashes.last().context("every lane has a transaction")?);
        let raw = std::mem::take(&mut lane.raw);
        work.push((provider.clone(), raw.into_iter().zip(lane.hashes.clone())));
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (provider, raw) in work {
        tasks.spawn(async move {
            for (tx, hash) in raw {
                let sent =
                    provider.send_raw_transaction(&tx).await.context("eth_sendRawTransaction")?;
                if *sent.tx_hash() != hash {
                    bail!("the node reports hash {} for transaction {hash}", sent.tx_hash());
                }
            }
            Ok(())
        });
    }
    while let Some(lane) = tasks.join_next().await {
        lane??;
    }
    // Only now poll, one lane after the other: polling while other lanes
    // still send would load a node that mines asynchronously (anvil) with
    // extra requests that a node mining inside the send (the devnode) never
    // sees. A lane's last receipt implies its earlier nonces are mined.
    let deadline = Instant::now() + RECEIPT_TIMEOUT;
    for hash in last {
        if !wait_for_receipt(provider, hash, deadline).await? {
            eprintln!("no receipt for {hash} within {RECEIPT_TIMEOUT:?} of the last send");
        }
    }
    let elapsed = started.elapsed();
    let (mut reverted, mut missing) = (0, 0);
    for hash in lanes.iter().flat_map(|l| &l.hashes) {
        match provider.get_transaction_receipt(*hash).await? {
            Some(receipt) if !receipt.status() => reverted += 1,
            Some(_) => {}
            None => missing += 1,
        }
    }
    let count = f64::from(u32::try_from(total)?);
    Ok(Throughput { elapsed, tps: count / elapsed.as_secs_f64(), reverted, missing })
}

/// Polls for the receipt of `hash` until it exists (`true`) or `deadline`
/// passes (`false`).
async fn wait_for_receipt(
    provider: &RootProvider,
    hash: B256,
    deadline: Instant,
) -> anyhow::Result<bool> {
    while provider.get_transaction_receipt(hash).await?.is_none() {
        if Instant::now() > deadline {
            return Ok(false);
        }
        // Short, so the poll interval adds at most about a millisecond.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(true)
}

/// Median and 99th percentile of `calls` sequential `balanceOf` calls.
pub(crate) async fn call_latency(
    provider: &RootProvider,
    token: Address,
    who: Address,
    calls: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let request = TransactionRequest::default()
        .with_to(token)
        .with_input(IErc20::balanceOfCall { who }.abi_encode());
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let out = provider.call(request.clone()).await?;
        samples.push(started.elapsed());
        // A wrong answer would make a fast time meaningless.
        if IErc20::balanceOfCall::abi_decode_returns(&out)?.is_zero() {
            bail!("balanceOf({who}) is zero: the setup did not fund the sender");
        }
    }
    samples.sort_unstable();
    Ok((percentile(&samples, 50), percentile(&samples, 99)))
}

/// The `p`th percentile (nearest rank) of sorted, non-empty `samples`.
fn percentile(samples: &[Duration], p: usize) -> Duration {
    let rank = (samples.len() * p).div_ceil(100).max(1);
    samples[rank - 1]
}
