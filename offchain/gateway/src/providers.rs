//! Which providers serve a model, and where: the endpoints configured, and
//! (when asked) those providers published in the registry
//! (`ProviderRegistered`'s endpoint). A provider is offered only while the
//! registry finds it eligible for the model (bonded, serving, not paused)
//! and it has not failed in the last [`Providers::cooldown`]. Picks rotate
//! so that load spreads.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use bindings::IInferenceRegistry;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::GatewayError;

/// A provider and its OpenAI-compatible API (the URL ending in `/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    /// Its account (the one named when a session is opened for it).
    pub address: Address,
    /// Its API's base URL, e.g. `https://gpu.example/v1`.
    pub url: String,
}

/// The providers the gateway routes to.
#[derive(Debug)]
pub struct Providers {
    chain: DynProvider,
    registry: Address,
    fixed: Vec<Route>,
    /// Read published endpoints from this block on (none: do not).
    discover_from: Option<u64>,
    /// How long a failed provider is skipped.
    pub cooldown: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    discovered: Vec<Route>,
    down: HashMap<Address, Instant>,
    turn: usize,
}

impl Providers {
    /// Routes `fixed`, plus those published in `registry` from block
    /// `discover_from` on, checked for eligibility on `chain`.
    pub fn new(
        chain: DynProvider,
        registry: Address,
        fixed: Vec<Route>,
        discover_from: Option<u64>,
    ) -> Self {
        Self {
            chain,
            registry,
            fixed,
            discover_from,
            cooldown: Duration::from_mins(1),
            state: Mutex::new(State::default()),
        }
    }

    /// A provider eligible for `model` and not failed lately, other than
    /// `avoid` when there is a choice.
    ///
    /// # Errors
    /// [`GatewayError::NoProvider`].
    pub async fn pick(&self, model: u32, avoid: Option<Address>) -> Result<Route, GatewayError> {
        self.discover().await;
        let candidates = {
            let mut state = self.state.lock().await;
            state.down.retain(|_, at| at.elapsed() < self.cooldown);
            let mut all: Vec<Route> = self.fixed.clone();
            for route in &state.discovered {
                if !all.iter().any(|r| r.address == route.address) {
                    all.push(route.clone());
                }
            }
            all.retain(|r| !state.down.contains_key(&r.address));
            state.turn = state.turn.wrapping_add(1);
            let turn = state.turn;
            let n = all.len().max(1);
            all.rotate_left(turn % n);
            all
        };
        let registry = IInferenceRegistry::new(self.registry, &self.chain);
        let mut fallback = None;
        for route in candidates {
            if !registry.isEligible(route.address, model).call().await.unwrap_or(false) {
                continue;
            }
            if Some(route.address) == avoid {
                fallback = Some(route);
                continue;
            }
            return Ok(route);
        }
        fallback.ok_or(GatewayError::NoProvider(model))
    }

    /// The registry, read on the gateway's chain provider.
    pub fn registry(&self) -> IInferenceRegistry::IInferenceRegistryInstance<&DynProvider> {
        IInferenceRegistry::new(self.registry, &self.chain)
    }

    /// Skips `provider` for a while (it failed to answer).
    pub async fn mark_down(&self, provider: Address) {
        tracing::warn!(%provider, "provider failed; skipping it for a while");
        self.state.lock().await.down.insert(provider, Instant::now());
    }

    /// Reads the endpoints providers published (best effort: a chain that
    /// cannot be read leaves the known ones).
    async fn discover(&self) {
        let Some(from) = self.discover_from else { return };
        let filter = Filter::new()
            .address(self.registry)
            .event_signature(IInferenceRegistry::ProviderRegistered::SIGNATURE_HASH)
            .from_block(from);
        let Ok(logs) = self.chain.get_logs(&filter).await else { return };
        let mut found: Vec<Route> = Vec::new();
        for log in logs {
            let Ok(event) = IInferenceRegistry::ProviderRegistered::decode_log_data(log.data())
            else {
                continue;
            };
            let url = event.endpoint.trim_end_matches('/').to_owned();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                continue;
            }
            // A later registration replaces an earlier endpoint.
            found.retain(|r| r.address != event.provider);
            found.push(Route { address: event.provider, url });
        }
        self.state.lock().await.discovered = found;
    }
}
