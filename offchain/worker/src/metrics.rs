//! Prometheus metrics and the health endpoints: `/metrics` (OpenMetrics
//! text), `/healthz` (the process answers), `/readyz` (it has read the
//! chain and its model is loaded).

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Router};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// A label naming an outcome (`ok`, `reverted`, `failed`, ...).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// The outcome.
    pub outcome: String,
}

impl Outcome {
    /// The label for `outcome`.
    pub fn of(outcome: &str) -> Self {
        Self { outcome: outcome.to_owned() }
    }
}

/// Everything the worker measures.
#[derive(Debug)]
pub struct Metrics {
    /// Bridge events read.
    pub events: Counter,
    /// Lease claims by outcome.
    pub claims: Family<Outcome, Counter>,
    /// Fulfilments by outcome.
    pub fulfilments: Family<Outcome, Counter>,
    /// Prompts read before claiming, by outcome (`ok`, `unreadable`,
    /// `under-declared`, `replayed`).
    pub prompts: Family<Outcome, Counter>,
    /// Held leases given up because they could no longer be served in time.
    pub abandoned: Counter,
    /// Tokens generated.
    pub tokens_generated: Counter,
    /// Seconds per inference.
    pub inference_seconds: Histogram,
    /// Seconds from reading a request's event to its fulfilment being mined.
    pub request_to_fulfilment_seconds: Histogram,
    /// Requests tracked.
    pub tracked: Gauge,
    /// Reorganisations seen.
    pub reorgs: Counter,
    /// Failed polls (RPC errors).
    pub poll_errors: Counter,
    /// Keeper rounds per vault by outcome (`harvested`, `unprofitable`,
    /// `nothing`, `failed`).
    pub keeper_harvests: Family<Outcome, Counter>,
    /// Keeper claims by outcome.
    pub keeper_claims: Family<Outcome, Counter>,
    ready: AtomicBool,
}

fn seconds_buckets() -> impl Iterator<Item = f64> {
    [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0].into_iter()
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of metrics.
    pub fn new() -> Self {
        Self {
            events: Counter::default(),
            claims: Family::default(),
            fulfilments: Family::default(),
            prompts: Family::default(),
            abandoned: Counter::default(),
            tokens_generated: Counter::default(),
            inference_seconds: Histogram::new(seconds_buckets()),
            request_to_fulfilment_seconds: Histogram::new(seconds_buckets()),
            tracked: Gauge::default(),
            reorgs: Counter::default(),
            poll_errors: Counter::default(),
            keeper_harvests: Family::default(),
            keeper_claims: Family::default(),
            ready: AtomicBool::new(false),
        }
    }

    /// Marks the worker ready (or not).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Whether the worker is ready.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// The metrics in OpenMetrics text.
    pub fn render(&self) -> String {
        let mut registry = Registry::with_prefix("computefi_worker");
        registry.register("events", "Bridge events read", self.events.clone());
        registry.register("claims", "Lease claims by outcome", self.claims.clone());
        registry.register("fulfilments", "Fulfilments by outcome", self.fulfilments.clone());
        registry.register(
            "prompts",
            "Prompts read before claiming, by outcome",
            self.prompts.clone(),
        );
        registry.register("abandoned", "Held leases given up", self.abandoned.clone());
        registry.register("tokens_generated", "Tokens generated", self.tokens_generated.clone());
        registry.register(
            "inference_seconds",
            "Seconds per inference",
            self.inference_seconds.clone(),
        );
        registry.register(
            "request_to_fulfilment_seconds",
            "Seconds from reading a request to its fulfilment being mined",
            self.request_to_fulfilment_seconds.clone(),
        );
        registry.register("tracked_requests", "Requests tracked", self.tracked.clone());
        registry.register("reorgs", "Chain reorganisations seen", self.reorgs.clone());
        registry.register("poll_errors", "Failed polls", self.poll_errors.clone());
        registry.register(
            "keeper_harvests",
            "Keeper rounds per vault by outcome",
            self.keeper_harvests.clone(),
        );
        registry.register("keeper_claims", "Keeper claims by outcome", self.keeper_claims.clone());
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }
}

/// Serves the endpoints on `addr` until `shutdown` resolves; returns the
/// bound address (for port 0).
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<SocketAddr> {
    let app = Router::new()
        .route("/metrics", get(render))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(metrics);
    Ok(crate::http::serve(addr, app, shutdown, "metrics").await?)
}

async fn render(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    ([("content-type", "application/openmetrics-text; version=1.0.0; charset=utf-8")], m.render())
}

async fn ready(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    if m.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

#[cfg(test)]
mod tests {
    use alloy::transports::http::reqwest;

    use super::*;

    #[tokio::test]
    async fn endpoints_answer_and_readiness_follows_the_worker() {
        let metrics = Arc::new(Metrics::new());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let addr = serve(SocketAddr::from(([127, 0, 0, 1], 0)), metrics.clone(), async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
        let get = |path: &str| reqwest::get(format!("http://{addr}{path}"));
        assert_eq!(get("/healthz").await.unwrap().status(), 200);
        assert_eq!(get("/readyz").await.unwrap().status(), 503, "not ready before the first poll");
        metrics.set_ready(true);
        assert_eq!(get("/readyz").await.unwrap().status(), 200);
        metrics.events.inc_by(3);
        let body = get("/metrics").await.unwrap().text().await.unwrap();
        assert!(body.contains("computefi_worker_events_total 3"), "{body}");
        assert_eq!(get("/nope").await.unwrap().status(), 404);
        let _ = stop.send(());
    }

    #[test]
    fn render_names_every_metric_with_its_value() {
        let m = Metrics::new();
        m.claims.get_or_create(&Outcome::of("ok")).inc();
        m.tokens_generated.inc_by(42);
        let text = m.render();
        assert!(text.contains("computefi_worker_claims_total{outcome=\"ok\"} 1"), "{text}");
        assert!(text.contains("computefi_worker_tokens_generated_total 42"), "{text}");
        assert!(text.contains("computefi_worker_inference_seconds_bucket"), "{text}");
    }
}
