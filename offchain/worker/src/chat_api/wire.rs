//! The `OpenAI` chat API's JSON, as much of it as the worker serves:
//! requests are read leniently (fields the worker does not use are
//! ignored), answers are written as `OpenAI` writes them.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::response::sse::Event;
use inference::{ChatRequest, Completion, Role, Turn};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Limits;

/// `POST /v1/chat/completions`'s body.
#[derive(Debug, Deserialize)]
pub(super) struct CompletionsRequest {
    pub(super) model: String,
    messages: Vec<MessageIn>,
    #[serde(default)]
    pub(super) stream: bool,
    #[serde(default)]
    pub(super) stream_options: Option<StreamOptions>,
    /// The older name of `max_completion_tokens`.
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    /// Only 1 is served.
    #[serde(default)]
    n: Option<u32>,
}

/// `stream_options`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct StreamOptions {
    #[serde(default)]
    pub(super) include_usage: bool,
}

#[derive(Debug, Deserialize)]
struct MessageIn {
    role: String,
    content: Content,
}

/// A message's content: text, or parts of which only text is served.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

impl Content {
    /// The text; parts are joined.
    fn text(&self) -> Result<String, ApiError> {
        match self {
            Self::Text(text) => Ok(text.clone()),
            Self::Parts(parts) => parts
                .iter()
                .map(|p| match (p.kind.as_str(), &p.text) {
                    ("text", Some(text)) => Ok(text.as_str()),
                    (kind, _) => Err(ApiError::invalid(&format!(
                        "content parts of type {kind:?} are not served: only text"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|texts| texts.concat()),
        }
    }
}

impl CompletionsRequest {
    /// The model request: system (and developer) messages joined as the
    /// system prompt, the conversation before the last message as history,
    /// the last message (which must be the user's) as the question.
    pub(super) fn to_chat(&self, limits: Limits) -> Result<ChatRequest, ApiError> {
        if self.n.is_some_and(|n| n != 1) {
            return Err(ApiError::invalid("only n = 1 is served"));
        }
        let max =
            self.max_completion_tokens.or(self.max_tokens).unwrap_or(limits.default_max_tokens);
        if max == 0 || max > limits.max_tokens {
            return Err(ApiError::invalid(&format!(
                "max_tokens must be 1 to {}, not {max}",
                limits.max_tokens
            )));
        }
        let mut system: Vec<String> = Vec::new();
        let mut turns = Vec::new();
        for message in &self.messages {
            let content = message.content.text()?;
            match message.role.as_str() {
                "system" | "developer" => system.push(content),
                "user" => turns.push(Turn { role: Role::User, content }),
                "assistant" => turns.push(Turn { role: Role::Assistant, content }),
                other => {
                    return Err(ApiError::invalid(&format!(
                        "messages of role {other:?} are not served (system, developer, user, \
                         assistant)"
                    )))
                }
            }
        }
        let Some(Turn { role: Role::User, content: user }) = turns.pop() else {
            return Err(ApiError::invalid("the last message must be the user's"));
        };
        let system = (!system.is_empty()).then(|| system.join("\n\n"));
        Ok(ChatRequest { history: turns, system, user, max_output_tokens: max })
    }
}

/// `GET /v1/models`.
#[derive(Debug, Serialize)]
pub(super) struct ModelList {
    object: &'static str,
    data: Vec<Value>,
}

impl ModelList {
    pub(super) fn one(model: &str) -> Self {
        let entry = json!({"id": model, "object": "model", "created": 0, "owned_by": "computefi"});
        Self { object: "list", data: vec![entry] }
    }
}

/// A non-streamed answer.
#[derive(Debug, Serialize)]
pub(super) struct CompletionResponse {
    id: String,
    object: &'static str,
    created: u64,
    model: String,
    choices: Vec<Value>,
    usage: Value,
    /// For a session: the cumulative usage the client signs next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) computefi: Option<Value>,
}

impl CompletionResponse {
    pub(super) fn new(id: String, model: String, done: &Completion, max: u32) -> Self {
        let message = json!({"role": "assistant", "content": done.text});
        let choice = json!({"index": 0, "message": message, "finish_reason": finish(done, max)});
        Self {
            id,
            object: "chat.completion",
            created: now(),
            model,
            choices: vec![choice],
            usage: usage(done),
            computefi: None,
        }
    }
}

/// The chunks of one streamed answer.
#[derive(Debug, Clone)]
pub(super) struct Chunk {
    id: String,
    model: String,
    created: u64,
}

impl Chunk {
    pub(super) fn new(id: String, model: String) -> Self {
        Self { id, model, created: now() }
    }

    fn json(&self, choices: &Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        })
    }

    fn event(&self, choices: &Value, usage: Option<Value>) -> Event {
        let mut chunk = self.json(choices);
        if let Some(usage) = usage {
            chunk["usage"] = usage;
        }
        Event::default().data(chunk.to_string())
    }

    /// The first chunk: the assistant's role.
    pub(super) fn role(&self) -> Event {
        let delta = json!({"role": "assistant", "content": ""});
        self.event(&json!([{"index": 0, "delta": delta, "finish_reason": null}]), None)
    }

    /// A piece of the answer.
    pub(super) fn text(&self, text: &str) -> Event {
        let delta = json!({"content": text});
        self.event(&json!([{"index": 0, "delta": delta, "finish_reason": null}]), None)
    }

    /// The last chunk of the choice: why it ended, and for a session what
    /// the client signs next (`computefi`).
    pub(super) fn finish(&self, done: &Completion, max: u32, to_sign: Option<Value>) -> Event {
        let choice = json!({"index": 0, "delta": {}, "finish_reason": finish(done, max)});
        let mut chunk = self.json(&json!([choice]));
        if let Some(to_sign) = to_sign {
            chunk["computefi"] = to_sign;
        }
        Event::default().data(chunk.to_string())
    }

    /// `stream_options.include_usage`'s chunk: no choices, the usage.
    pub(super) fn usage(&self, done: &Completion) -> Event {
        self.event(&json!([]), Some(usage(done)))
    }
}

/// `stop` when the model ended its turn, `length` when it hit the limit
/// (an answer whose end-of-turn token was the last one allowed reads as
/// `length`).
fn finish(done: &Completion, max: u32) -> &'static str {
    if done.output_tokens < max {
        "stop"
    } else {
        "length"
    }
}

/// The cumulative usage of session `id` that the client signs next, as
/// the receipt's fields (the cost as a decimal string: it may pass 2^53).
pub(super) fn to_sign(id: u64, used: &crate::sessions::account::Usage) -> Value {
    let receipt = bindings::receipt::Receipt {
        session: id,
        seq: used.seq,
        tokensIn: used.tokens_in,
        tokensOut: used.tokens_out,
        cost: used.cost,
    };
    receipt.to_json()
}

/// Token counts in the model's own tokens; completion tokens include the
/// end-of-turn token, as llama.cpp and vLLM count them.
fn usage(done: &Completion) -> Value {
    json!({
        "prompt_tokens": done.input_tokens,
        "completion_tokens": done.output_tokens,
        "total_tokens": u64::from(done.input_tokens) + u64::from(done.output_tokens),
    })
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A fresh completion id: the process's start time and a counter.
pub(super) fn completion_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("chatcmpl-{:x}-{}", now(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// An error in `OpenAI`'s format: `{"error": {"message", "type", "param",
/// "code"}}` with an HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub message: String,
    /// `OpenAI`'s error type (`invalid_request_error`, ...).
    pub kind: &'static str,
    /// `OpenAI`'s error code, if any (`model_not_found`, ...).
    pub code: Option<&'static str>,
}

impl ApiError {
    /// 400: the request is malformed or asks for what is not served.
    pub fn invalid(message: &str) -> Self {
        Self { status: 400, message: message.to_owned(), kind: "invalid_request_error", code: None }
    }

    /// 401: the bearer key is missing or wrong.
    pub fn unauthorized() -> Self {
        Self {
            status: 401,
            message: "a valid API key is required: Authorization: Bearer <key>".into(),
            kind: "invalid_request_error",
            code: Some("invalid_api_key"),
        }
    }

    /// 404: the request names a model this worker does not serve.
    pub fn model_not_found(asked: &str, served: &str) -> Self {
        Self {
            status: 404,
            message: format!(
                "the model {asked:?} is not served here; this worker serves {served:?}"
            ),
            kind: "invalid_request_error",
            code: Some("model_not_found"),
        }
    }

    /// 422: the request is well formed but cannot be served as asked (an
    /// AI whose instructions cannot be read or do not match their hash).
    pub fn unprocessable(message: &str) -> Self {
        Self {
            status: 422,
            message: message.to_owned(),
            kind: "invalid_request_error",
            code: Some("instructions_unavailable"),
        }
    }

    /// 429: `max` answers are in flight already.
    pub fn busy(max: usize) -> Self {
        Self {
            status: 429,
            message: format!("{max} answers are in flight already: retry shortly"),
            kind: "rate_limit_error",
            code: Some("rate_limit_exceeded"),
        }
    }

    /// 402: the session cannot pay for the answer (cap reached, receipts
    /// missing, expired, not this worker's), with `code` saying which.
    pub fn payment_required(message: &str, code: &'static str) -> Self {
        Self {
            status: 402,
            message: message.to_owned(),
            kind: "insufficient_quota",
            code: Some(code),
        }
    }

    /// 503: the chain cannot be read just now.
    pub fn unavailable(message: &str) -> Self {
        Self { status: 503, message: message.to_owned(), kind: "server_error", code: None }
    }

    /// 500: the model failed.
    pub fn internal(message: &str) -> Self {
        Self { status: 500, message: message.to_owned(), kind: "server_error", code: None }
    }

    /// The JSON body.
    pub(super) fn body(&self) -> Value {
        json!({"error": {"message": self.message, "type": self.kind, "param": null, "code": self.code}})
    }

    /// The error as a stream event (after the stream has begun).
    pub(super) fn event(&self) -> Event {
        Event::default().data(self.body().to_string())
    }
}

impl From<inference::Error> for ApiError {
    fn from(e: inference::Error) -> Self {
        match e {
            // The conversation does not fit: the caller's to shorten.
            inference::Error::ContextExceeded { .. } => Self::invalid(&e.to_string()),
            other => Self::internal(&other.to_string()),
        }
    }
}
