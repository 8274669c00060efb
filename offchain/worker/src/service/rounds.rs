//! Commit and reveal, for requests of redundancy above one: the answer is
//! committed while the lease runs and revealed (a `fulfil` with the salt)
//! once every slot has committed or the commit window has closed, so no
//! other provider can copy it. The answer and its salt wait in
//! [`crate::commits`] between the two, on disk.

use alloy::{
    primitives::{Bytes, B256},
    sol_types::SolCall,
};
use anyhow::{Context, Result};
use bindings::IOracleBridge;

use super::Worker;
use crate::{
    commits::Commitment,
    metrics::Outcome,
    tracker::{Phase, Skip},
    txm::TxError,
};

impl Worker {
    /// Commits to `output` on `slot` of request `id`; the answer and salt
    /// are saved before the commitment is sent.
    pub(super) async fn commit(
        &mut self,
        id: u64,
        slot: u8,
        output: Bytes,
        tokens: (u32, u32),
    ) -> Result<&'static str> {
        let kept = Commitment::new(id, slot, output, tokens)?;
        let hidden = kept.hash(self.me);
        self.commits.keep(kept)?;
        let call = IOracleBridge::commitCall { id, slot, commitment: hidden };
        let what = format!("commit #{id}");
        match self.parts.txm.send(self.parts.bridge, call.abi_encode().into(), &what).await {
            Ok(_) => {
                tracing::info!(id, slot, "committed; revealing once reveals open");
                self.tracker.set_phase(id, Phase::Committed { slot });
                Ok("committed")
            }
            Err(TxError::Reverts { what, data }) => {
                tracing::info!("{what} refused: {}", bindings::describe_revert(&data));
                self.tracker.set_phase(id, Phase::Skipped(Skip::Refused));
                Ok("refused")
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reveals the answer committed on `slot` of request `id`.
    pub(super) async fn reveal(&mut self, id: u64, slot: u8) {
        let outcome = match self.try_reveal(id, slot).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!(id, "revealing failed: {e:#}");
                "failed"
            }
        };
        self.parts.metrics.fulfilments.get_or_create(&Outcome::of(outcome)).inc();
    }

    async fn try_reveal(&mut self, id: u64, slot: u8) -> Result<&'static str> {
        // Without its salt the answer cannot be revealed: the commitment
        // lapses (and is slashed); nothing else can be done.
        let kept = self
            .commits
            .get(id)
            .filter(|c| c.slot == slot)
            .cloned()
            .context("no saved answer for this commitment (state file lost?)")?;
        let call = IOracleBridge::fulfilCall {
            id,
            slot,
            output: kept.output,
            outputHash: B256::ZERO,
            outputUri: Bytes::new(),
            inputTokens: kept.tokens.0,
            outputTokens: kept.tokens.1,
            salt: kept.salt,
        };
        let what = format!("reveal #{id}");
        match self.parts.txm.send(self.parts.bridge, call.abi_encode().into(), &what).await {
            Ok(_) => {
                tracing::info!(id, slot, "revealed");
                self.tracker.set_phase(id, Phase::Delivered);
                Ok("ok")
            }
            // Reveals not open yet (a commitment of another provider is
            // still being mined): tried again on the next step.
            Err(TxError::Reverts { what, data }) => {
                tracing::info!("{what} refused: {}", bindings::describe_revert(&data));
                Ok("refused")
            }
            Err(e) => Err(e.into()),
        }
    }
}
