//! Closing what the gateway opened: retired sessions once their requests
//! are over (with the newest receipt), sessions about to expire, every
//! session on shutdown, and, after a restart, the sessions an earlier run
//! left open (with no receipt: the provider presents the newest one the
//! gateway signed, and the chain settles by it).

use std::sync::Arc;

use alloy::{
    primitives::Bytes,
    providers::Provider,
    rpc::types::{Filter, TransactionRequest},
    sol_types::{SolCall, SolEvent},
};
use anyhow::{Context, Result};
use bindings::{
    receipt::{close_call, phase, side::PAYER as PAYER_SIDE},
    IInferenceSessions,
};

use super::{unix_now, Book, Session};

impl Book {
    /// Looks after the sessions: retires those about to expire, closes the
    /// retired ones with no request in flight, answers a provider's close
    /// with a newer receipt, and settles closes whose window is over.
    /// Settled sessions are forgotten.
    ///
    /// # Errors
    /// The chain fails (every session is tried; the first error is kept).
    pub async fn tend(&self) -> Result<()> {
        self.retire_expiring().await;
        let retired: Vec<Arc<Session>> = self.retired.lock().await.clone();
        let mut first = Ok(());
        for session in retired {
            match self.settle(&session).await {
                Ok(true) => self.retired.lock().await.retain(|s| !Arc::ptr_eq(s, &session)),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(session = session.id, "settling: {e:#}");
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
            }
        }
        first
    }

    /// Retires every held session, closes them all (the requests in flight
    /// are given up: the process is stopping), and settles what it can.
    pub async fn close_all(&self) {
        let slots: Vec<_> = self.slots.lock().await.values().cloned().collect();
        for slot in slots {
            let held = slot.lock().await.take();
            self.retire_session(held).await;
        }
        let retired: Vec<Arc<Session>> = self.retired.lock().await.clone();
        for session in retired {
            if let Err(e) = self.close(&session).await {
                tracing::warn!(session = session.id, "closing on shutdown: {e:#}");
            }
        }
    }

    /// Closes (without a receipt) the sessions an earlier run of this
    /// gateway opened from block `from` on and left open, and finalizes its
    /// closes whose window is over. Returns how many it closed.
    ///
    /// # Errors
    /// The chain cannot be read.
    pub async fn recover(&self, from: u64) -> Result<usize> {
        let filter = Filter::new()
            .address(self.contract)
            .event_signature(IInferenceSessions::SessionOpened::SIGNATURE_HASH)
            .from_block(from);
        let logs = self.chain.get_logs(&filter).await.context("reading the sessions opened")?;
        let mut closed = 0;
        for log in logs {
            let Ok(opened) = IInferenceSessions::SessionOpened::decode_log_data(log.data()) else {
                continue;
            };
            if opened.requester != self.me {
                continue;
            }
            let id = opened.id;
            let sessions = IInferenceSessions::new(self.contract, &self.chain);
            let s = sessions.session(id).call().await.context("reading a session")?;
            match s.phase {
                phase::OPEN | phase::ACTIVE => {
                    self.send(close_call(id, None).abi_encode(), &format!("close session {id}"))
                        .await?;
                    closed += 1;
                }
                phase::CLOSING => {
                    let close =
                        sessions.settlement(id).call().await.context("reading the close")?;
                    self.finalize_when_due(id, close.closesAt).await?;
                }
                _ => {}
            }
        }
        Ok(closed)
    }

    /// Retires the held sessions that are about to expire (even when idle,
    /// so that their escrow comes back).
    async fn retire_expiring(&self) {
        let now = unix_now();
        let slots: Vec<_> = self.slots.lock().await.values().cloned().collect();
        for slot in slots {
            let mut held = slot.lock().await;
            let due = held
                .as_ref()
                .is_some_and(|s| now.saturating_add(self.terms.renew_before) >= s.expires);
            if due {
                let old = held.take();
                drop(held);
                self.retire_session(old).await;
            }
        }
    }

    /// Moves a retired session towards settlement; whether it is settled.
    async fn settle(&self, session: &Session) -> Result<bool> {
        let (newest, in_flight) = session.newest();
        let sessions = IInferenceSessions::new(self.contract, &self.chain);
        let s = sessions.session(session.id).call().await.context("reading the session")?;
        match s.phase {
            phase::OPEN | phase::ACTIVE if in_flight == 0 || unix_now() >= session.expires => {
                self.close(session).await?;
            }
            phase::CLOSING => {
                let presented =
                    sessions.settlement(session.id).call().await.context("reading the close")?;
                let newer = newest.is_some_and(|n| n.receipt.seq > presented.seq);
                if presented.closer != PAYER_SIDE && newer && unix_now() < presented.closesAt {
                    self.close(session).await?;
                } else {
                    self.finalize_when_due(session.id, presented.closesAt).await?;
                }
            }
            phase::SETTLED => return Ok(true),
            _ => {}
        }
        Ok(false)
    }

    /// Closes `session` with the newest receipt signed for it.
    async fn close(&self, session: &Session) -> Result<()> {
        let (newest, _) = session.newest();
        let receipt = newest.as_ref().map(|n| (&n.receipt, n.signature.as_slice()));
        let call = close_call(session.id, receipt);
        self.send(call.abi_encode(), &format!("close session {}", session.id)).await
    }

    /// Finalizes session `id` if its challenge window, ending at
    /// `closes_at`, is over.
    async fn finalize_when_due(&self, id: u64, closes_at: u64) -> Result<()> {
        if self.chain_time().await? >= closes_at {
            let call = IInferenceSessions::finalizeCall { id }.abi_encode();
            self.send(call, &format!("finalize session {id}")).await?;
        }
        Ok(())
    }

    /// Sends `data` to the sessions program as the gateway and waits for it
    /// to succeed.
    async fn send(&self, data: Vec<u8>, what: &str) -> Result<()> {
        let sender = self.sender.lock().await;
        let tx = TransactionRequest::default().to(self.contract).input(Bytes::from(data).into());
        sender
            .call(tx.clone())
            .await
            .map_err(|e| anyhow::anyhow!(describe(&e)))
            .with_context(|| format!("{what} would fail"))?;
        let receipt = sender
            .send_transaction(tx)
            .await
            .with_context(|| format!("sending {what}"))?
            .get_receipt()
            .await
            .with_context(|| format!("waiting for {what}"))?;
        anyhow::ensure!(receipt.status(), "{what} reverted");
        tracing::info!("{what}: done");
        Ok(())
    }
}

/// A failed call, with the program's typed error decoded when there is one.
fn describe(e: &alloy::transports::RpcError<alloy::transports::TransportErrorKind>) -> String {
    match e.as_error_resp().and_then(alloy::rpc::json_rpc::ErrorPayload::as_revert_data) {
        Some(data) => bindings::describe_revert(&data),
        None => e.to_string(),
    }
}
