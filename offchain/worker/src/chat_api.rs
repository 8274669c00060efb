//! An OpenAI-compatible chat API over the worker's model, for any `OpenAI` SDK
//! or chat UI: `GET /v1/models` and `POST /v1/chat/completions`, answered as
//! one JSON object or streamed as server-sent events, with `OpenAI`'s error
//! format. Answers are greedy (temperature 0), as on chain.
//!
//! Requests are metered in the model's own tokens (`usage`), several may
//! be in flight at once (they run one after the other on the model), and
//! an optional bearer key keeps the endpoint private. With a
//! [`SessionDesk`], every request is paid by an on-chain session named in
//! `X-Computefi-Session` (402 otherwise), and each answer carries the
//! cumulative usage the client signs next (`computefi`, see
//! [`crate::sessions`]).

mod wire;

use std::{convert::Infallible, sync::Arc};

use alloy::{
    primitives::{Address, U256},
    providers::DynProvider,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{
        sse::{Event, Sse},
        IntoResponse, Response,
    },
    routing::{get, post},
    Json, Router,
};
use inference::{Backend, ChatRequest, Completion};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_stream::{wrappers::UnboundedReceiverStream, StreamExt};

pub use wire::ApiError;

use crate::{
    instructions::Instructions,
    sessions::{account::Reservation, SessionDesk},
};
use wire::{Chunk, CompletionResponse, CompletionsRequest, ModelList};

pub use bindings::receipt::{RECEIPT_HEADER, SESSION_HEADER};

/// Limits on what one request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Output tokens when the request names none.
    pub default_max_tokens: u32,
    /// The most output tokens a request may ask for.
    pub max_tokens: u32,
    /// The most answers in the works at once (running or waiting for the
    /// model); more are refused with 429 at once rather than queued
    /// without bound.
    pub max_in_flight: usize,
}

impl Default for Limits {
    /// 256 tokens unless asked, at most 2,048; 8 answers in flight.
    fn default() -> Self {
        Self { default_max_tokens: 256, max_tokens: 2_048, max_in_flight: 8 }
    }
}

/// Where community AIs addressed as `ai:<id>` are found: an AI NFT on a
/// chain, and the instructions loader.
#[derive(Debug)]
pub struct AiSource {
    /// A reader of the chain.
    pub provider: DynProvider,
    /// The AI NFT.
    pub nft: Address,
    /// The registry id of the model this worker serves.
    pub model: u32,
    /// Loads and checks instructions.
    pub instructions: Instructions,
}

/// What the handlers share.
#[derive(Clone)]
struct Api {
    backend: Arc<dyn Backend>,
    limits: Limits,
    /// `Authorization: Bearer <key>` every request must carry, if set.
    key: Option<Arc<str>>,
    ais: Option<Arc<AiSource>>,
    /// Sessions that pay for answers; when set, every request names one.
    sessions: Option<Arc<SessionDesk>>,
    /// One permit per answer in flight.
    in_flight: Arc<Semaphore>,
}

/// An answer being paid for by a session.
struct Metered {
    desk: Arc<SessionDesk>,
    id: u64,
    reservation: Reservation,
}

impl Metered {
    /// Records the answer's tokens; returns what the client signs next.
    async fn complete(self, done: &Completion) -> serde_json::Value {
        let tokens = (u64::from(done.input_tokens), u64::from(done.output_tokens));
        let used = self.desk.complete(self.id, self.reservation, tokens).await;
        wire::to_sign(self.id, &used)
    }
}

/// The API's routes over `backend`.
pub fn router(backend: Arc<dyn Backend>, limits: Limits, api_key: Option<String>) -> Router {
    router_with_ais(backend, limits, api_key, None)
}

/// [`router`], also answering as the community AIs of `ais`: a request for
/// model `ai:<id>` is answered by this worker's model (which must be the
/// AI's) with the AI's instructions as its system prompt, before any system
/// message of the request.
pub fn router_with_ais(
    backend: Arc<dyn Backend>,
    limits: Limits,
    api_key: Option<String>,
    ais: Option<Arc<AiSource>>,
) -> Router {
    router_with_sessions(backend, limits, api_key, ais, None)
}

/// [`router_with_ais`], every answer paid by a session of `sessions` when
/// set.
pub fn router_with_sessions(
    backend: Arc<dyn Backend>,
    limits: Limits,
    api_key: Option<String>,
    ais: Option<Arc<AiSource>>,
    sessions: Option<Arc<SessionDesk>>,
) -> Router {
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
    let key = api_key.map(Arc::from);
    let api = Api { backend, limits, key, ais, sessions, in_flight };
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(completions))
        .route("/v1/sessions/{id}/receipt", post(receipt))
        .with_state(api)
}

impl Api {
    /// Refuses a request without the bearer key, when one is required.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(key) = &self.key else { return Ok(()) };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given == Some(&**key) {
            Ok(())
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

async fn models(State(api): State<Api>, headers: HeaderMap) -> Response {
    match api.authorize(&headers) {
        Ok(()) => Json(ModelList::one(api.backend.model_name())).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /v1/sessions/{id}/receipt` with `X-Computefi-Receipt`: the
/// client's newest receipt, handed over without an answer. 204 when kept
/// (or older than the one held).
async fn receipt(State(api): State<Api>, Path(id): Path<u64>, headers: HeaderMap) -> Response {
    if let Err(e) = api.authorize(&headers) {
        return e.into_response();
    }
    let Some(desk) = &api.sessions else {
        return ApiError::invalid("this worker serves no sessions").into_response();
    };
    let Some(header) = headers.get(RECEIPT_HEADER).and_then(|v| v.to_str().ok()) else {
        return ApiError::invalid("send the receipt in X-Computefi-Receipt").into_response();
    };
    match desk.keep_receipt(id, header).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn completions(
    State(api): State<Api>,
    headers: HeaderMap,
    body: Result<Json<CompletionsRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let (request, mut chat, model) = match accept(&api, &headers, body) {
        Ok(parts) => parts,
        Err(e) => return e.into_response(),
    };
    // Held until the answer is complete (moved into the stream's task).
    let Ok(permit) = api.in_flight.clone().try_acquire_owned() else {
        return ApiError::busy(api.limits.max_in_flight).into_response();
    };
    if let Some(id) = ai_id(&request.model) {
        match persona(&api, id).await {
            Ok(instructions) => {
                chat.system = Some(match chat.system.take() {
                    Some(own) => format!("{instructions}\n\n{own}"),
                    None => instructions.to_string(),
                });
            }
            Err(e) => return e.into_response(),
        }
    }
    let metered = match meter(&api, &headers, &chat).await {
        Ok(metered) => metered,
        Err(e) => return e.into_response(),
    };
    let id = wire::completion_id();
    if request.stream {
        let usage = request.stream_options.is_some_and(|o| o.include_usage);
        let chunk = Chunk::new(id, model);
        return stream(api.backend, chat, chunk, usage, (permit, metered)).into_response();
    }
    let answered = api.backend.complete(&chat).await;
    drop(permit);
    match answered {
        Ok(done) => {
            let mut response = CompletionResponse::new(id, model, &done, chat.max_output_tokens);
            if let Some(m) = metered {
                response.computefi = Some(m.complete(&done).await);
            }
            Json(response).into_response()
        }
        Err(e) => {
            if let Some(m) = metered {
                m.desk.release(m.id, m.reservation).await;
            }
            ApiError::from(e).into_response()
        }
    }
}

/// With sessions, admits the answer in the session the request names:
/// its prompt in the model's tokens and its output limit at the session's
/// prices, after the client's newest receipt.
async fn meter(
    api: &Api,
    headers: &HeaderMap,
    chat: &ChatRequest,
) -> Result<Option<Metered>, ApiError> {
    let Some(desk) = &api.sessions else { return Ok(None) };
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let id = text(SESSION_HEADER).and_then(|v| v.trim().parse::<u64>().ok()).ok_or_else(|| {
        ApiError::payment_required(
            "answers here are paid by a session: open one on chain and name it in \
             X-Computefi-Session",
            "session_required",
        )
    })?;
    let input = api.backend.count_input_tokens(chat).await.map_err(ApiError::from)?;
    let tokens = (u64::from(input), u64::from(chat.max_output_tokens));
    let reservation = desk.admit(id, text(RECEIPT_HEADER), tokens).await?;
    Ok(Some(Metered { desk: desk.clone(), id, reservation }))
}

/// Checks a completion request: the key, the JSON, the model, the
/// messages; returns it with the model request and the model's name.
fn accept(
    api: &Api,
    headers: &HeaderMap,
    body: Result<Json<CompletionsRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(CompletionsRequest, ChatRequest, String), ApiError> {
    api.authorize(headers)?;
    let Json(request) = body.map_err(|e| ApiError::invalid(&e.body_text()))?;
    let served = api.backend.model_name();
    let addressed_to_ai = api.ais.is_some() && ai_id(&request.model).is_some();
    if request.model != served && !addressed_to_ai {
        return Err(ApiError::model_not_found(&request.model, served));
    }
    let chat = request.to_chat(api.limits)?;
    let model = request.model.clone();
    Ok((request, chat, model))
}

/// The AI id of a model name `ai:<id>`.
fn ai_id(model: &str) -> Option<U256> {
    model.strip_prefix("ai:").and_then(|id| id.parse().ok())
}

/// The instructions of AI `id`, if this worker serves its model.
async fn persona(api: &Api, id: U256) -> Result<Arc<str>, ApiError> {
    let ais = api.ais.as_ref().ok_or_else(|| ApiError::invalid("no AIs are served here"))?;
    let ai = ais
        .instructions
        .ai(&ais.provider, ais.nft, id)
        .await
        .map_err(|e| ApiError::unprocessable(&format!("{e:#}")))?;
    if ai.model != ais.model {
        let served = api.backend.model_name();
        return Err(ApiError::model_not_found(&format!("ai:{id} (model {})", ai.model), served));
    }
    Ok(ai.instructions)
}

/// Streams the answer to `chat` as `chat.completion.chunk` events: the
/// assistant's role, each piece of text as it is generated, the finish
/// reason (with what to sign, for a session), then the usage if asked,
/// then `[DONE]`.
fn stream(
    backend: Arc<dyn Backend>,
    chat: ChatRequest,
    chunk: Chunk,
    include_usage: bool,
    (permit, metered): (OwnedSemaphorePermit, Option<Metered>),
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let (events, rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let _permit = permit;
        let (pieces, mut texts) = mpsc::unbounded_channel();
        let max = chat.max_output_tokens;
        let job = tokio::spawn(async move { backend.complete_streaming(&chat, pieces).await });
        let _ = events.send(chunk.role());
        while let Some(text) = texts.recv().await {
            let _ = events.send(chunk.text(&text));
        }
        let done: Result<Completion, ApiError> = match job.await {
            Ok(result) => result.map_err(ApiError::from),
            Err(e) => Err(ApiError::internal(&e.to_string())),
        };
        match done {
            Ok(done) => {
                let to_sign = match metered {
                    Some(m) => Some(m.complete(&done).await),
                    None => None,
                };
                let _ = events.send(chunk.finish(&done, max, to_sign));
                if include_usage {
                    let _ = events.send(chunk.usage(&done));
                }
            }
            Err(e) => {
                if let Some(m) = metered {
                    m.desk.release(m.id, m.reservation).await;
                }
                let _ = events.send(e.event());
            }
        }
        let _ = events.send(Event::default().data("[DONE]"));
    });
    Sse::new(UnboundedReceiverStream::new(rx).map(Ok))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}
