//! `POST /v1/chat/completions`: an `OpenAI` request from a signed-in key,
//! forwarded to a provider in the key's session with the newest receipt,
//! and the provider's answer passed through (streamed as it arrives). The
//! usage the answer reports is signed when it is believable. A provider
//! that cannot be reached, or a session it no longer serves, gets one more
//! try (another provider, a new session) before the client sees an error.

use std::{sync::Arc, time::Duration};

use alloy::primitives::U256;
use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use bindings::{
    receipt::{Receipt, RECEIPT_HEADER, SESSION_HEADER, TO_SIGN_FIELD},
    IAiNft,
};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio_stream::wrappers::ReceiverStream;

use crate::{
    api_key::Claims,
    error::GatewayError,
    sessions::{Session, Ticket},
    Gateway,
};

/// Codes with which a provider says the session cannot pay (any more): a
/// new session may.
const RENEW_CODES: [&str; 4] =
    ["session_cap_reached", "session_expired", "session_unavailable", "invalid_receipt"];

/// A chat request as the gateway forwards it.
struct Forward {
    body: Value,
    model: u32,
    tokens: (u64, u64),
    stream: bool,
}

/// Serves one chat completion for the key `claims`.
pub async fn completions(
    gw: Arc<Gateway>,
    claims: Claims,
    permit: OwnedSemaphorePermit,
    body: &Bytes,
) -> Response {
    let forward = match prepare(&gw, body).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    for _ in 0..2 {
        let ticket = match gw.book.ticket(&claims, forward.model, forward.tokens).await {
            Ok(t) => t,
            Err(e) => return e.into_response(),
        };
        let session = ticket.session.clone();
        match send(&gw, &session, ticket.receipt.as_deref(), &forward).await {
            Ok(upstream) if upstream.status().is_success() => {
                return answer(gw, ticket, upstream, forward.stream, permit).await;
            }
            Ok(upstream) => {
                let status = upstream.status();
                let text = upstream.text().await.unwrap_or_default();
                let _ = gw.book.finish(ticket, None).await;
                let error: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let code = error["error"]["code"].as_str().unwrap_or_default();
                let renew = status == StatusCode::PAYMENT_REQUIRED && RENEW_CODES.contains(&code);
                if renew || status.is_server_error() {
                    tracing::info!(session = session.id, %status, code, "provider refused the session; renewing");
                    gw.book.retire(&session).await;
                    if status.is_server_error() {
                        gw.book.providers().mark_down(session.route.address).await;
                    }
                    continue;
                }
                return passthrough(status, text);
            }
            Err(e) => {
                tracing::warn!(provider = %session.route.address, "provider unreachable: {e}");
                let _ = gw.book.finish(ticket, None).await;
                gw.book.providers().mark_down(session.route.address).await;
                gw.book.retire(&session).await;
            }
        }
    }
    GatewayError::upstream("the providers failed twice; retry shortly").into_response()
}

/// Checks the request and fixes what the session is charged for: the
/// model, the output limit (the client's, or the default; never above the
/// maximum) and a bound on the input tokens.
async fn prepare(gw: &Gateway, body: &Bytes) -> Result<Forward, GatewayError> {
    let mut body: Value = serde_json::from_slice(body)
        .map_err(|e| GatewayError::BadRequest(format!("the body is not JSON: {e}")))?;
    let name = body["model"]
        .as_str()
        .ok_or_else(|| GatewayError::BadRequest("`model` is required".into()))?
        .to_owned();
    let messages = body.get("messages").filter(|m| m.as_array().is_some_and(|a| !a.is_empty()));
    let messages = messages
        .ok_or_else(|| GatewayError::BadRequest("`messages` must be a non-empty array".into()))?;
    // Each token of the model's tokenizer is at least one byte of text.
    let prompt_bytes = serde_json::to_vec(messages).map_or(0, |v| v.len() as u64);
    let model = model_id(gw, &name).await?;
    let bounds = &gw.bounds;
    let asked = body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
        .and_then(Value::as_u64);
    let max_out = asked.unwrap_or(bounds.default_max_tokens);
    if max_out == 0 || max_out > bounds.max_tokens {
        return Err(GatewayError::BadRequest(format!(
            "max_tokens must be between 1 and {}",
            bounds.max_tokens
        )));
    }
    if let Some(map) = body.as_object_mut() {
        map.remove("max_completion_tokens");
        map.insert("max_tokens".into(), max_out.into());
    }
    let stream = body["stream"].as_bool().unwrap_or(false);
    Ok(Forward {
        body,
        model,
        tokens: (prompt_bytes.saturating_add(bounds.prompt_allowance), max_out),
        stream,
    })
}

/// The registry id of the model a request names: a configured name, or
/// `ai:<id>` (the AI's model, read from the AI NFT).
async fn model_id(gw: &Gateway, name: &str) -> Result<u32, GatewayError> {
    if let Some(m) = gw.models.iter().find(|m| m.name == name) {
        return Ok(m.id);
    }
    let ai = name.strip_prefix("ai:").and_then(|id| id.parse::<U256>().ok());
    match (ai, gw.ai_nft) {
        (Some(id), Some(nft)) => {
            let found = IAiNft::new(nft, &gw.chain).ai(id).call().await;
            found.map(|ai| ai.model).map_err(|_| GatewayError::ModelNotFound(name.to_owned()))
        }
        _ => Err(GatewayError::ModelNotFound(name.to_owned())),
    }
}

/// Sends the request to the session's provider.
async fn send(
    gw: &Gateway,
    session: &Session,
    receipt: Option<&str>,
    forward: &Forward,
) -> reqwest::Result<reqwest::Response> {
    let mut request = gw
        .http
        .post(format!("{}/chat/completions", session.route.url))
        .header(SESSION_HEADER, session.id.to_string())
        .json(&forward.body);
    if let Some(receipt) = receipt {
        request = request.header(RECEIPT_HEADER, receipt);
    }
    if !forward.stream {
        request = request.timeout(Duration::from_mins(10));
    }
    request.send().await
}

/// Passes a provider's answer through and signs the usage it reports.
async fn answer(
    gw: Arc<Gateway>,
    ticket: Ticket,
    upstream: reqwest::Response,
    stream: bool,
    permit: OwnedSemaphorePermit,
) -> Response {
    if !stream {
        let bytes = match upstream.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let _ = gw.book.finish(ticket, None).await;
                return GatewayError::upstream(format!("reading the provider's answer: {e}"))
                    .into_response();
            }
        };
        let usage = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| Receipt::from_json(&v[TO_SIGN_FIELD]));
        signed(&gw, ticket, usage.as_ref()).await;
        drop(permit);
        return ([(header::CONTENT_TYPE, "application/json")], bytes).into_response();
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(async move {
        // Read to the end even when the client has gone: the last chunk
        // carries the usage to sign.
        let _permit = permit;
        let mut tap = Tap::default();
        let mut ticket = Some(ticket);
        let mut body = upstream.bytes_stream();
        while let Some(piece) = body.next().await {
            match piece {
                Ok(bytes) => {
                    tap.feed(&bytes);
                    // Signed before the client sees the answer end: a
                    // close right after it presents this answer's receipt.
                    if tap.usage.is_some() {
                        if let Some(t) = ticket.take() {
                            signed(&gw, t, tap.usage.as_ref()).await;
                        }
                    }
                    let _ = tx.send(Ok(bytes)).await;
                }
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e))).await;
                    break;
                }
            }
        }
        if let Some(t) = ticket {
            signed(&gw, t, None).await;
        }
    });
    let headers =
        [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")];
    (headers, Body::from_stream(ReceiverStream::new(rx))).into_response()
}

/// Signs `usage` for `ticket`'s session, counting it, and hands the
/// newest receipt to the provider at once: it can then close with it even
/// if the gateway stops before the session's next request.
async fn signed(gw: &Gateway, ticket: Ticket, usage: Option<&Receipt>) {
    let session = ticket.session.clone();
    let ok = gw.book.finish(ticket, usage).await.is_ok();
    if !ok || usage.is_none() {
        return;
    }
    gw.metrics.receipts_signed.inc();
    let (Some(newest), _) = session.newest() else { return };
    let request = gw
        .http
        .post(format!("{}/sessions/{}/receipt", session.route.url, session.id))
        .header(RECEIPT_HEADER, newest.header())
        .timeout(Duration::from_secs(10));
    tokio::spawn(async move {
        match request.send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::debug!(status = %r.status(), "the provider did not take the receipt"),
            Err(e) => tracing::debug!("handing the receipt over: {e}"),
        }
    });
}

/// A provider's error, as it sent it.
fn passthrough(status: StatusCode, text: String) -> Response {
    let mut response = (status, text).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

/// Finds the usage in a stream of server-sent events, line by line.
#[derive(Debug, Default)]
pub struct Tap {
    line: Vec<u8>,
    /// The newest usage seen.
    pub usage: Option<Receipt>,
}

impl Tap {
    /// Reads the next bytes of the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.line_done();
            } else if self.line.len() < 1 << 20 {
                self.line.push(b);
            }
        }
    }

    fn line_done(&mut self) {
        let line = std::mem::take(&mut self.line);
        let Some(data) = line.strip_prefix(b"data:") else { return };
        if let Ok(event) = serde_json::from_slice::<Value>(data.trim_ascii()) {
            if let Some(usage) = Receipt::from_json(&event[TO_SIGN_FIELD]) {
                self.usage = Some(usage);
            }
        }
    }
}

/// The bearer token of a request.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn stream_of(usage: &Receipt) -> String {
        let finish = serde_json::json!({"choices": [{"delta": {}, "finish_reason": "stop"}], TO_SIGN_FIELD: usage.to_json()});
        format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"hi\"}}}}]}}\n\ndata: {finish}\n\ndata: [DONE]\n\n")
    }

    #[test]
    fn the_tap_finds_the_usage_in_the_finish_chunk() {
        let usage =
            Receipt { session: 7, seq: 3, tokensIn: 40, tokensOut: 9, cost: U256::from(1_234u64) };
        let mut tap = Tap::default();
        tap.feed(stream_of(&usage).as_bytes());
        assert_eq!(tap.usage, Some(usage));
    }

    proptest! {
        /// However the network splits the stream, the usage is found.
        #[test]
        fn the_tap_finds_the_usage_across_any_split(cuts in proptest::collection::vec(0usize..400, 0..12)) {
            let usage = Receipt { session: 1, seq: 2, tokensIn: 3, tokensOut: 4, cost: U256::from(5u64) };
            let text = stream_of(&usage);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.sort_unstable();
            let mut tap = Tap::default();
            let mut at = 0;
            for c in cuts.into_iter().chain([text.len()]) {
                tap.feed(&text.as_bytes()[at..c]);
                at = c;
            }
            prop_assert_eq!(tap.usage, Some(usage));
        }
    }
}
