//! The Compute-Fi gateway: a key holder (or the AI's agent key, through its
//! token-bound account) signs in once with EIP-4361 and gets an API key;
//! any `OpenAI` SDK or chat UI then chats through the gateway, which pays
//! with on-chain sessions on the key's quota: it opens and renews them,
//! routes to providers that serve the model, signs a receipt for each
//! answer it forwarded, closes them, and answers 402 when the quota or the
//! credits run out and 429 over the key's limits.
//!
//! Routes: `GET /v1/auth/nonce`, `POST /v1/auth/login`, `GET /v1/models`,
//! `POST /v1/chat/completions`, `GET /healthz`, `GET /metrics`.

pub mod api_key;
pub mod config;
pub mod error;
pub mod limits;
mod metrics;
pub mod providers;
pub mod proxy;
pub mod sessions;
pub mod sign_in;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::client::RpcClient,
    signers::local::PrivateKeySigner,
    transports::http::Http,
};
use anyhow::{Context, Result};
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

pub use crate::metrics::Metrics;
use crate::{
    api_key::{Claims, Keyring},
    config::{Config, LimitsConfig, ModelEntry},
    error::GatewayError,
    limits::Limits,
    providers::Providers,
    sessions::{unix_now, Book, Terms, Wiring},
    sign_in::{Login, SignIn, SignInRules},
};

/// The gateway's parts, shared by its routes.
#[derive(Debug)]
pub struct Gateway {
    /// Issues and checks API keys and nonces.
    pub keyring: Keyring,
    /// Checks sign-ins on chain.
    pub sign_in: SignIn,
    /// The sessions held.
    pub book: Arc<Book>,
    /// Per-key limits.
    pub limits: Limits,
    /// The models served by name.
    pub models: Vec<ModelEntry>,
    /// The AI NFT, for models `ai:<id>`.
    pub ai_nft: Option<Address>,
    /// Reads the chain.
    pub chain: DynProvider,
    /// Request bounds.
    pub bounds: LimitsConfig,
    /// Talks to providers.
    pub http: reqwest::Client,
    /// Counters.
    pub metrics: Metrics,
}

impl Gateway {
    /// Builds the gateway of `config` with signing key `key`: reads the
    /// chain's id, connects to the chain.
    ///
    /// # Errors
    /// The RPC URL is malformed or the chain cannot be reached.
    pub async fn new(config: &Config, key: PrivateKeySigner) -> Result<Arc<Self>> {
        let timeout = Duration::from_millis(config.chain.rpc_timeout_ms);
        let chain = rpc(&config.chain.rpc_url, timeout, None)?;
        let sender = rpc(&config.chain.rpc_url, timeout, Some(key.clone()))?;
        let chain_id = chain.get_chain_id().await.context("reading the chain id")?;
        let me = key.address();
        let discover = config.discover_providers.then_some(config.chain.from_block);
        let providers = Providers::new(
            chain.clone(),
            config.chain.registry,
            config.providers.clone(),
            discover,
        );
        let s = &config.sessions;
        let terms =
            Terms { cap: s.cap, duration: s.duration_secs, renew_before: s.renew_before_secs };
        let wiring = Wiring {
            chain: chain.clone(),
            sender,
            me,
            contract: config.chain.sessions,
            access: config.chain.access,
            chain_id,
        };
        let rules = SignInRules {
            domain: config.sign_in.domain.clone(),
            chain_id,
            nonce_ttl: Duration::from_secs(config.sign_in.nonce_ttl_secs),
            key_ttl: Duration::from_secs(config.sign_in.key_ttl_secs),
        };
        let l = &config.limits;
        // Both secrets come from the signing key: nothing else to keep.
        let secret = alloy::primitives::keccak256(
            [b"computefi-gateway-keys".as_slice(), key.to_bytes().as_slice()].concat(),
        );
        Ok(Arc::new(Self {
            keyring: Keyring::new(secret.as_slice()),
            sign_in: SignIn {
                chain: chain.clone(),
                access: config.chain.access,
                gateway: me,
                rules,
            },
            book: Arc::new(Book::new(wiring, terms, Arc::new(providers))),
            limits: Limits::new(l.requests_per_minute, l.burst, l.concurrent),
            models: config.models.clone(),
            ai_nft: config.chain.ai_nft,
            chain,
            bounds: *l,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .build()
                .context("building the HTTP client")?,
            metrics: Metrics::default(),
        }))
    }

    /// The claims of a request's API key.
    fn claims(&self, headers: &HeaderMap) -> Result<Claims, GatewayError> {
        let key = proxy::bearer(headers).ok_or(GatewayError::InvalidApiKey)?;
        self.keyring.verify(key, unix_now()).ok_or(GatewayError::InvalidApiKey)
    }
}

/// The gateway's routes.
pub fn router(gw: Arc<Gateway>) -> Router {
    let max_body = gw.bounds.max_body_bytes;
    Router::new()
        .route("/v1/auth/nonce", get(nonce))
        .route("/v1/auth/login", post(login))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(completions))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::serve))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(gw)
}

/// Serves `app` on `listen` until `shutdown`; returns the bound address.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve(
    listen: SocketAddr,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!("gateway server stopped: {e}");
        }
    });
    Ok(addr)
}

/// Looks after the sessions every `every` (closing, settling, forgetting
/// idle keys) until the process ends.
pub fn spawn_tending(gw: &Arc<Gateway>, every: Duration) -> tokio::task::JoinHandle<()> {
    let gw = gw.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = gw.book.tend().await {
                tracing::warn!("tending the sessions: {e:#}");
            }
            gw.limits.forget_idle();
        }
    })
}

/// A JSON-RPC provider whose calls give up after `timeout`; with a signer,
/// one that fills and signs transactions.
fn rpc(url: &str, timeout: Duration, signer: Option<PrivateKeySigner>) -> Result<DynProvider> {
    let url = url.parse().with_context(|| format!("{url} is not a URL"))?;
    let http =
        reqwest::Client::builder().timeout(timeout).build().context("building the HTTP client")?;
    let client = RpcClient::new(Http::with_client(http, url), false);
    Ok(match signer {
        Some(s) => {
            ProviderBuilder::new().wallet(EthereumWallet::from(s)).connect_client(client).erased()
        }
        None => {
            ProviderBuilder::new().disable_recommended_fillers().connect_client(client).erased()
        }
    })
}

async fn nonce(State(gw): State<Arc<Gateway>>) -> Json<Value> {
    let rules = &gw.sign_in.rules;
    Json(json!({
        "nonce": gw.keyring.nonce(unix_now()),
        "domain": rules.domain,
        "chain_id": rules.chain_id,
        "expires_in": rules.nonce_ttl.as_secs(),
        "resources": ["urn:computefi:key:<collection>:<token>", "urn:computefi:payer:<address> (optional)"],
    }))
}

async fn login(
    State(gw): State<Arc<Gateway>>,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(login)) = body else {
        return GatewayError::BadRequest(
            "the body must be {\"message\": <EIP-4361 text>, \"signature\": <hex>}".into(),
        )
        .into_response();
    };
    let now = unix_now();
    match gw.sign_in.check(&login, &gw.keyring, now).await {
        Ok(claims) => {
            gw.metrics.sign_ins.inc();
            Json(json!({
                "api_key": gw.keyring.issue(&claims),
                "expires": claims.expires,
                "collection": claims.collection,
                "token": claims.token.to_string(),
                "payer": claims.payer,
            }))
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn models(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    if let Err(e) = gw.claims(&headers) {
        return e.into_response();
    }
    let data: Vec<Value> = gw
        .models
        .iter()
        .map(|m| json!({"id": m.name, "object": "model", "created": 0, "owned_by": format!("computefi:model:{}", m.id)}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

async fn completions(State(gw): State<Arc<Gateway>>, headers: HeaderMap, body: Bytes) -> Response {
    let outcome = async {
        let claims = gw.claims(&headers)?;
        let permit = gw.limits.admit(claims.key())?;
        Ok::<_, GatewayError>((claims, permit))
    }
    .await;
    let response = match outcome {
        Ok((claims, permit)) => proxy::completions(gw.clone(), claims, permit, &body).await,
        Err(e) => e.into_response(),
    };
    gw.metrics.answered(response.status());
    response
}
