//! The sessions the gateway holds for its keys: one per key and model at a
//! time, opened on chain the first time a key asks for a model, used by
//! every request of that key for that model (several at once), renewed
//! when its cap is near or it is about to expire, and closed with the
//! newest receipt once nothing is in flight.
//!
//! The gateway is the sessions' requester (the delegate of each key), so
//! the chain charges the key's quota and the payer's credits. Each session
//! has a fresh random key held in memory only: after a restart the gateway
//! closes what it had opened without a receipt, which lets the provider
//! settle with the newest one the gateway signed ([`Book::recover`]). Lost
//! memory costs the payer nothing beyond what was served.

pub mod settle;
pub mod usage;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex as SyncMutex},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::{Eip712Domain, SolEvent, SolStruct},
};
use bindings::{
    receipt::{Receipt, SignedReceipt},
    IInferenceAccess, IInferenceSessions,
    IInferenceSessions::IInferenceSessionsErrors as SessionsError,
};
use tokio::sync::Mutex;

use self::usage::{Meter, Unsignable, Verdict};
use crate::{
    api_key::Claims,
    error::GatewayError,
    providers::{Providers, Route},
};

/// How the gateway sizes its sessions.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    /// The most a session may cost (lowered to the key's quota left).
    pub cap: U256,
    /// How long a session lasts, in seconds.
    pub duration: u64,
    /// A session this close to its expiry (seconds) is renewed.
    pub renew_before: u64,
}

/// One key's session for one model.
#[derive(Debug)]
pub struct Session {
    /// Its id on chain.
    pub id: u64,
    /// The provider serving it.
    pub route: Route,
    /// When it expires (chain time).
    pub expires: u64,
    slot: SlotKey,
    key: PrivateKeySigner,
    state: SyncMutex<State>,
}

#[derive(Debug)]
struct State {
    meter: Meter,
    newest: Option<SignedReceipt>,
    in_flight: usize,
    retired: bool,
}

/// A request admitted in a session: the session, and the receipt header to
/// send with it.
#[derive(Debug)]
pub struct Ticket {
    /// The session paying.
    pub session: Arc<Session>,
    /// The newest receipt signed for it, as the worker's header.
    pub receipt: Option<String>,
}

/// A key (collection, token) and a model.
type SlotKey = (Address, U256, u32);
type Slot = Arc<Mutex<Option<Arc<Session>>>>;

/// The gateway's sessions.
#[derive(Debug)]
pub struct Book {
    chain: DynProvider,
    /// Signs and sends the gateway's transactions, one at a time (one
    /// account, one nonce sequence).
    sender: Mutex<DynProvider>,
    me: Address,
    contract: Address,
    access: Address,
    domain: Eip712Domain,
    terms: Terms,
    providers: Arc<Providers>,
    slots: Mutex<HashMap<SlotKey, Slot>>,
    retired: Mutex<Vec<Arc<Session>>>,
}

/// Where the gateway's sessions live on chain and who it is there.
#[derive(Debug)]
pub struct Wiring {
    /// Reads the chain.
    pub chain: DynProvider,
    /// Sends as the gateway.
    pub sender: DynProvider,
    /// The gateway's account.
    pub me: Address,
    /// The sessions program.
    pub contract: Address,
    /// The access contract (quotas).
    pub access: Address,
    /// The chain's id.
    pub chain_id: u64,
}

impl Book {
    /// An empty book.
    pub fn new(wiring: Wiring, terms: Terms, providers: Arc<Providers>) -> Self {
        Self {
            domain: bindings::receipt::domain(wiring.chain_id, wiring.contract),
            chain: wiring.chain,
            sender: Mutex::new(wiring.sender),
            me: wiring.me,
            contract: wiring.contract,
            access: wiring.access,
            terms,
            providers,
            slots: Mutex::new(HashMap::new()),
            retired: Mutex::new(Vec::new()),
        }
    }

    /// The providers routed to.
    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Admits a request of key `claims` for `model` that forwards at most
    /// `bound_in` input and `max_out` output tokens: in the key's session
    /// for the model, opened or renewed first when needed.
    ///
    /// # Errors
    /// 402 when the key's quota or the payer's credits cannot pay for a
    /// session, 403 when the chain refuses the key, 503 when no provider
    /// serves the model, 502 when the chain fails.
    pub async fn ticket(
        &self,
        claims: &Claims,
        model: u32,
        tokens: (u64, u64),
    ) -> Result<Ticket, GatewayError> {
        let slot = {
            let mut slots = self.slots.lock().await;
            slots.entry((claims.collection, claims.token, model)).or_default().clone()
        };
        let mut held = slot.lock().await;
        let now = unix_now();
        if let Some(session) = held.as_ref() {
            if !session.usable(now, self.terms.renew_before, tokens) {
                let old = held.take();
                self.retire_session(old).await;
            }
        }
        let session = if let Some(session) = held.as_ref() {
            session.clone()
        } else {
            let opened = Arc::new(self.open(claims, model, tokens).await?);
            *held = Some(opened.clone());
            opened
        };
        drop(held);
        let receipt = {
            let mut state = session.lock();
            state.meter.forward(tokens.0, tokens.1);
            state.in_flight += 1;
            state.newest.as_ref().map(SignedReceipt::header)
        };
        Ok(Ticket { session, receipt })
    }

    /// Ends `ticket`'s request with the usage the provider reported (none:
    /// it failed), signing it when it is believable. A provider that
    /// reports what was not asked of it loses the session (and is skipped
    /// for a while).
    ///
    /// # Errors
    /// [`Unsignable`]: the session is retired.
    pub async fn finish(&self, ticket: Ticket, usage: Option<&Receipt>) -> Result<(), Unsignable> {
        let session = ticket.session;
        let judged = {
            let mut state = session.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
            match usage.map(|u| (u, state.meter.judge(u))) {
                Some((u, Ok(Verdict::Sign))) => {
                    let digest = u.eip712_signing_hash(&self.domain);
                    // A local key signing a 32-byte digest does not fail.
                    if let Ok(signature) = session.key.sign_hash_sync(&digest) {
                        state.meter.signed = Some(u.clone());
                        let signed = SignedReceipt {
                            receipt: u.clone(),
                            signature: signature.as_bytes().to_vec(),
                        };
                        state.newest = Some(signed);
                    }
                    Ok(())
                }
                Some((_, Ok(Verdict::Older))) | None => Ok(()),
                Some((_, Err(e))) => Err(e),
            }
        };
        if let Err(e) = &judged {
            tracing::warn!(session = session.id, provider = %session.route.address, "not signing: {e}");
            self.providers.mark_down(session.route.address).await;
            self.retire(&session).await;
        }
        judged
    }

    /// Stops using `session` for new requests (its provider refused or
    /// failed, or it is spent); it is closed once its requests are over.
    pub async fn retire(&self, session: &Arc<Session>) {
        let slot = self.slots.lock().await.get(&session.slot).cloned();
        if let Some(slot) = slot {
            let mut held = slot.lock().await;
            if held.as_ref().is_some_and(|h| Arc::ptr_eq(h, session)) {
                *held = None;
            }
        }
        self.retire_session(Some(session.clone())).await;
    }

    async fn retire_session(&self, session: Option<Arc<Session>>) {
        let Some(session) = session else { return };
        {
            let mut state = session.lock();
            if state.retired {
                return;
            }
            state.retired = true;
        }
        tracing::info!(session = session.id, "session retired");
        self.retired.lock().await.push(session);
    }

    /// Opens a session for `claims`' key and `model` with a provider that
    /// serves it, sized by the terms and the key's quota left.
    async fn open(
        &self,
        claims: &Claims,
        model: u32,
        tokens: (u64, u64),
    ) -> Result<Session, GatewayError> {
        let access = IInferenceAccess::new(self.access, &self.chain);
        let left = access
            .quotaLeft(claims.payer, claims.collection, claims.token)
            .call()
            .await
            .map_err(GatewayError::upstream)?;
        let route = self.providers.pick(model, None).await?;
        // A session that could not pay for the request that opens it is
        // not opened: its escrow would be locked for nothing.
        let terms =
            self.providers.registry().model(model).call().await.map_err(GatewayError::upstream)?;
        let needed = priced((terms.priceIn, terms.priceOut), tokens);
        if left.is_zero() || needed > left {
            return Err(quota_exhausted(left));
        }
        if needed > self.terms.cap {
            return Err(GatewayError::BadRequest(format!(
                "this request may cost {needed} credits, more than a session's cap of {}: ask for fewer max_tokens",
                self.terms.cap
            )));
        }
        let now = self.chain_time().await?;
        let expires = now.saturating_add(self.terms.duration);
        let cap = self.terms.cap.min(left);
        let key = PrivateKeySigner::random();
        let sender = self.sender.lock().await;
        let sessions = IInferenceSessions::new(self.contract, &*sender);
        let call = sessions.open(
            model,
            claims.payer,
            route.address,
            cap,
            expires,
            key.address(),
            claims.collection,
            claims.token,
        );
        call.call().await.map_err(|e| refused(&e, left))?;
        let receipt = call
            .send()
            .await
            .map_err(|e| refused(&e, left))?
            .get_receipt()
            .await
            .map_err(GatewayError::upstream)?;
        drop(sender);
        let id = receipt
            .inner
            .logs()
            .iter()
            .filter(|log| log.address() == self.contract)
            .find_map(|log| IInferenceSessions::SessionOpened::decode_log_data(log.data()).ok())
            .map(|opened| opened.id)
            .ok_or_else(|| GatewayError::upstream("the open transaction did not open a session"))?;
        let prices = IInferenceSessions::new(self.contract, &self.chain)
            .prices(id)
            .call()
            .await
            .map_err(GatewayError::upstream)?;
        tracing::info!(id, provider = %route.address, %cap, expires, "session opened");
        let meter = Meter {
            session: id,
            prices: (prices.priceIn, prices.priceOut),
            cap,
            allowed: (0, 0),
            signed: None,
        };
        Ok(Session {
            id,
            route,
            expires,
            slot: (claims.collection, claims.token, model),
            key,
            state: SyncMutex::new(State { meter, newest: None, in_flight: 0, retired: false }),
        })
    }

    /// The latest block's time.
    async fn chain_time(&self) -> Result<u64, GatewayError> {
        let block = self
            .chain
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(GatewayError::upstream)?
            .ok_or_else(|| GatewayError::upstream("the chain has no latest block"))?;
        Ok(block.header.timestamp)
    }
}

impl Session {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it cannot leave the state half-written
        // (every update is a plain assignment); keep serving.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a request of `tokens` may still go to this session at `now`:
    /// not retired, not about to expire, and its cap covers what is signed
    /// plus this request at the session's prices.
    fn usable(&self, now: u64, renew_before: u64, tokens: (u64, u64)) -> bool {
        let state = self.lock();
        let m = &state.meter;
        let spent = m.signed.as_ref().map_or(U256::ZERO, |s| s.cost);
        let this = priced(m.prices, tokens);
        !state.retired
            && now.saturating_add(renew_before) < self.expires
            && spent.saturating_add(this) <= m.cap
    }

    /// The newest receipt signed, and the requests in flight.
    pub fn newest(&self) -> (Option<SignedReceipt>, usize) {
        let state = self.lock();
        (state.newest.clone(), state.in_flight)
    }
}

/// What `tokens` (in, out) cost at `prices` (in, out), at most.
fn priced(prices: (U256, U256), tokens: (u64, u64)) -> U256 {
    prices
        .0
        .saturating_mul(U256::from(tokens.0))
        .saturating_add(prices.1.saturating_mul(U256::from(tokens.1)))
}

/// The 402 for a key whose quota cannot pay for a session.
fn quota_exhausted(left: U256) -> GatewayError {
    GatewayError::PaymentRequired {
        code: "quota_exhausted",
        message: format!(
            "this key's quota left for the period ({left} credits) cannot pay for this request: wait for the next period, ask for fewer max_tokens, or ask the community for a larger quota"
        ),
        quota_left: left,
    }
}

/// The chain's refusal of an open, as the client should see it.
fn refused(e: &alloy::contract::Error, left: U256) -> GatewayError {
    match e.as_decoded_interface_error::<SessionsError>() {
        Some(SessionsError::QuotaExceeded(q)) => quota_exhausted(q.left),
        Some(SessionsError::LedgerCallFailed(_)) => GatewayError::PaymentRequired {
            code: "credits_exhausted",
            message:
                "the community's credits cannot pay for a session: the payer's balance is too low"
                    .into(),
            quota_left: left,
        },
        Some(SessionsError::NotAuthorized(n)) => GatewayError::Forbidden {
            code: "not_authorized",
            message: format!(
                "the payer {} no longer lets this key spend through this gateway (sign in again)",
                n.payer
            ),
        },
        Some(SessionsError::ModelNotAllowed(m)) => GatewayError::Forbidden {
            code: "model_not_allowed",
            message: format!("the community's policy does not allow model {}", m.model),
        },
        Some(SessionsError::ProviderIneligible(p)) => GatewayError::NoProvider(p.model),
        _ => GatewayError::upstream(format!("opening a session: {e}")),
    }
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
