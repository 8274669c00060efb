//! The `OpenAI` backend against a RECORDED TEST DOUBLE: a tiny axum server
//! on loopback that replays responses recorded from a real llama.cpp server
//! (see `tests/fixtures/README.md`) and keeps what the backend sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Router;
use inference::{Backend, ChatRequest, Error, OpenAiBackend, OpenAiConfig};
use serde_json::{json, Value};

const CHAT: &str = include_str!("../fixtures/llama_server_chat_completion.json");
const APPLY_TEMPLATE: &str = include_str!("../fixtures/llama_server_apply_template.json");
const TOKENIZE: &str = include_str!("../fixtures/llama_server_tokenize.json");

/// What the double answers on each route: a status and a body, or a delay.
#[derive(Clone)]
enum Reply {
    Json(StatusCode, &'static str),
    Text(StatusCode, &'static str),
    After(Duration),
}

/// One request as the double saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: &'static str,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone)]
struct Double {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Double {
    /// Starts the double; `tokenizer` routes exist only when given (as on
    /// llama.cpp server; vLLM and Ollama lack them).
    async fn start(chat: Reply, tokenizer: bool) -> (Self, String) {
        let double = Self { seen: Arc::default() };
        let mut router = Router::new().route("/v1/chat/completions", replay("chat", chat));
        if tokenizer {
            router = router
                .route(
                    "/apply-template",
                    replay("apply-template", Reply::Json(StatusCode::OK, APPLY_TEMPLATE)),
                )
                .route("/tokenize", replay("tokenize", Reply::Json(StatusCode::OK, TOKENIZE)));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = router.with_state(double.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (double, url)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A POST route that records the request under `name` and answers `reply`.
fn replay(name: &'static str, reply: Reply) -> MethodRouter<Double> {
    post(move |state: State<Double>, headers: HeaderMap, body: String| {
        answer(state, headers, body, name, reply.clone())
    })
}

async fn answer(
    State(double): State<Double>,
    headers: HeaderMap,
    body: String,
    path: &'static str,
    reply: Reply,
) -> Response {
    let authorization = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    double.seen.lock().unwrap().push(Seen { path, authorization, body });
    let json = [("content-type", "application/json")];
    match reply {
        Reply::Json(status, body) => (status, json, body).into_response(),
        Reply::Text(status, body) => (status, body).into_response(),
        Reply::After(delay) => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, json, CHAT).into_response()
        }
    }
}

fn france() -> ChatRequest {
    ChatRequest {
        history: Vec::new(),
        system: Some("Answer in one sentence.".into()),
        user: "What is the capital of France?".into(),
        max_output_tokens: 32,
    }
}

fn backend(url: &str) -> OpenAiBackend {
    let mut config = OpenAiConfig::new(url, "SmolLM2-135M-Instruct.Q4_1");
    config.api_key = Some("sk-test".into());
    config.request_timeout = Duration::from_millis(800);
    OpenAiBackend::new(config).unwrap()
}

#[tokio::test]
async fn completion_sends_a_greedy_request_and_reads_text_and_usage() {
    let (double, url) = Double::start(Reply::Json(StatusCode::OK, CHAT), false).await;
    let completion = backend(&url).complete(&france()).await.unwrap();
    assert_eq!(completion.text, "The capital of France is Paris.");
    assert_eq!((completion.input_tokens, completion.output_tokens), (26, 8));

    let seen = double.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(
        seen[0].body,
        json!({
            "model": "SmolLM2-135M-Instruct.Q4_1",
            "messages": [
                {"role": "system", "content": "Answer in one sentence."},
                {"role": "user", "content": "What is the capital of France?"},
            ],
            "max_tokens": 32,
            "temperature": 0.0,
            "seed": 0,
            "stream": false,
        })
    );
}

#[tokio::test]
async fn input_tokens_come_from_llama_cpp_tokenize_when_the_server_has_it() {
    let (double, url) = Double::start(Reply::Json(StatusCode::OK, CHAT), true).await;
    assert_eq!(backend(&url).count_input_tokens(&france()).await.unwrap(), 26);
    let seen = double.seen();
    let paths: Vec<_> = seen.iter().map(|s| s.path).collect();
    assert_eq!(paths, ["apply-template", "tokenize"]);
    assert_eq!(seen[0].body["messages"][1]["content"], "What is the capital of France?");
    let prompt: Value = serde_json::from_str(APPLY_TEMPLATE).unwrap();
    assert_eq!(seen[1].body["content"], prompt["prompt"]);
    assert_eq!(seen[1].body["parse_special"], true);
}

#[tokio::test]
async fn input_tokens_fall_back_to_a_one_token_probe_and_remember_it() {
    let (double, url) = Double::start(Reply::Json(StatusCode::OK, CHAT), false).await;
    let backend = backend(&url);
    assert_eq!(backend.count_input_tokens(&france()).await.unwrap(), 26);
    assert_eq!(backend.count_input_tokens(&france()).await.unwrap(), 26);
    let seen = double.seen();
    let chats: Vec<_> = seen.iter().filter(|s| s.path == "chat").collect();
    assert_eq!(chats.len(), 2);
    assert!(chats.iter().all(|s| s.body["max_tokens"] == 1));
    // The recorded answer reports 8 completion tokens for a 1-token probe:
    // counting only reads prompt_tokens, so that does not matter here.
}

#[tokio::test]
async fn a_server_error_is_an_error_with_status_and_body() {
    let reply = Reply::Text(StatusCode::INTERNAL_SERVER_ERROR, "model crashed: out of memory");
    let (_double, url) = Double::start(reply, false).await;
    let err = backend(&url).complete(&france()).await.unwrap_err();
    match &err {
        Error::Status { status, body, url } => {
            assert_eq!(*status, 500);
            assert!(body.contains("out of memory"));
            assert!(url.ends_with("/v1/chat/completions"));
        }
        other => panic!("expected a status error, got {other}"),
    }
    assert!(err.to_string().contains("500"), "{err}");
}

#[tokio::test]
async fn malformed_or_incomplete_answers_are_errors() {
    let cases = [
        ("{\"choices\": [", "EOF"),
        (
            "{\"choices\": [], \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 1}}",
            "no choices",
        ),
        ("{\"choices\": [{\"message\": {\"content\": \"x\"}}]}", "usage"),
        (
            "{\"choices\": [{\"message\": {\"content\": \"x\"}}], \
             \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 33}}",
            "more than the 32",
        ),
    ];
    for (body, expected) in cases {
        let (_double, url) = Double::start(Reply::Json(StatusCode::OK, body), false).await;
        let err = backend(&url).complete(&france()).await.unwrap_err();
        assert!(matches!(err, Error::BadResponse { .. }), "{err}");
        assert!(err.to_string().contains(expected), "{err} should mention {expected}");
    }
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let (_double, url) = Double::start(Reply::After(Duration::from_secs(5)), false).await;
    let err = backend(&url).complete(&france()).await.unwrap_err();
    match err {
        Error::Http { source, .. } => assert!(source.is_timeout(), "{source}"),
        other => panic!("expected a timeout, got {other}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_an_error() {
    // Bind and drop a listener: the port is then (almost surely) closed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = backend(&url).complete(&france()).await.unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err}");
}

#[tokio::test]
async fn estimate_is_finite_and_learns_from_completions() {
    // A fixed 20 ms answer: long enough to count as a sample (an answer
    // faster than the estimator's 200 µs floor is ignored, which made this
    // test depend on the machine), and 8 tokens in well under the 800 ms
    // timeout is far faster than the 10 tokens/s prior.
    let (_double, url) = Double::start(Reply::After(Duration::from_millis(20)), false).await;
    let backend = backend(&url);
    let before = backend.throughput();
    backend.complete(&france()).await.unwrap();
    assert!(backend.throughput().output_tokens_per_s > before.output_tokens_per_s);
    let estimate = backend.estimate(26, 32);
    assert!(estimate > Duration::ZERO && estimate < Duration::from_mins(1), "{estimate:?}");
}

/// Against a real server: `COMPUTEFI_OPENAI_URL` (and optionally
/// `COMPUTEFI_OPENAI_MODEL`, `COMPUTEFI_OPENAI_KEY`), e.g. llama.cpp's
/// `llama-server -m SmolLM2-135M-Instruct.Q4_1.gguf --port 8080`.
#[tokio::test]
#[ignore = "needs a running OpenAI-compatible server at COMPUTEFI_OPENAI_URL"]
async fn real_server_answers_greedily_and_counts_tokens() {
    let url = std::env::var("COMPUTEFI_OPENAI_URL").expect("set COMPUTEFI_OPENAI_URL");
    let model = std::env::var("COMPUTEFI_OPENAI_MODEL")
        .unwrap_or_else(|_| "SmolLM2-135M-Instruct.Q4_1".into());
    let mut config = OpenAiConfig::new(url, model);
    config.api_key = std::env::var("COMPUTEFI_OPENAI_KEY").ok();
    let backend = OpenAiBackend::new(config).unwrap();
    let first = backend.complete(&france()).await.unwrap();
    let second = backend.complete(&france()).await.unwrap();
    assert_eq!(first.text, second.text);
    assert!(!first.text.is_empty());
    assert!(first.output_tokens >= 1 && first.output_tokens <= 32);
    assert_eq!(backend.count_input_tokens(&france()).await.unwrap(), first.input_tokens);
}
