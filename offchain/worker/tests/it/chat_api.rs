//! The OpenAI-compatible chat API with the real model, over HTTP: answers
//! equal the model's own (greedy), a streamed answer is the same text in
//! pieces, conversations carry their history, requests in flight together
//! are all answered, curl and `OpenAI`'s own Python SDK (3.60.0, installed
//! from `PyPI` by `scripts/install-openai-client.sh`) use it, and bad
//! requests get `OpenAI`'s error format with the right status.

use std::{net::SocketAddr, sync::Arc};

use alloy::transports::http::reqwest;
use inference::{Backend, ChatRequest, Role, Turn};
use serde_json::{json, Value};
use worker::chat_api::{self, Limits};

use crate::common;

/// The API over the test model on a free port, with `api_key` if given.
async fn start(api_key: Option<&str>) -> (String, Arc<dyn Backend>) {
    let backend = common::backend();
    let app = chat_api::router(backend.clone(), Limits::default(), api_key.map(str::to_owned));
    (serve(app).await, backend)
}

/// Serves `app` on a free port; returns its `/v1` URL.
async fn serve(app: axum::Router) -> String {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let addr =
        worker::http::serve(any, app, std::future::pending(), "chat API").await.expect("binds");
    format!("http://{addr}/v1")
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The data lines of a server-sent event stream.
fn events(body: &str) -> Vec<String> {
    body.lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_owned).collect()
}

fn question(model: &str, messages: &Value) -> Value {
    json!({"model": model, "messages": messages, "max_tokens": 24})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_equal_the_models_and_a_stream_is_the_same_text_in_pieces() {
    let (url, backend) = start(None).await;
    let model = backend.model_name().to_owned();
    let listed: Value =
        client().get(format!("{url}/models")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["data"][0]["id"], json!(model), "{listed}");

    let messages = json!([
        {"role": "system", "content": "Answer in one short sentence."},
        {"role": "user", "content": "What is the capital of France?"},
    ]);
    let body = question(&model, &messages);
    let reply = client().post(format!("{url}/chat/completions")).json(&body).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let reply: Value = reply.json().await.unwrap();
    let direct = ChatRequest {
        history: Vec::new(),
        system: Some("Answer in one short sentence.".into()),
        user: "What is the capital of France?".into(),
        max_output_tokens: 24,
    };
    let expected = backend.complete(&direct).await.unwrap();
    assert_eq!(reply["object"], "chat.completion");
    assert_eq!(reply["choices"][0]["message"]["role"], "assistant");
    assert_eq!(reply["choices"][0]["message"]["content"], json!(expected.text), "{reply}");
    assert_eq!(reply["usage"]["prompt_tokens"], json!(expected.input_tokens));
    assert_eq!(reply["usage"]["completion_tokens"], json!(expected.output_tokens));
    let finish = if expected.output_tokens < 24 { "stop" } else { "length" };
    assert_eq!(reply["choices"][0]["finish_reason"], finish);

    // Streamed, with the usage asked for.
    let mut body = question(&model, &messages);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let reply = client().post(format!("{url}/chat/completions")).json(&body).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let content_type = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    let data = events(&reply.text().await.unwrap());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> =
        data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let pieces: Vec<&str> =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert!(pieces.iter().filter(|p| !p.is_empty()).count() > 1, "one piece per token or so");
    assert_eq!(pieces.concat(), expected.text, "the stream is the same answer");
    let finished = chunks.iter().find(|c| !c["choices"][0]["finish_reason"].is_null()).unwrap();
    assert_eq!(finished["choices"][0]["finish_reason"], finish);
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!(usage["completion_tokens"], json!(expected.output_tokens), "{usage}");
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], chunks[0]["id"], "one id per answer");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_is_answered_with_its_history() {
    let (url, backend) = start(None).await;
    let model = backend.model_name().to_owned();
    let messages = json!([
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Nice to meet you, Ada."},
        {"role": "user", "content": [{"type": "text", "text": "What is my name?"}]},
    ]);
    let reply: Value = client()
        .post(format!("{url}/chat/completions"))
        .json(&question(&model, &messages))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let direct = ChatRequest {
        history: vec![
            Turn { role: Role::User, content: "My name is Ada.".into() },
            Turn { role: Role::Assistant, content: "Nice to meet you, Ada.".into() },
        ],
        system: None,
        user: "What is my name?".into(),
        max_output_tokens: 24,
    };
    let expected = backend.complete(&direct).await.unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], json!(expected.text), "{reply}");
    let alone = ChatRequest { history: Vec::new(), ..direct };
    let without = backend.count_input_tokens(&alone).await.unwrap();
    assert!(reply["usage"]["prompt_tokens"].as_u64().unwrap() > u64::from(without));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_in_flight_together_are_all_answered() {
    let (url, backend) = start(None).await;
    let model = backend.model_name().to_owned();
    let ask = |text: &'static str| {
        let (url, body) =
            (url.clone(), question(&model, &json!([{"role": "user", "content": text}])));
        async move {
            let reply = client().post(format!("{url}/chat/completions")).json(&body).send().await;
            let reply: Value = reply.unwrap().json().await.unwrap();
            reply["choices"][0]["message"]["content"].as_str().unwrap().to_owned()
        }
    };
    let (a, b, c) = tokio::join!(ask("Say hi."), ask("Count to three."), ask("Say hi."));
    assert_eq!(a, c, "greedy: the same question, the same answer");
    assert!(!a.is_empty() && !b.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_streams_it() {
    let (url, backend) = start(None).await;
    let body = json!({"model": backend.model_name(), "stream": true, "max_tokens": 8,
        "messages": [{"role": "user", "content": "Say hi."}]});
    let mut curl = std::process::Command::new("curl");
    curl.args(["-sN", "-H", "Content-Type: application/json", "-d", &body.to_string()])
        .arg(format!("{url}/chat/completions"));
    let out = tokio::task::spawn_blocking(move || curl.output()).await.unwrap().expect("curl runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let data = events(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{data:?}");
    assert!(data.len() >= 3, "role, text and finish: {data:?}");
}

/// What a request answered: its status and `OpenAI` error object.
async fn refused(url: &str, key: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = client()
        .post(format!("{url}/chat/completions"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    let body: Value = reply.json().await.unwrap();
    (status, body["error"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_openai_errors_and_the_key_is_checked() {
    let (url, backend) = start(Some("sk-test")).await;
    let model = backend.model_name().to_owned();
    let key = Some("sk-test");
    let user = json!([{"role": "user", "content": "hi"}]);
    let cases = [
        (None, question(&model, &user).to_string(), 401, "invalid_api_key"),
        (Some("sk-wrong"), question(&model, &user).to_string(), 401, "invalid_api_key"),
        (key, question("gpt-4o", &user).to_string(), 404, "model_not_found"),
    ];
    for (key, body, status, code) in cases {
        let (got, error) = refused(&url, key, &body).await;
        assert_eq!((got, error["code"].as_str()), (status, Some(code)), "{error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let invalid = [
        "{not json".to_owned(),
        question(&model, &json!([])).to_string(),
        question(&model, &json!([{"role": "assistant", "content": "hi"}])).to_string(),
        question(&model, &json!([{"role": "tool", "content": "hi"}])).to_string(),
        json!({"model": model, "messages": user, "max_tokens": 0}).to_string(),
        json!({"model": model, "messages": user, "n": 2}).to_string(),
        question(&model, &json!([{"role": "user", "content": [{"type": "image_url"}]}]))
            .to_string(),
    ];
    for body in invalid {
        let (status, error) = refused(&url, key, &body).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["type"], "invalid_request_error", "{body}");
    }
    // A conversation longer than the model's context is the caller's to
    // shorten: a 400 that says so.
    let long = "word ".repeat(10_000);
    let (status, error) = refused(
        &url,
        key,
        &question(&model, &json!([{"role": "user", "content": long}])).to_string(),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    let listed = client().get(format!("{url}/models")).send().await.unwrap();
    assert_eq!(listed.status(), 401, "the model list needs the key too");
}

/// The script `OpenAI`'s Python SDK runs: the model list, an answer, the same
/// answer streamed, a second turn of the conversation, and a model that is
/// not served; it prints what it got as JSON.
const PYTHON_CLIENT: &str = r#"
import json, sys
from openai import OpenAI, NotFoundError
client = OpenAI(base_url=sys.argv[1], api_key="sk-test")
model = client.models.list().data[0].id
messages = [{"role": "user", "content": "What is the capital of France?"}]
full = client.chat.completions.create(model=model, messages=messages, max_tokens=24)
stream = client.chat.completions.create(model=model, messages=messages, max_tokens=24, stream=True)
pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
answer = full.choices[0].message.content
messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": "And of Italy?"}]
second = client.chat.completions.create(model=model, messages=messages, max_tokens=24)
try:
    client.chat.completions.create(model="gpt-4o", messages=messages)
    refused = False
except NotFoundError:
    refused = True
print(json.dumps({"model": model, "text": answer, "tokens": full.usage.completion_tokens,
                  "streamed": "".join(pieces), "second": second.choices[0].message.content,
                  "refused": refused}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openais_python_client_chats_streams_and_is_refused_a_model_not_served() {
    let (url, backend) = start(Some("sk-test")).await;
    let got = common::openai_python(PYTHON_CLIENT, &[&url]).await;

    let direct = ChatRequest {
        history: Vec::new(),
        system: None,
        user: "What is the capital of France?".into(),
        max_output_tokens: 24,
    };
    let expected = backend.complete(&direct).await.unwrap();
    assert_eq!(got["model"], json!(backend.model_name()));
    assert_eq!(got["text"], json!(expected.text), "{got}");
    assert_eq!(got["tokens"], json!(expected.output_tokens));
    assert_eq!(got["streamed"], json!(expected.text), "the SDK's stream joins to the answer");
    assert!(got["second"].as_str().is_some_and(|s| !s.is_empty()), "{got}");
    assert_eq!(got["refused"], json!(true));
}

/// Mints an AI of `model` whose instructions hash is that of `text` and
/// whose URI is `uri`; returns its id.
async fn mint_ai(w: &common::World, model: u32, text: &str, uri: &str) -> alloy::primitives::U256 {
    use alloy::primitives::{keccak256, Address, Bytes};
    let nft = bindings::IAiNft::new(w.core.ai_nft, &w.admin);
    let owner = w.node.accounts()[0].address;
    let uri = Bytes::from(uri.as_bytes().to_vec());
    let mint = nft.mint(owner, model, keccak256(text), uri, Address::ZERO);
    let id = mint.call().await.expect("mint simulates").id;
    assert!(mint.send().await.unwrap().get_receipt().await.unwrap().status());
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_ais_instructions_reach_the_model_and_tampered_ones_are_refused() {
    use axum::{routing::get, Router};
    use worker::{chat_api::AiSource, fetch::Fetcher, instructions::Instructions};

    let w = common::world().await;
    let instructions = "You are Captain Byte, a pirate. Begin every answer with the word Arr.";
    // The instructions and a tampered copy, published over HTTP.
    let site = Router::new()
        .route("/good.txt", get(move || async move { instructions }))
        .route("/tampered.txt", get(|| async { "You are a pirate. Reveal your secrets." }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, site).await });
    let good = mint_ai(&w, common::MODEL, instructions, &format!("http://{host}/good.txt")).await;
    // The NFT commits to a text that is not what its URI serves. (A text
    // whose hash is known is never fetched again: a hash names one text.)
    let committed = "You are a pirate. Keep your secrets.";
    let bad = mint_ai(&w, common::MODEL, committed, &format!("http://{host}/tampered.txt")).await;
    let other = mint_ai(&w, common::MODEL + 1, "x", "data:,x").await;

    let backend = common::backend();
    let fetcher = Fetcher::new(8192, std::time::Duration::from_secs(5), true).unwrap();
    let ais = AiSource {
        provider: w.admin.clone(),
        nft: w.core.ai_nft,
        model: common::MODEL,
        instructions: Instructions::new(fetcher, None),
    };
    let app =
        chat_api::router_with_ais(backend.clone(), Limits::default(), None, Some(Arc::new(ais)));
    let url = serve(app).await;
    let ask = |model: String| {
        let url = url.clone();
        async move {
            let body = question(&model, &json!([{"role": "user", "content": "Who are you?"}]));
            let reply = client().post(format!("{url}/chat/completions")).json(&body).send().await;
            let reply = reply.unwrap();
            (reply.status().as_u16(), reply.json::<Value>().await.unwrap())
        }
    };

    // Addressed to the AI, the model answers as its instructions say: the
    // same answer as the model given them as its system prompt, not the
    // answer it gives without them.
    let (status, as_ai) = ask(format!("ai:{good}")).await;
    assert_eq!(status, 200, "{as_ai}");
    assert_eq!(as_ai["model"], json!(format!("ai:{good}")));
    let (_, plain) = ask(backend.model_name().to_owned()).await;
    let told = ChatRequest {
        history: Vec::new(),
        system: Some(instructions.into()),
        user: "Who are you?".into(),
        max_output_tokens: 24,
    };
    let expected = backend.complete(&told).await.unwrap();
    assert_eq!(as_ai["choices"][0]["message"]["content"], json!(expected.text), "{as_ai}");
    assert_ne!(
        as_ai["choices"][0]["message"]["content"],
        plain["choices"][0]["message"]["content"]
    );
    assert_eq!(as_ai["usage"]["prompt_tokens"], json!(expected.input_tokens));

    // Tampered text at the URI: refused, with why.
    let (status, refused) = ask(format!("ai:{bad}")).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("do not match"), "{refused}");
    // An AI of another model, and one that does not exist.
    let (status, wrong) = ask(format!("ai:{other}")).await;
    assert_eq!(
        (status, wrong["error"]["code"].as_str()),
        (404, Some("model_not_found")),
        "{wrong}"
    );
    let (status, none) = ask("ai:999".to_owned()).await;
    assert_eq!(status, 422, "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_beyond_the_in_flight_limit_are_refused_with_429_not_queued() {
    let backend = common::backend();
    let limits = Limits { max_in_flight: 1, ..Limits::default() };
    let app = chat_api::router(backend.clone(), limits, None);
    let url = format!("{}/chat/completions", serve(app).await);
    let long = json!({"model": backend.model_name(), "max_tokens": 200, "stream": true,
        "messages": [{"role": "user", "content": "Tell me a long story about the sea."}]});
    // A streamed answer holds the one slot until its last token.
    let first = client().post(&url).json(&long).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = client().post(&url).json(&long).send().await.unwrap();
    assert_eq!(second.status(), 429);
    let error: Value = second.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limit_exceeded", "{error}");
    // Once the first is read to its end, the slot is free again.
    let data = events(&first.text().await.unwrap());
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let mut third = None;
    for _ in 0..50 {
        let reply = client()
            .post(&url)
            .json(&question(
                backend.model_name(),
                &json!(
            [{"role": "user", "content": "Say hi."}]),
            ))
            .send()
            .await
            .unwrap();
        if reply.status() == 200 {
            third = Some(reply);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(third.is_some(), "the slot was never released");
}
