//! Serving inference sessions: the provider's half of the sessions program
//! (`oracle-bridge/inference-sessions`).
//!
//! A client opens a session on chain naming this worker (or any provider)
//! and sends chat requests with `X-Computefi-Session: <id>`. On the first
//! one the worker reads the session's terms and, when it is still open,
//! accepts it on chain (which locks its collateral). Each request carries
//! the newest receipt the client signed (`X-Computefi-Receipt`); the worker
//! verifies it against the session key, admits the answer only within the
//! cap and while few enough answers lack a receipt ([`account`]), meters it
//! in the model's own tokens, and returns the cumulative usage for the
//! client to sign next (`computefi` in the answer). The worker closes a
//! session with the newest receipt when asked to (and on shutdown), answers
//! a close by the payer's side with its newest receipt, and settles its own
//! closes once their window is over ([`SessionDesk::tend`]).

pub mod account;
pub mod receipt;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider},
    sol_types::{Eip712Domain, SolCall},
};
use anyhow::{Context, Result};
use bindings::{
    receipt::{phase, side::PROVIDER as PROVIDER_SIDE},
    IInferenceSessions,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::{chat_api::ApiError, txm::TxManager};
use account::{Account, Refusal, Reservation, Terms, Usage};
use receipt::SignedReceipt;

/// Where the worker's sessions live and how it serves them.
#[derive(Debug, Clone, Copy)]
pub struct DeskConfig {
    /// The sessions program.
    pub contract: Address,
    /// The registry id of the model this worker serves.
    pub model: u32,
    /// Answers served that may lack a receipt before the next is refused.
    pub max_unsigned: u64,
}

/// A session's newest receipt as kept on disk (`sessions.json` in the state
/// folder), so that a restarted worker can still close with it.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    session: u64,
    /// The `X-Computefi-Receipt` header value.
    receipt: String,
}

/// The sessions this worker serves.
pub struct SessionDesk {
    provider: DynProvider,
    txm: Arc<TxManager>,
    config: DeskConfig,
    domain: Eip712Domain,
    accounts: Mutex<HashMap<u64, Account>>,
    /// Where the newest receipts are kept (none: memory only).
    kept: Option<PathBuf>,
}

impl std::fmt::Debug for SessionDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionDesk").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The program's view of a session.
struct OnChain {
    payer: Address,
    provider: Address,
    key: Address,
    model: u32,
    phase: u8,
    cap: U256,
    expires: u64,
}

impl SessionDesk {
    /// A desk for the sessions program of `config` on the chain `provider`
    /// reads, sending through `txm` (whose account is this worker's),
    /// keeping receipts in `kept` (a JSON file; none: memory only) and
    /// taking up again the sessions whose receipts it finds there.
    ///
    /// # Errors
    /// The chain id or the file cannot be read.
    pub async fn new(
        provider: DynProvider,
        txm: Arc<TxManager>,
        config: DeskConfig,
        kept: Option<PathBuf>,
    ) -> Result<Self> {
        let chain_id = provider.get_chain_id().await.context("reading the chain id")?;
        let domain = receipt::domain(chain_id, config.contract);
        let desk =
            Self { provider, txm, config, domain, accounts: Mutex::new(HashMap::new()), kept };
        desk.resume().await?;
        Ok(desk)
    }

    /// Takes up the sessions whose receipts were kept and that still await
    /// their settlement with this worker.
    async fn resume(&self) -> Result<()> {
        let Some(path) = &self.kept else { return Ok(()) };
        let kept: Vec<Kept> = crate::store::load(path, "kept receipts")?;
        let mut accounts = self.accounts.lock().await;
        for k in kept {
            let Ok(signed) = SignedReceipt::parse(k.session, &k.receipt) else { continue };
            let s = self.read(k.session).await?;
            let live = s.phase == phase::ACTIVE || s.phase == phase::CLOSING;
            if !live || s.provider != self.txm.from() {
                continue;
            }
            let prices = self.prices(k.session).await?;
            let terms = Terms { key: s.key, cap: s.cap, prices, expires: s.expires };
            accounts.insert(k.session, Account::resumed(terms, signed));
        }
        Ok(())
    }

    /// Writes the newest receipt of every session to the kept file.
    fn keep_all(&self, accounts: &HashMap<u64, Account>) {
        let Some(path) = &self.kept else { return };
        let kept: Vec<Kept> = accounts
            .iter()
            .filter_map(|(id, a)| a.best().map(|b| Kept { session: *id, receipt: b.header() }))
            .collect();
        if let Err(e) = crate::store::save(path, &kept) {
            tracing::warn!("keeping the sessions' receipts: {e:#}");
        }
    }

    /// Admits an answer in session `id` of at most `tokens` (prompt,
    /// output limit), after keeping the client's newest `receipt` (the
    /// header's value).
    ///
    /// # Errors
    /// 402 when the session is not this worker's to serve, the receipt is
    /// malformed or not the session key's, the cap is reached, or receipts
    /// are missing; 503 when the chain cannot be read.
    pub async fn admit(
        &self,
        id: u64,
        receipt: Option<&str>,
        tokens: (u64, u64),
    ) -> Result<Reservation, ApiError> {
        // A session seen for the first time is taken on without holding the
        // lock: accepting it waits for a transaction, and other sessions'
        // answers must not wait with it.
        if !self.accounts.lock().await.contains_key(&id) {
            let terms = self.take_on(id).await?;
            self.accounts.lock().await.entry(id).or_insert_with(|| Account::new(terms));
        }
        let mut accounts = self.accounts.lock().await;
        let Some(account) = accounts.get_mut(&id) else {
            // Settled and forgotten by `tend` in between.
            return Err(ApiError::payment_required(
                "the session has settled",
                "session_unavailable",
            ));
        };
        if now() >= account.terms.expires {
            return Err(ApiError::payment_required("the session has expired", "session_expired"));
        }
        let kept = match receipt {
            Some(header) => self.verified(id, header, account)?,
            None => false,
        };
        let admitted = account.admit(tokens, self.config.max_unsigned);
        if kept {
            self.keep_all(&accounts);
        }
        admitted.map_err(|r| refusal(id, &r))
    }

    /// Keeps the client's newest `receipt` for session `id` without an
    /// answer (a client that signed its last answer's usage hands it over
    /// at once, so that the provider can close with it); whether it was
    /// newer than the one held.
    ///
    /// # Errors
    /// 402 when the session is not served here or the receipt is malformed
    /// or not the session key's.
    pub async fn keep_receipt(&self, id: u64, receipt: &str) -> Result<bool, ApiError> {
        let mut accounts = self.accounts.lock().await;
        let Some(account) = accounts.get_mut(&id) else {
            return Err(ApiError::payment_required(
                &format!("session {id} is not served here"),
                "session_unavailable",
            ));
        };
        let kept = self.verified(id, receipt, account)?;
        if kept {
            self.keep_all(&accounts);
        }
        Ok(kept)
    }

    /// Checks the receipt header `header` against session `id`'s key and
    /// keeps it in `account` when it is the newest.
    fn verified(&self, id: u64, header: &str, account: &mut Account) -> Result<bool, ApiError> {
        let invalid = |e: receipt::ReceiptError| {
            ApiError::payment_required(&e.to_string(), "invalid_receipt")
        };
        let signed = SignedReceipt::parse(id, header).map_err(invalid)?;
        signed.verify(&self.domain, account.terms.key).map_err(invalid)?;
        Ok(account.keep(signed))
    }

    /// Records the answer `reservation` admitted in session `id`; returns
    /// the usage for the client to sign.
    pub async fn complete(&self, id: u64, reservation: Reservation, tokens: (u64, u64)) -> Usage {
        let mut accounts = self.accounts.lock().await;
        accounts.get_mut(&id).map_or_else(Usage::default, |a| a.complete(reservation, tokens))
    }

    /// Gives back what a failed answer in session `id` reserved.
    pub async fn release(&self, id: u64, reservation: Reservation) {
        if let Some(a) = self.accounts.lock().await.get_mut(&id) {
            a.release(reservation);
        }
    }

    /// What session `id` has used and the newest receipt for it.
    pub async fn account(&self, id: u64) -> Option<(Usage, Option<SignedReceipt>)> {
        let accounts = self.accounts.lock().await;
        accounts.get(&id).map(|a| (a.used(), a.best().cloned()))
    }

    /// Reads session `id` and, when it is open for this worker, accepts it.
    async fn take_on(&self, id: u64) -> Result<Terms, ApiError> {
        let s = self.read(id).await.map_err(|e| ApiError::unavailable(&format!("{e:#}")))?;
        let me = self.txm.from();
        let ours = s.provider == me || (s.provider.is_zero() && s.phase == phase::OPEN);
        let unusable = |why: &str| ApiError::payment_required(why, "session_unavailable");
        if !ours || s.payer.is_zero() {
            return Err(unusable(&format!("session {id} is not this provider's to serve")));
        }
        if s.model != self.config.model {
            return Err(unusable(&format!("session {id} is for model {}", s.model)));
        }
        match s.phase {
            phase::OPEN => {
                let call = IInferenceSessions::acceptCall { id }.abi_encode();
                let accepted = self
                    .txm
                    .send(self.config.contract, Bytes::from(call), &format!("accept session {id}"))
                    .await;
                // Two first requests at once: the other one's accept won.
                if let Err(e) = accepted {
                    let now = self
                        .read(id)
                        .await
                        .map_err(|e| ApiError::unavailable(&format!("{e:#}")))?;
                    if now.phase != phase::ACTIVE || now.provider != me {
                        return Err(unusable(&e.to_string()));
                    }
                }
            }
            phase::ACTIVE => {}
            _ => return Err(unusable(&format!("session {id} is closing or settled"))),
        }
        let prices = self.prices(id).await.map_err(|e| ApiError::unavailable(&format!("{e:#}")))?;
        Ok(Terms { key: s.key, cap: s.cap, prices, expires: s.expires })
    }

    async fn read(&self, id: u64) -> Result<OnChain> {
        let sessions = IInferenceSessions::new(self.config.contract, &self.provider);
        let s = sessions.session(id).call().await.context("reading the session")?;
        Ok(OnChain {
            payer: s.payer,
            provider: s.provider,
            key: s.sessionKey,
            model: s.model,
            phase: s.phase,
            cap: s.cap,
            expires: s.expires,
        })
    }

    /// The prices session `id` was opened at.
    async fn prices(&self, id: u64) -> Result<(U256, U256)> {
        let sessions = IInferenceSessions::new(self.config.contract, &self.provider);
        let p = sessions.prices(id).call().await.context("reading the session's prices")?;
        Ok((p.priceIn, p.priceOut))
    }

    /// Closes session `id` (or answers a close) with the newest receipt,
    /// when it is newer than the one presented already; otherwise with
    /// none, which agrees.
    ///
    /// # Errors
    /// The program refuses it, or the chain fails.
    pub async fn close(&self, id: u64) -> Result<()> {
        let sessions = IInferenceSessions::new(self.config.contract, &self.provider);
        let presented = sessions.settlement(id).call().await.context("reading the close")?.seq;
        let best = self.account(id).await.and_then(|(_, best)| best);
        let best = best.filter(|b| b.receipt.seq > presented);
        let call = close_call(id, best.as_ref());
        self.txm.send(self.config.contract, call, &format!("close session {id}")).await?;
        Ok(())
    }

    /// Closes every session still served with its newest receipt (on
    /// shutdown: the worker keeps receipts in memory only).
    pub async fn close_all(&self) {
        let ids: Vec<u64> = self.accounts.lock().await.keys().copied().collect();
        for id in ids {
            match self.read(id).await {
                Ok(s) if s.phase == phase::ACTIVE => {
                    if let Err(e) = self.close(id).await {
                        tracing::warn!(id, "closing the session: {e:#}");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(id, "reading the session: {e:#}"),
            }
        }
    }

    /// Looks after every session served: answers a close by the payer's
    /// side (or by anyone, after expiry) with the newest receipt, closes an
    /// expired one, and settles its own closes once their window is over.
    /// Settled sessions are forgotten.
    ///
    /// # Errors
    /// The chain fails (each session is tried; the first error is kept).
    pub async fn tend(&self) -> Result<()> {
        let ids: Vec<u64> = self.accounts.lock().await.keys().copied().collect();
        let mut first = Ok(());
        for id in ids {
            if let Err(e) = self.tend_one(id).await {
                tracing::warn!(id, "session: {e:#}");
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    async fn tend_one(&self, id: u64) -> Result<()> {
        let s = self.read(id).await?;
        let sessions = IInferenceSessions::new(self.config.contract, &self.provider);
        let settlement = sessions.settlement(id).call().await.context("reading the close")?;
        let now = now();
        let contract = self.config.contract;
        match s.phase {
            // The payer's side (or anyone, after expiry) closed: present
            // the newest receipt, or agree.
            phase::CLOSING if settlement.closer != PROVIDER_SIDE => self.close(id).await?,
            phase::CLOSING if settlement.closer == PROVIDER_SIDE && now >= settlement.closesAt => {
                let call = Bytes::from(IInferenceSessions::finalizeCall { id }.abi_encode());
                self.txm.send(contract, call, &format!("finalize session {id}")).await?;
            }
            phase::ACTIVE if now >= s.expires => self.close(id).await?,
            phase::SETTLED => {
                let mut accounts = self.accounts.lock().await;
                accounts.remove(&id);
                self.keep_all(&accounts);
            }
            _ => {}
        }
        Ok(())
    }
}

/// `close(id, ...)` with `best` (none: a close with no receipt).
fn close_call(id: u64, best: Option<&SignedReceipt>) -> Bytes {
    let receipt = best.map(|b| (&b.receipt, b.signature.as_slice()));
    Bytes::from(bindings::receipt::close_call(id, receipt).abi_encode())
}

/// The 402 for a refused answer.
fn refusal(id: u64, r: &Refusal) -> ApiError {
    match r {
        Refusal::CapReached(c) => ApiError::payment_required(
            &format!(
                "session {id} cannot pay for this answer: it may cost {} credits, and {} are \
                 used and {} reserved of the cap of {}; open a new session",
                c.needed, c.used, c.reserved, c.cap
            ),
            "session_cap_reached",
        ),
        Refusal::Unsigned { served, signed } => ApiError::payment_required(
            &format!(
                "session {id}: {served} answers served and receipts signed up to {signed}; send \
                 the newest receipt in X-Computefi-Receipt"
            ),
            "receipt_required",
        ),
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
