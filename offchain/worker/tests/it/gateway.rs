//! The gateway on the devnode with the real model and a worker serving
//! sessions: the key holder delegates its key to the gateway and signs in
//! with EIP-4361; `OpenAI`'s Python SDK and curl chat through the gateway,
//! which opens a session on the key's quota, signs a receipt per answer
//! and closes with the newest; the session settles for exactly what the
//! last receipt says. Refusals: a key not delegated (403), a tampered API
//! key (401), a rate over the limit (429 with `Retry-After`), a quota spent
//! across sessions (402 with the quota left), credits that cannot escrow a
//! session (402). Also: a token-bound account signing in (EIP-1271), a
//! restarted gateway, and a provider found by its published endpoint.

use std::sync::Arc;

use alloy::{
    primitives::{Address, U256},
    providers::DynProvider,
    signers::SignerSync,
    sol_types::SolCall,
    transports::http::reqwest,
};
use bindings::{
    IComputeCredits, IInferenceAccess, IInferenceRegistry, IInferenceSessions, ITokenBoundAccount,
};
use gateway::{
    config::{Config, LimitsConfig, SessionsConfig},
    Gateway,
};
use serde_json::{json, Value};

use crate::{
    common::{self, World, MODEL},
    sessions::serve,
};

/// The key holder (token 1 of the community's keys) and the gateway.
const HOLDER: usize = 2;
const GATEWAY: usize = 4;
const PROVIDER: usize = 1;
const CHAIN_ID: u64 = 412_346;

/// A gateway for `w` routing to the worker at `worker_url`.
async fn start_gateway(
    w: &World,
    worker_url: Option<&str>,
    limits: LimitsConfig,
    cap: U256,
) -> (String, Arc<Gateway>) {
    let text = format!(
        r#"
        [chain]
        rpc_url = "{rpc}"
        sessions = "{sessions}"
        access = "{access}"
        registry = "{registry}"
        ai_nft = "{ai_nft}"
        [sign_in]
        domain = "gateway.test"
        [[models]]
        name = "{model}"
        id = {MODEL}
        [[providers]]
        address = "{provider}"
        url = "{url}"
        "#,
        url = worker_url.unwrap_or("http://unused.invalid/v1"),
        rpc = w.node.url(),
        sessions = w.core.sessions,
        access = w.core.access,
        registry = w.core.registry,
        ai_nft = w.core.ai_nft,
        model = common::backend().model_name(),
        provider = w.node.accounts()[PROVIDER].address,
    );
    let mut config: Config = toml::from_str(&text).unwrap();
    // Without a worker named, the gateway finds providers in the registry.
    if worker_url.is_none() {
        config.providers.clear();
    }
    config.discover_providers = worker_url.is_none();
    config.limits = limits;
    config.sessions = SessionsConfig { cap, ..SessionsConfig::default() };
    config.check().unwrap();
    let gw = Gateway::new(&config, common::signer(&w.node, GATEWAY)).await.unwrap();
    let any = "127.0.0.1:0".parse().unwrap();
    let addr =
        gateway::serve(any, gateway::router(gw.clone()), std::future::pending()).await.unwrap();
    (format!("http://{addr}/v1"), gw)
}

/// Signs in as the key holder; returns the status and the answer.
async fn sign_in(w: &World, url: &str) -> (u16, Value) {
    let holder = common::signer(&w.node, HOLDER);
    let message = login_message(w, url, holder.address(), U256::from(1)).await;
    let signature = holder.sign_message_sync(message.as_bytes()).unwrap().to_string();
    login(url, &message, &signature).await
}

/// The sign-in message for `signer` and key `token`, with a fresh nonce.
async fn login_message(w: &World, url: &str, signer: Address, token: U256) -> String {
    let http = reqwest::Client::new();
    let nonce: Value =
        http.get(format!("{url}/auth/nonce")).send().await.unwrap().json().await.unwrap();
    let now = common::now(w).await;
    let nonce = nonce["nonce"].as_str().unwrap();
    let key = (w.community.keys, token);
    gateway::sign_in::message("gateway.test", signer, CHAIN_ID, nonce, key, None, now)
}

/// Signs in with `message` and `signature`; the status and the answer.
async fn login(url: &str, message: &str, signature: &str) -> (u16, Value) {
    let body = json!({"message": message, "signature": signature});
    let reply =
        reqwest::Client::new().post(format!("{url}/auth/login")).json(&body).send().await.unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

/// The holder lets `gateway` act for its key.
async fn delegate(w: &World, gateway: Address) {
    let holder = common::wallet_provider(&w.node, HOLDER);
    let access = IInferenceAccess::new(w.core.access, &holder);
    let call = access.delegateKey(w.community.keys, U256::from(1), gateway);
    assert!(call.send().await.unwrap().get_receipt().await.unwrap().status());
}

/// One chat request through the gateway; the status, the answer and the
/// `Retry-After` header.
async fn chat(url: &str, api_key: &str, body: &Value) -> (u16, Value, Option<String>) {
    let reply = reqwest::Client::new()
        .post(format!("{url}/chat/completions"))
        .bearer_auth(api_key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let retry = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, reply.json().await.unwrap_or(Value::Null), retry)
}

fn ask(max_tokens: u64) -> Value {
    json!({
        "model": common::backend().model_name(),
        "messages": [{"role": "user", "content": "Name one colour."}],
        "max_tokens": max_tokens,
    })
}

/// The gateway's sessions, from its `SessionOpened` logs.
async fn sessions_of(w: &World, gateway: Address) -> Vec<u64> {
    use alloy::{providers::Provider, rpc::types::Filter, sol_types::SolEvent};
    let filter = Filter::new().address(w.core.sessions).from_block(0);
    let logs = w.admin.get_logs(&filter).await.unwrap();
    logs.iter()
        .filter_map(|l| IInferenceSessions::SessionOpened::decode_log_data(l.data()).ok())
        .filter(|o| o.requester == gateway)
        .map(|o| o.id)
        .collect()
}

/// `OpenAI`'s Python SDK against the gateway with an API key: the models
/// listed, three turns (streamed, not, streamed); prints the texts.
const PYTHON_GATEWAY: &str = r#"
import json, sys
from openai import OpenAI
client = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2])
model = client.models.list().data[0].id
messages = [{"role": "user", "content": "Name one colour."}]
texts = []
for stream in [True, False, True]:
    if stream:
        chunks = client.chat.completions.create(model=model, messages=messages, max_tokens=12, stream=True)
        text = "".join((c.choices[0].delta.content or "") for c in chunks if c.choices)
    else:
        text = client.chat.completions.create(model=model, messages=messages, max_tokens=12).choices[0].message.content
    texts.append(text)
    messages += [{"role": "assistant", "content": text}, {"role": "user", "content": "And another?"}]
print(json.dumps({"model": model, "texts": texts}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_signs_in_a_key_holder_who_chats_through_openai_and_curl_and_settles() {
    let w = common::world().await;
    let (worker_url, desk) = serve(&w, 2).await;
    let (url, gw) =
        start_gateway(&w, Some(&worker_url), LimitsConfig::default(), U256::from(10u128.pow(16)))
            .await;
    let me = w.node.accounts()[GATEWAY].address;

    let (status, refused) = sign_in(&w, &url).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("key_not_delegated")),
        "{refused}"
    );
    delegate(&w, me).await;
    let (status, login) = sign_in(&w, &url).await;
    assert_eq!(status, 200, "{login}");
    let api_key = login["api_key"].as_str().unwrap().to_owned();
    assert_eq!(login["payer"].as_str().unwrap().parse::<Address>().unwrap(), w.community.account);

    let mut tampered = api_key.clone().into_bytes();
    let at = tampered.len() / 2;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let (status, _, _) = chat(&url, std::str::from_utf8(&tampered).unwrap(), &ask(4)).await;
    assert_eq!(status, 401, "a tampered API key is refused");

    let got = common::openai_python(PYTHON_GATEWAY, &[&url, &api_key]).await;
    let texts = got["texts"].as_array().unwrap();
    assert!(texts.len() == 3 && texts.iter().all(|t| !t.as_str().unwrap().is_empty()), "{got}");
    assert_eq!(got["model"], json!(common::backend().model_name()));

    // curl, streamed: the same session.
    let body = json!({"model": common::backend().model_name(), "stream": true, "max_tokens": 8,
        "messages": [{"role": "user", "content": "Say hi."}]})
    .to_string();
    let mut curl = std::process::Command::new("curl");
    curl.args([
        "-sS",
        "-N",
        "-H",
        &format!("Authorization: Bearer {api_key}"),
        "-H",
        "Content-Type: application/json",
    ])
    .args(["-d", &body, &format!("{url}/chat/completions")]);
    let curl =
        tokio::task::spawn_blocking(move || curl.output()).await.unwrap().expect("curl runs");
    let streamed = String::from_utf8(curl.stdout).unwrap();
    assert!(
        streamed.contains("chat.completion.chunk") && streamed.trim_end().ends_with("data: [DONE]"),
        "{streamed}"
    );

    let opened = sessions_of(&w, me).await;
    assert_eq!(opened.len(), 1, "four answers, one session: {opened:?}");
    let id = opened[0];
    let (used, _) = desk.account(id).await.unwrap();
    assert_eq!(used.seq, 4);
    // The gateway closes with the newest receipt; the worker agrees, and
    // the session settles for exactly the four answers.
    gw.book.close_all().await;
    desk.tend().await.unwrap();
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(
        sessions.session(id).call().await.unwrap().phase,
        bindings::receipt::phase::SETTLED,
        "settled"
    );
    let settled = sessions.settlement(id).call().await.unwrap();
    assert_eq!((settled.seq, settled.cost), (4, used.cost));
    let provider = w.node.accounts()[PROVIDER].address;
    let earned =
        IComputeCredits::new(w.core.ledger, &w.admin).earnedOf(provider).call().await.unwrap();
    assert_eq!(earned, used.cost);
}

/// Sets the community's quota per key to `quota` (the AI's owner, through
/// the AI's account).
async fn set_quota(w: &World, quota: U256) {
    let set = IInferenceAccess::setPolicyCall {
        collection: w.community.keys,
        quota,
        period: 86_400,
        allModels: true,
    };
    let account = ITokenBoundAccount::new(w.community.account, &w.admin);
    let call = account.execute(w.core.access, U256::ZERO, set.abi_encode().into(), 0);
    assert!(call.send().await.unwrap().get_receipt().await.unwrap().status());
}

async fn prices(chain: &DynProvider, w: &World) -> (U256, U256) {
    let m = IInferenceRegistry::new(w.core.registry, chain).model(MODEL).call().await.unwrap();
    (m.priceIn, m.priceOut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_enforces_the_keys_rate_and_its_quota_across_sessions() {
    let w = common::world().await;
    let (worker_url, desk) = serve(&w, 2).await;
    // A session's cap covers one short answer (16 output tokens, a prompt
    // bounded by its bytes and a 512-token allowance), not one of 500.
    let (p_in, p_out) = prices(&w.admin, &w).await;
    let cap = p_in * U256::from(1_000) + p_out * U256::from(64);
    set_quota(&w, cap).await;
    let limits = LimitsConfig {
        requests_per_minute: 1,
        burst: 5,
        prompt_allowance: 512,
        ..LimitsConfig::default()
    };
    let (url, gw) = start_gateway(&w, Some(&worker_url), limits, cap).await;
    let me = w.node.accounts()[GATEWAY].address;
    delegate(&w, me).await;
    let (_, login) = sign_in(&w, &url).await;
    let api_key = login["api_key"].as_str().unwrap().to_owned();

    let (status, answer, _) = chat(&url, &api_key, &ask(16)).await;
    assert_eq!(status, 200, "{answer}");
    // A longer answer needs a new session, and the first one escrows the
    // whole quota: 402, with what is left.
    let (status, refused, _) = chat(&url, &api_key, &ask(500)).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (402, Some("quota_exhausted")),
        "{refused}"
    );
    assert_eq!(refused["error"]["quota_left"], json!("0"));
    assert_eq!(sessions_of(&w, me).await.len(), 1);

    // Three more requests (malformed ones count too) fill the burst of
    // five; the next waits a minute.
    for _ in 0..3 {
        assert_eq!(chat(&url, &api_key, &json!({})).await.0, 400);
    }
    let (status, limited, retry) = chat(&url, &api_key, &ask(4)).await;
    assert_eq!(
        (status, limited["error"]["code"].as_str()),
        (429, Some("rate_limit_exceeded")),
        "{limited}"
    );
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);

    // Once the retired session settles, its unused escrow is quota again.
    gw.book.tend().await.unwrap();
    desk.tend().await.unwrap();
    let id = sessions_of(&w, me).await[0];
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(
        sessions.session(id).call().await.unwrap().phase,
        bindings::receipt::phase::SETTLED,
        "settled"
    );
    let spent = sessions.settlement(id).call().await.unwrap().cost;
    let access = IInferenceAccess::new(w.core.access, &w.admin);
    let left = access
        .quotaLeft(w.community.account, w.community.keys, U256::from(1))
        .call()
        .await
        .unwrap();
    assert!(spent > U256::ZERO && left + spent == cap, "left {left}, spent {spent}, quota {cap}");
}

/// Has the AI's account (owned by dev account 0) call `to` with `data`,
/// with room above the estimate (a key's votes cost more in a new second).
async fn as_ai_account(w: &World, to: Address, data: Vec<u8>) {
    let account = ITokenBoundAccount::new(w.community.account, &w.admin);
    let call = account.execute(to, U256::ZERO, data.into(), 0).gas(2_000_000);
    assert!(call.send().await.unwrap().get_receipt().await.unwrap().status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_bound_account_signs_in_by_eip_1271_and_a_restarted_gateway_settles_its_session() {
    let w = common::world().await;
    let (worker_url, desk) = serve(&w, 2).await;
    let (url, _first) =
        start_gateway(&w, Some(&worker_url), LimitsConfig::default(), U256::from(10u128.pow(16)))
            .await;
    let me = w.node.accounts()[GATEWAY].address;
    // The AI's account holds key 2 and lets the gateway act for it.
    let tba = w.community.account;
    as_ai_account(&w, w.community.keys, bindings::IKeyNft::issueCall { to: tba }.abi_encode())
        .await;
    let delegate = IInferenceAccess::delegateKeyCall {
        collection: w.community.keys,
        token: U256::from(2),
        delegate: me,
    };
    as_ai_account(&w, w.core.access, delegate.abi_encode()).await;

    // The account's owner approves the message for the account (EIP-1271);
    // a stranger's approval is refused.
    let message = login_message(&w, &url, tba, U256::from(2)).await;
    let hash = alloy::primitives::eip191_hash_message(message.as_bytes());
    let safe = ITokenBoundAccount::new(tba, &w.admin).replaySafeHash(hash).call().await.unwrap();
    let stranger = alloy::signers::local::PrivateKeySigner::random().sign_hash_sync(&safe).unwrap();
    let (status, refused) = login(&url, &message, &stranger.to_string()).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (401, Some("sign_in_refused")),
        "{refused}"
    );
    let owner = common::signer(&w.node, 0).sign_hash_sync(&safe).unwrap();
    let (status, signed_in) = login(&url, &message, &owner.to_string()).await;
    assert_eq!(status, 200, "{signed_in}");
    let api_key = signed_in["api_key"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (status, answer, _) = chat(&url, &api_key, &ask(8)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let first = sessions_of(&w, me).await;
    assert_eq!(first.len(), 1);
    let (used, _) = desk.account(first[0]).await.unwrap();
    assert_eq!(used.seq, 2);
    // The gateway hands each receipt over as soon as it signs it.
    let mut held = None;
    for _ in 0..50 {
        held = desk.account(first[0]).await.and_then(|(_, best)| best).map(|b| b.receipt.seq);
        if held == Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(held, Some(2), "the provider holds the last answer's receipt");
    let forged = format!("3:1:1:1:0x{}", "11".repeat(65));
    let refused = reqwest::Client::new()
        .post(format!("{worker_url}/sessions/{}/receipt", first[0]))
        .header(worker::chat_api::RECEIPT_HEADER, forged)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 402, "a forged receipt is refused");

    // A new process with the same key: it closes what the first left open
    // (without a receipt), and the first one's API key still works.
    let (url, second) =
        start_gateway(&w, Some(&worker_url), LimitsConfig::default(), U256::from(10u128.pow(16)))
            .await;
    assert_eq!(second.book.recover(0).await.unwrap(), 1);
    let (status, answer, _) = chat(&url, &api_key, &ask(8)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(sessions_of(&w, me).await.len(), 2, "a new session for the new process");
    // The provider presents the newest receipt the first process signed.
    desk.tend().await.unwrap();
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(
        sessions.session(first[0]).call().await.unwrap().phase,
        bindings::receipt::phase::SETTLED
    );
    let settled = sessions.settlement(first[0]).call().await.unwrap();
    assert_eq!((settled.seq, settled.cost), (2, used.cost));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_payers_credits_cannot_escrow_is_answered_402_credits_exhausted() {
    let w = common::world().await;
    let (worker_url, _desk) = serve(&w, 2).await;
    // A quota far above the AI account's 1 ETH of credits, and sessions
    // that escrow 10 ETH.
    set_quota(&w, U256::from(10u128.pow(30))).await;
    let cap = U256::from(10u128.pow(19));
    let (url, _gw) = start_gateway(&w, Some(&worker_url), LimitsConfig::default(), cap).await;
    delegate(&w, w.node.accounts()[GATEWAY].address).await;
    let (_, login) = sign_in(&w, &url).await;
    let api_key = login["api_key"].as_str().unwrap().to_owned();
    let (status, refused, _) = chat(&url, &api_key, &ask(8)).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (402, Some("credits_exhausted")),
        "{refused}"
    );
    assert!(refused["error"]["message"].as_str().unwrap().contains("credits"));
    assert!(sessions_of(&w, w.node.accounts()[GATEWAY].address).await.is_empty(), "nothing opened");
}

/// A provider (dev account `index`) whose chat API is served before it
/// registers, so that it publishes that API's URL as its endpoint.
async fn published_provider(w: &World, index: usize) -> Address {
    use std::{sync::Arc, time::Duration};
    use worker::{
        chat_api::{self, Limits},
        sessions::{DeskConfig, SessionDesk},
        txm::TxManager,
    };
    let me = w.node.accounts()[index].address;
    let state = tempfile::tempdir().unwrap();
    let timeout = Duration::from_secs(5);
    let reader = worker::chain::provider(&w.node.url(), timeout, None).unwrap();
    let signer = Some(common::signer(&w.node, index));
    let sender = worker::chain::provider(&w.node.url(), timeout, signer).unwrap();
    let tx = common::config(w, state.path(), "").tx;
    let txm = Arc::new(TxManager::new(sender, me, CHAIN_ID, tx));
    let config = DeskConfig { contract: w.core.sessions, model: MODEL, max_unsigned: 2 };
    let desk = Arc::new(SessionDesk::new(reader.clone(), txm.clone(), config, None).await.unwrap());
    let app = chat_api::router_with_sessions(
        common::backend(),
        Limits::default(),
        None,
        None,
        Some(desk),
    );
    let any = "127.0.0.1:0".parse().unwrap();
    let addr = worker::http::serve(any, app, std::future::pending(), "chat API").await.unwrap();
    let bond = U256::from(common::BOND);
    common::fund(w, me, bond).await;
    let url = format!("http://{addr}/v1");
    worker::register::register(
        &reader,
        &txm,
        w.core.bridge,
        MODEL,
        bond,
        alloy::primitives::B256::ZERO,
        &url,
    )
    .await
    .unwrap();
    me
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_finds_a_provider_by_the_endpoint_it_published() {
    let w = common::world().await;
    let provider = published_provider(&w, 5).await;
    // No provider configured: the gateway reads the registry's endpoints.
    let (url, _gw) =
        start_gateway(&w, None, LimitsConfig::default(), U256::from(10u128.pow(16))).await;
    let me = w.node.accounts()[GATEWAY].address;
    delegate(&w, me).await;
    let (_, login) = sign_in(&w, &url).await;
    let api_key = login["api_key"].as_str().unwrap().to_owned();
    let (status, answer, _) = chat(&url, &api_key, &ask(8)).await;
    assert_eq!(status, 200, "{answer}");
    let opened = sessions_of(&w, me).await;
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(sessions.session(opened[0]).call().await.unwrap().provider, provider);
}
