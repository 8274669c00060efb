//! Prometheus counters at `GET /metrics`.

use std::sync::Arc;

use axum::{extract::State, http::header, http::StatusCode, response::IntoResponse};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

use crate::Gateway;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    code: u16,
}

/// What the gateway has done.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    answers: Family<Status, Counter>,
    /// Receipts signed for providers.
    pub receipts_signed: Counter,
    /// Sign-ins accepted.
    pub sign_ins: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("computefi_gateway");
        let answers = Family::<Status, Counter>::default();
        let receipts_signed = Counter::default();
        let sign_ins = Counter::default();
        registry.register(
            "chat_answers",
            "Chat completion requests answered, by HTTP status",
            answers.clone(),
        );
        registry.register(
            "receipts_signed",
            "Usage receipts signed for providers",
            receipts_signed.clone(),
        );
        registry.register("sign_ins", "Sign-ins accepted", sign_ins.clone());
        Self { registry, answers, receipts_signed, sign_ins }
    }
}

impl Metrics {
    /// Counts a chat request answered with `status`.
    pub fn answered(&self, status: StatusCode) {
        self.answers.get_or_create(&Status { code: status.as_u16() }).inc();
    }
}

/// The counters in Prometheus' text format.
pub(crate) async fn serve(State(gw): State<Arc<Gateway>>) -> impl IntoResponse {
    let mut text = String::new();
    if encode(&mut text, &gw.metrics.registry).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, String::new()).into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
        .into_response()
}
