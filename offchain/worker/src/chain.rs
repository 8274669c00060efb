//! Reading the bridge: providers with timeouts, and the log poller that
//! reads events in bounded ranges behind a confirmation depth and notices
//! reorganisations by the recorded block hashes.

use std::time::Duration;

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::{
        client::RpcClient,
        types::{Filter, Log},
    },
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
    transports::http::{reqwest, Http},
};
use anyhow::{Context, Result};
use bindings::IOracleBridge;

use crate::{
    cursor::Cursor,
    tracker::{Event, Request},
};

/// A provider for `url` whose every call gives up after `timeout`; with a
/// `signer`, it signs the transactions it sends (every other field is
/// filled by the transaction manager, so no filler is installed).
pub fn provider(
    url: &str,
    timeout: Duration,
    signer: Option<PrivateKeySigner>,
) -> Result<DynProvider> {
    let url = url.parse().with_context(|| format!("{url} is not a URL"))?;
    let http =
        reqwest::Client::builder().timeout(timeout).build().context("building the HTTP client")?;
    let client = RpcClient::new(Http::with_client(http, url), false);
    let builder = ProviderBuilder::new().disable_recommended_fillers();
    Ok(match signer {
        Some(signer) => {
            builder.wallet(EthereumWallet::from(signer)).connect_client(client).erased()
        }
        None => builder.connect_client(client).erased(),
    })
}

/// Attempts per read before a poll gives up (a flaky node usually answers
/// the second time).
pub const READ_ATTEMPTS: u32 = 3;

/// Runs the read `f` up to [`READ_ATTEMPTS`] times, backing off between.
pub async fn retry<T, E, F, Fut>(what: &str, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::IntoFuture<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut attempt = 1;
    loop {
        match f().await {
            Ok(value) => return Ok(value),
            Err(e) if attempt >= READ_ATTEMPTS => anyhow::bail!("{what}: {e}"),
            Err(e) => {
                tracing::debug!(attempt, "{what}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// What one poll found.
#[derive(Debug)]
pub enum Poll {
    /// Nothing new is confirmed yet.
    Idle,
    /// Events of the blocks read, in order.
    Events(Vec<Event>),
    /// The chain reorganised: blocks from `from` on are read again, and
    /// what was learnt from them is to be forgotten.
    Reorg {
        /// The first block to read again.
        from: u64,
    },
}

/// Reads the bridge's events.
#[derive(Debug, Clone)]
pub struct Poller {
    provider: DynProvider,
    bridge: Address,
    confirmations: u64,
    max_range: u64,
}

impl Poller {
    /// A poller of `bridge`'s events.
    pub fn new(provider: DynProvider, bridge: Address, confirmations: u64, max_range: u64) -> Self {
        Self { provider, bridge, confirmations, max_range: max_range.max(1) }
    }

    async fn hash_of(&self, number: u64) -> Result<Option<B256>> {
        let tag = BlockNumberOrTag::Number(number);
        let block = retry("reading a block", || self.provider.get_block_by_number(tag)).await?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Reads the next confirmed range after `cursor` and advances it.
    pub async fn poll(&self, cursor: &mut Cursor) -> Result<Poll> {
        if let Some((number, hash)) = cursor.last() {
            if self.hash_of(number).await.context("reading the last block read")? != Some(hash) {
                return self.rewind(cursor).await;
            }
        }
        let head = retry("reading the head", || self.provider.get_block_number()).await?;
        let safe = head.saturating_sub(self.confirmations);
        let from = cursor.next_block;
        if from > safe {
            return Ok(Poll::Idle);
        }
        let to = safe.min(from.saturating_add(self.max_range - 1));
        let before = self.hash_of(to).await?.context("a confirmed block is missing")?;
        let filter = Filter::new().address(self.bridge).from_block(from).to_block(to);
        let logs = retry("reading logs", || self.provider.get_logs(&filter)).await?;
        // A reorg between the two reads would mix two histories: read again.
        if self.hash_of(to).await? != Some(before) {
            return Ok(Poll::Events(Vec::new()));
        }
        let events = logs.iter().filter_map(decode).collect();
        cursor.advance(to, before);
        Ok(Poll::Events(events))
    }

    async fn rewind(&self, cursor: &mut Cursor) -> Result<Poll> {
        let mut canonical = std::collections::HashMap::new();
        for &(number, kept) in cursor.hashes.iter().rev() {
            let now = self.hash_of(number).await?;
            canonical.insert(number, now);
            if now == Some(kept) {
                break;
            }
        }
        let from = cursor.rewind(|n| canonical.get(&n).copied().flatten());
        tracing::warn!(from, "chain reorganised: reading again");
        Ok(Poll::Reorg { from })
    }
}

/// Decodes one of the bridge's logs; anything else (or a log that does not
/// decode: never trusted to be well formed) is skipped with a warning.
pub fn decode(log: &Log) -> Option<Event> {
    let block = log.block_number?;
    let topic = *log.topic0()?;
    let decoded =
        match topic {
            IOracleBridge::Requested::SIGNATURE_HASH => {
                IOracleBridge::Requested::decode_log(&log.inner).map(|e| {
                    Event::Requested(Box::new(Request {
                        id: e.id,
                        model: e.model,
                        payer: e.payer,
                        requester: e.requester,
                        input_tokens: e.inputTokens,
                        max_output_tokens: e.maxOutputTokens,
                        deadline: e.deadline,
                        redundancy: e.redundancy,
                        prompt: e.data.prompt.clone(),
                        prompt_hash: e.promptHash,
                        prompt_uri: e.data.promptUri.clone(),
                        encrypted: e.encrypted,
                        requester_key: e.requesterKey,
                        providers: e.data.providers.clone(),
                        block,
                    }))
                })
            }
            IOracleBridge::LeaseClaimed::SIGNATURE_HASH => {
                IOracleBridge::LeaseClaimed::decode_log(&log.inner).map(|e| Event::LeaseClaimed {
                    id: e.id,
                    slot: e.slot,
                    provider: e.provider,
                    expires: e.expires,
                })
            }
            IOracleBridge::LeaseReopened::SIGNATURE_HASH => {
                IOracleBridge::LeaseReopened::decode_log(&log.inner).map(|e| Event::LeaseReopened {
                    id: e.id,
                    slot: e.slot,
                    provider: e.provider,
                })
            }
            // A lease handed back frees its slot as a reopened one does.
            IOracleBridge::LeaseAbandoned::SIGNATURE_HASH => {
                IOracleBridge::LeaseAbandoned::decode_log(&log.inner)
                    .map(|e| Event::LeaseReopened { id: e.id, slot: e.slot, provider: e.provider })
            }
            IOracleBridge::Committed::SIGNATURE_HASH => {
                IOracleBridge::Committed::decode_log(&log.inner).map(|e| Event::Committed {
                    id: e.id,
                    slot: e.slot,
                    provider: e.provider,
                    reveal_at: e.revealAt,
                })
            }
            IOracleBridge::Fulfilled::SIGNATURE_HASH => {
                IOracleBridge::Fulfilled::decode_log(&log.inner).map(|e| Event::Fulfilled {
                    id: e.id,
                    slot: e.slot,
                    provider: e.provider,
                })
            }
            IOracleBridge::Ended::SIGNATURE_HASH => {
                IOracleBridge::Ended::decode_log(&log.inner).map(|e| Event::Ended { id: e.id })
            }
            _ => return None,
        };
    decoded.map_err(|e| tracing::warn!(%topic, block, "undecodable bridge log: {e}")).ok()
}
