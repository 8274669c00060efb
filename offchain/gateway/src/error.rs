//! What the gateway answers when it cannot serve: `OpenAI`'s error shape
//! (`{"error": {"message", "type", "code"}}`) so that every SDK shows it,
//! with the figures a client needs to act on it (the quota left, when to
//! retry).

use alloy::primitives::U256;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use thiserror::Error;

/// Why a request was not served.
#[derive(Debug, Error)]
pub enum GatewayError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No API key, or one the gateway did not issue or that has expired.
    #[error("a valid API key is required (Authorization: Bearer <key>); sign in at /v1/auth/login to get one")]
    InvalidApiKey,
    /// The sign-in message or its signature is not acceptable.
    #[error("sign-in refused: {0}")]
    SignIn(String),
    /// The key may not be used through this gateway (not delegated to it,
    /// changed hands, no policy): `code` says which.
    #[error("{message}")]
    Forbidden {
        /// A stable code (`key_not_delegated`, `not_key_holder`, ...).
        code: &'static str,
        /// What to do about it.
        message: String,
    },
    /// The model is not served through this gateway.
    #[error("the model {0:?} is not served here; GET /v1/models lists those that are")]
    ModelNotFound(String),
    /// The key's quota (or the payer's credits) cannot pay for a session.
    #[error("{message}")]
    PaymentRequired {
        /// `quota_exhausted` or `credits_exhausted`.
        code: &'static str,
        /// What ran out.
        message: String,
        /// The key's quota left in this period, in credits.
        quota_left: U256,
    },
    /// The key's request rate or concurrency is over its limit.
    #[error("{message}")]
    RateLimited {
        /// What is over the limit.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after: u64,
    },
    /// No provider serving the model could be reached.
    #[error("no provider serving model {0} is reachable now; retry shortly")]
    NoProvider(u32),
    /// A provider or the chain failed in a way the client cannot fix.
    #[error("{0}")]
    Upstream(String),
}

impl GatewayError {
    /// A refusal by the chain or a provider, described.
    pub fn upstream(what: impl std::fmt::Display) -> Self {
        Self::Upstream(what.to_string())
    }

    /// The HTTP status, `OpenAI`'s error type and a stable code.
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", "bad_request")
            }
            Self::InvalidApiKey => {
                (StatusCode::UNAUTHORIZED, "invalid_request_error", "invalid_api_key")
            }
            Self::SignIn(_) => {
                (StatusCode::UNAUTHORIZED, "invalid_request_error", "sign_in_refused")
            }
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, "permission_error", code),
            Self::ModelNotFound(_) => {
                (StatusCode::NOT_FOUND, "invalid_request_error", "model_not_found")
            }
            Self::PaymentRequired { code, .. } => {
                (StatusCode::PAYMENT_REQUIRED, "insufficient_quota", code)
            }
            Self::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "rate_limit_exceeded")
            }
            Self::NoProvider(_) => (StatusCode::SERVICE_UNAVAILABLE, "server_error", "no_provider"),
            Self::Upstream(_) => (StatusCode::BAD_GATEWAY, "server_error", "upstream_error"),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let (status, kind, code) = self.parts();
        let mut error = json!({"message": self.to_string(), "type": kind, "code": code});
        if let Self::PaymentRequired { quota_left, .. } = &self {
            error["quota_left"] = json!(quota_left.to_string());
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let Self::RateLimited { retry_after, .. } = &self {
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
