//! Delivering answers. A request of redundancy 1 is answered by `fulfil`,
//! which settles it at once. With redundancy k >= 2 every leaseholder first
//! commits to `keccak256(digest ‖ provider ‖ salt)` (`commit`) and reveals
//! (`fulfil` with the salt) only once every slot has committed or the commit window (one lease length after the
//! first commitment, at most to the deadline) has closed: no provider can
//! copy another's answer. The last reveal (or `refund` after the reveal
//! window) tallies: a strict majority settles without the arbiter.
//!
//! Agreement is on the answer's digest: `keccak256(output)` for an inline
//! plain answer, and for an answer by URI or a sealed one the digest of the
//! plaintext the provider declares (`outputHash`), so that answers sealed to
//! the requester can still agree.

use alloy_primitives::{keccak256, Address, B256, U32, U8};
use contract_kit::{events::emit, market::commitment};
use stylus_sdk::abi::Bytes;

use crate::{
    errors::{
        CommitmentMismatch, Committed, DeadlinePassed, Error, Fulfilled, InvalidSize, WrongPhase,
    },
    intake::{time, MAX_OUTPUT_BYTES},
    settlement::Ruling,
    state::{Phase, SEALED},
    OracleBridge,
};

/// An answer as delivered: the inline output, its declared digest and URI,
/// and the reported input and output tokens.
pub(crate) struct Answer<'a> {
    pub(crate) output: &'a [u8],
    pub(crate) output_hash: B256,
    pub(crate) output_uri: Bytes,
    pub(crate) tokens: (u32, u32),
}

impl OracleBridge {
    /// The digest results agree on (see the module's documentation).
    fn digest(&self, id: u64, a: &Answer) -> Result<B256, Error> {
        let sealed = self.requests.get(id).flags.get().to::<u8>() & SEALED != 0;
        if a.output.len() > MAX_OUTPUT_BYTES {
            return Err(InvalidSize {}.into());
        }
        if !a.output_hash.is_zero() && (a.output.is_empty() || sealed) {
            return Ok(a.output_hash);
        }
        if a.output.is_empty() {
            return Err(InvalidSize {}.into());
        }
        Ok(keccak256(a.output))
    }

    fn announce(provider: Address, (id, slot): (u64, u8), digest: B256, a: Answer) {
        emit(Fulfilled {
            id,
            slot,
            provider,
            outputHash: digest,
            inputTokens: a.tokens.0,
            outputTokens: a.tokens.1,
            output: a.output.to_vec().into(),
            outputUri: a.output_uri.0.into(),
        });
    }

    /// A delivery: with redundancy 1 the leaseholder's answer settles the
    /// request; with more it is the reveal of a committed answer. Returns
    /// the answer's digest and the digest paid, if the request settled.
    pub(crate) fn deliver(
        &mut self,
        provider: Address,
        (id, slot): (u64, u8),
        answer: Answer,
        salt: B256,
        now: u64,
    ) -> Result<(B256, Option<B256>), Error> {
        if self.requests.get(id).redundancy.get().to::<u8>() != 1 {
            let digest = self.reveal_slot(provider, (id, slot), answer, salt, now)?;
            let r = self.requests.get(id);
            let paid =
                if r.revealed.get() == r.committed.get() { self.tally(id, now)? } else { None };
            return Ok((digest, paid));
        }
        self.held(provider, (id, slot), Phase::Leased)?;
        self.live((id, slot), now)?;
        let digest = self.digest(id, &answer)?;
        let tokens = answer.tokens;
        Self::announce(provider, (id, slot), digest, answer);
        self.leases.setter(id).setter(slot).phase.set(Phase::Revealed.byte());
        self.settle(id, Ruling::Pay(digest), Some((slot, digest, tokens)))?;
        Ok((digest, Some(digest)))
    }

    /// Redundancy k >= 2: the leaseholder commits to its hidden answer.
    pub(crate) fn commit_slot(
        &mut self,
        provider: Address,
        (id, slot): (u64, u8),
        hidden: B256,
        now: u64,
    ) -> Result<(), Error> {
        self.held(provider, (id, slot), Phase::Leased)?;
        let r = self.requests.get(id);
        let k = r.redundancy.get().to::<u8>();
        if k == 1 || hidden.is_zero() {
            return Err(WrongPhase { id, slot }.into());
        }
        self.live((id, slot), now)?;
        let deadline = r.deadline.get().to::<u64>();
        let mut reveal_at = r.reveal_at.get().to::<u64>();
        let committed = r.committed.get().to::<u8>() + 1;
        if reveal_at == 0 {
            reveal_at = now.saturating_add(self.settings.lease_seconds.get().to()).min(deadline);
        }
        if committed == k {
            reveal_at = now;
        }
        let mut lease = self.leases.setter(id);
        let mut lease = lease.setter(slot);
        lease.hash.set(hidden);
        lease.phase.set(Phase::Committed.byte());
        let mut r = self.requests.setter(id);
        r.committed.set(U8::from(committed));
        r.reveal_at.set(time(reveal_at));
        emit(Committed { id, slot, provider, revealAt: reveal_at });
        Ok(())
    }

    /// Redundancy k >= 2: the committed leaseholder reveals its answer and
    /// `salt`; returns the answer's digest.
    fn reveal_slot(
        &mut self,
        provider: Address,
        (id, slot): (u64, u8),
        answer: Answer,
        salt: B256,
        now: u64,
    ) -> Result<B256, Error> {
        self.held(provider, (id, slot), Phase::Committed)?;
        let r = self.requests.get(id);
        let reveal_at = r.reveal_at.get().to::<u64>();
        if now < reveal_at {
            return Err(WrongPhase { id, slot }.into());
        }
        if now >= self.reveal_end(reveal_at) {
            return Err(DeadlinePassed { id }.into());
        }
        let digest = self.digest(id, &answer)?;
        if commitment(digest, provider, salt) != self.leases.get(id).get(slot).hash.get() {
            return Err(CommitmentMismatch { id, slot }.into());
        }
        let revealed = r.revealed.get() + U8::from(1);
        let tokens = answer.tokens;
        Self::announce(provider, (id, slot), digest, answer);
        let mut lease = self.leases.setter(id);
        let mut lease = lease.setter(slot);
        lease.hash.set(digest);
        lease.phase.set(Phase::Revealed.byte());
        lease.input_tokens.set(U32::from(tokens.0));
        lease.output_tokens.set(U32::from(tokens.1));
        self.requests.setter(id).revealed.set(revealed);
        Ok(digest)
    }

    /// When the reveal window that opens at `reveal_at` closes.
    pub(crate) fn reveal_end(&self, reveal_at: u64) -> u64 {
        reveal_at.saturating_add(self.settings.lease_seconds.get().to())
    }
}
