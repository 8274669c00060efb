//! The worker's loop: read the bridge's confirmed events, read the prompts
//! of new requests, decide with the tracker, claim leases it can serve in
//! time after what it holds, answer with the model and fulfil, persisting
//! its cursor (and the sealed prompts' encs) after every step.

use std::{collections::HashMap, path::PathBuf, sync::Arc, time::Instant};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider},
    sol_types::{SolCall, SolEvent},
};
use anyhow::{Context, Result};
use bindings::IOracleBridge;
use inference::Backend;
use sealing::{Keypair, Purpose};

use crate::{
    chain::{Poll, Poller},
    commits::Commitments,
    cursor::{Cursor, CursorFile},
    fetch::Fetcher,
    metrics::{Metrics, Outcome},
    prompt::{by_uri, Read, Reader},
    seen::SeenEncs,
    tracker::{Action, Budget, Phase, Request, Skip, Tracker},
    txm::{TxError, TxManager},
};

mod rounds;

/// The bridge's cap on an inline output (`oracle_bridge::MAX_OUTPUT_BYTES`).
pub const MAX_OUTPUT_BYTES: usize = 8 * 1024;

/// What the worker is told to serve, and with what.
pub struct Parts {
    /// Reads the chain.
    pub reader: DynProvider,
    /// Sends the worker's transactions.
    pub txm: TxManager,
    /// The oracle bridge.
    pub bridge: Address,
    /// The model id served.
    pub model: u32,
    /// The system prompt.
    pub system_prompt: Option<String>,
    /// Runs the model.
    pub backend: Arc<dyn Backend>,
    /// Opens sealed prompts.
    pub seal_key: Option<Keypair>,
    /// Where the cursor is saved.
    pub cursor_file: CursorFile,
    /// Where the encs of opened sealed prompts are saved (next to the cursor).
    pub seen_file: PathBuf,
    /// Where answers committed to and not yet revealed are kept.
    pub commits_file: PathBuf,
    /// Fetches prompts given by URI.
    pub fetcher: Fetcher,
    /// Where to start without a saved cursor.
    pub start_block: u64,
    /// Confirmations before acting on a log.
    pub confirmations: u64,
    /// Most blocks per log read.
    pub max_block_range: u64,
    /// Seconds kept in hand beyond the estimated inference time.
    pub margin_seconds: u64,
    /// Seconds a lease lasts on this bridge.
    pub lease_seconds: u64,
    /// Where to count.
    pub metrics: Arc<Metrics>,
}

/// The running worker.
pub struct Worker {
    parts: Parts,
    me: Address,
    chain_id: u64,
    poller: Poller,
    tracker: Tracker,
    cursor: Cursor,
    reader: Reader,
    seen: SeenEncs,
    commits: Commitments,
    seen_at: HashMap<u64, Instant>,
}

impl Worker {
    /// Loads the saved cursor (reading again from the earliest request that
    /// was open, so the tracker is rebuilt from the chain) and connects.
    pub async fn new(mut parts: Parts) -> Result<Self> {
        let chain_id = parts.reader.get_chain_id().await.context("reading the chain id")?;
        let me = parts.txm.from();
        let cursor = match parts.cursor_file.load()? {
            Some(saved) => Cursor { next_block: saved.resume_block(), ..saved },
            None => Cursor::starting_at(parts.start_block),
        };
        tracing::info!(%me, next_block = cursor.next_block, "worker starting");
        let poller = Poller::new(
            parts.reader.clone(),
            parts.bridge,
            parts.confirmations,
            parts.max_block_range,
        );
        let tracker = Tracker::new(me, parts.model);
        let reader = Reader {
            chain_id,
            bridge: parts.bridge,
            system_prompt: parts.system_prompt.clone(),
            backend: parts.backend.clone(),
            seal_key: parts.seal_key.take(),
            fetcher: parts.fetcher.clone(),
        };
        let seen = SeenEncs::load(&parts.seen_file)?;
        let commits = Commitments::load(&parts.commits_file)?;
        Ok(Self {
            parts,
            me,
            chain_id,
            poller,
            tracker,
            cursor,
            reader,
            seen,
            commits,
            seen_at: HashMap::new(),
        })
    }

    /// Requests tracked.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Whether it holds a lease it has not delivered.
    pub fn holds_leases(&self) -> bool {
        self.tracker.has_leases()
    }

    /// One round: read, decide, act, save. `accepting` false (shutting
    /// down) serves held leases but claims nothing new. Returns whether
    /// anything was read or done.
    pub async fn step(&mut self, accepting: bool) -> Result<bool> {
        let mut busy = false;
        match self.poller.poll(&mut self.cursor).await {
            Ok(Poll::Idle) => {}
            Ok(Poll::Events(events)) => {
                busy = !events.is_empty();
                for event in &events {
                    if let crate::tracker::Event::Requested(r) = event {
                        self.seen_at.entry(r.id).or_insert_with(Instant::now);
                    }
                    self.tracker.apply(event);
                }
                self.parts.metrics.events.inc_by(events.len() as u64);
            }
            Ok(Poll::Reorg { from }) => {
                self.tracker.forget_after(from.saturating_sub(1));
                self.seen.forget_after(from.saturating_sub(1));
                self.parts.metrics.reorgs.inc();
                busy = true;
            }
            Err(e) => {
                self.parts.metrics.poll_errors.inc();
                tracing::warn!("poll failed: {e:#}");
            }
        }
        // Requests that ended without our answer (or vanished in a reorg)
        // leave the tracker; their start times go with them, so a
        // long-running worker does not keep one per request ever seen.
        let tracker = &self.tracker;
        self.seen_at.retain(|id, _| tracker.get(*id).is_some());
        let now = self.chain_time().await?;
        self.read_prompts(now).await;
        self.seen.prune(now);
        let budget = Budget { lease: self.parts.lease_seconds, margin: self.parts.margin_seconds };
        let backend = self.parts.backend.clone();
        let cost = |r: &Request, tokens: u32| {
            let d = backend.estimate(tokens, r.max_output_tokens);
            d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
        };
        for action in self.tracker.actions(now, budget, cost) {
            busy = true;
            match action {
                Action::Claim(id) if accepting => self.claim(id).await,
                Action::Claim(_) => {}
                Action::Serve { id, slot } => self.serve(id, slot).await,
                Action::Reveal { id, slot } => self.reveal(id, slot).await,
                Action::Abandon { id, slot } => self.abandon(id, slot).await,
            }
        }
        self.cursor.open_from = self.tracker.open_from();
        self.parts.cursor_file.save(&self.cursor)?;
        self.seen.save()?;
        let tracker = &self.tracker;
        self.commits.retain(|id| {
            tracker.get(id).is_some_and(|(_, phase)| !matches!(phase, Phase::Delivered))
        })?;
        self.parts.metrics.tracked.set(i64::try_from(self.tracker.len()).unwrap_or(i64::MAX));
        self.parts.metrics.set_ready(true);
        Ok(busy)
    }

    /// Reads the prompts of requests not read yet (URIs fetched at once),
    /// so that nothing is claimed that cannot be run.
    async fn read_prompts(&mut self, now: u64) {
        let unread: Vec<Request> =
            self.tracker.unread().into_iter().filter(|r| now < r.deadline).collect();
        if unread.is_empty() {
            return;
        }
        let mut fetched = self.reader.fetch_all(&unread).await;
        for r in &unread {
            let bytes = if by_uri(r) {
                // Past the fetches of this step: read on the next one.
                let Some(bytes) = fetched.remove(&r.id) else { continue };
                bytes
            } else if r.prompt.is_empty() {
                Err(anyhow::anyhow!("no inline prompt, and no URI with a hash"))
            } else {
                Ok(r.prompt.to_vec())
            };
            let outcome = match self.reader.read(r, bytes, &mut self.seen).await {
                Read::Ready(prompt) => {
                    tracing::debug!(id = r.id, tokens = prompt.input_tokens, "prompt read");
                    self.tracker.set_prompt(r.id, prompt);
                    "ok"
                }
                Read::Refused(why, detail) => {
                    tracing::info!(id = r.id, ?why, "not serving: {detail}");
                    self.tracker.refuse(r.id, why);
                    match why {
                        Skip::UnderDeclared => "under-declared",
                        Skip::Replayed => "replayed",
                        _ => "unreadable",
                    }
                }
                Read::Later(e) => {
                    tracing::warn!(id = r.id, "reading the prompt: {e:#}");
                    "later"
                }
            };
            self.parts.metrics.prompts.get_or_create(&Outcome::of(outcome)).inc();
        }
    }

    /// Gives back the lease on `slot` of request `id`, which can no longer
    /// be served before it ends: abandoning costs a tenth of the lease's
    /// collateral (the registry's `abandonBps`), a lapse all of it, and the
    /// slot reopens at once for someone who can serve it. The tracker has
    /// already stopped serving it.
    async fn abandon(&mut self, id: u64, slot: u8) {
        let data: Bytes = IOracleBridge::abandonCall { id, slot }.abi_encode().into();
        let what = format!("abandon #{id}");
        let outcome = match self.parts.txm.send(self.parts.bridge, data, &what).await {
            Ok(_) => {
                tracing::warn!(id, slot, "abandoned a lease it could no longer serve in time");
                "ok"
            }
            // Already delivered, expired or reopened: nothing left to give back.
            Err(TxError::Reverts { what, data }) => {
                tracing::info!("{what} refused: {}", bindings::describe_revert(&data));
                "refused"
            }
            Err(e) => {
                tracing::warn!("{e}");
                "failed"
            }
        };
        if outcome == "ok" {
            self.parts.metrics.abandoned.inc();
        }
    }

    async fn chain_time(&self) -> Result<u64> {
        let reader = &self.parts.reader;
        let block = crate::chain::retry("reading the latest block", || {
            reader.get_block_by_number(BlockNumberOrTag::Latest)
        })
        .await?;
        Ok(block.context("the chain has no latest block")?.header.timestamp)
    }

    async fn claim(&mut self, id: u64) {
        let data: Bytes = IOracleBridge::claimCall { id }.abi_encode().into();
        let outcome =
            match self.parts.txm.send(self.parts.bridge, data, &format!("claim #{id}")).await {
                Ok(receipt) => {
                    let lease = receipt.inner.logs().iter().find_map(|log| {
                        IOracleBridge::LeaseClaimed::decode_log(&log.inner)
                            .ok()
                            .filter(|e| e.id == id && e.provider == self.me)
                    });
                    match lease {
                        Some(e) => {
                            tracing::info!(id, slot = e.slot, expires = e.expires, "lease claimed");
                            self.tracker
                                .set_phase(id, Phase::Leased { slot: e.slot, expires: e.expires });
                            "ok"
                        }
                        None => "no-lease-event",
                    }
                }
                Err(TxError::Reverts { what, data }) => {
                    tracing::info!("{what} refused: {}", bindings::describe_revert(&data));
                    self.tracker.set_phase(id, Phase::Skipped(Skip::Refused));
                    "refused"
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    "failed"
                }
            };
        self.parts.metrics.claims.get_or_create(&Outcome::of(outcome)).inc();
    }

    async fn serve(&mut self, id: u64, slot: u8) {
        let outcome = match self.try_serve(id, slot).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!(id, "serving failed: {e:#}");
                "failed"
            }
        };
        self.parts.metrics.fulfilments.get_or_create(&Outcome::of(outcome)).inc();
    }

    async fn try_serve(&mut self, id: u64, slot: u8) -> Result<&'static str> {
        let request = self.tracker.get(id).context("untracked request")?.0.clone();
        // The chain decides: after a restart or a reorg, the lease may be
        // gone or already delivered.
        let bridge = IOracleBridge::new(self.parts.bridge, &self.parts.reader);
        let read = IOracleBridge::leaseOfCall { id, slot };
        let (b, r) = (&bridge, &read);
        let lease =
            crate::chain::retry(
                "reading the lease",
                || async move { b.call_builder(r).call().await },
            )
            .await?;
        if lease.provider != self.me {
            self.tracker.set_phase(id, Phase::New);
            return Ok("lease-gone");
        }
        if lease.phase >= LEASE_REVEALED {
            self.tracker.set_phase(id, Phase::Delivered);
            return Ok("already-delivered");
        }
        // Claimed only once read; after a restart it is read again first.
        let Some(prompt) = self.tracker.prompt(id) else {
            return Ok("unread-prompt");
        };
        let chat = self.reader.chat(&request, prompt.user.clone());
        let completion = self.parts.backend.complete(&chat).await.context("inference")?;
        self.parts.metrics.inference_seconds.observe(completion.elapsed.as_secs_f64());
        self.parts.metrics.tokens_generated.inc_by(u64::from(completion.output_tokens));
        let output = self.output_bytes(&request, &completion.text)?;
        if request.redundancy > 1 {
            let tokens = (completion.input_tokens, completion.output_tokens);
            return self.commit(id, slot, output, tokens).await;
        }
        let call = IOracleBridge::fulfilCall {
            id,
            slot,
            output,
            outputHash: B256::ZERO,
            outputUri: Bytes::new(),
            inputTokens: completion.input_tokens,
            outputTokens: completion.output_tokens,
            // Redundancy 1 only: nothing was committed, so no salt.
            salt: B256::ZERO,
        };
        match self
            .parts
            .txm
            .send(self.parts.bridge, call.abi_encode().into(), &format!("fulfil #{id}"))
            .await
        {
            Ok(_) => {
                if let Some(seen) = self.seen_at.remove(&id) {
                    self.parts
                        .metrics
                        .request_to_fulfilment_seconds
                        .observe(seen.elapsed().as_secs_f64());
                }
                tracing::info!(id, tokens = completion.output_tokens, "fulfilled");
                self.tracker.set_phase(id, Phase::Delivered);
                Ok("ok")
            }
            Err(TxError::Reverts { what, data }) => {
                tracing::info!("{what} refused: {}", bindings::describe_revert(&data));
                self.tracker.set_phase(id, Phase::Skipped(Skip::Refused));
                Ok("refused")
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The answer as it goes on chain: sealed to the requester when the
    /// request is sealed, and cut to the bridge's cap (at a character).
    fn output_bytes(&self, r: &Request, text: &str) -> Result<Bytes> {
        let overhead = if r.encrypted { sealing::MIN_SEALED_LEN } else { 0 };
        let text = cut(text, MAX_OUTPUT_BYTES - overhead);
        if !r.encrypted {
            return Ok(Bytes::copy_from_slice(text.as_bytes()));
        }
        let context = sealing::Context::answer(self.chain_id, self.parts.bridge.into(), r.id);
        let sealed = sealing::seal(&r.requester_key.0, Purpose::Answer, &context, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("sealing the answer: {e}"))?;
        Ok(sealed.into())
    }
}

/// The bridge's lease phase once an answer is in (`leaseOf`'s `phase`).
const LEASE_REVEALED: u8 = 4;

/// `text` cut to at most `max` bytes at a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_keeps_characters_whole() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
    }
}
