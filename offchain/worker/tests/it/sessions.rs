//! Sessions served by the worker, on the devnode with the real model: a
//! client opens a session on chain naming the worker, chats over HTTP
//! (streamed and not, through reqwest, curl and `OpenAI`'s Python SDK)
//! while signing a cumulative receipt after each answer, and the session
//! settles on chain with the newest one; the same through the TypeScript
//! client (`clients/ts`: `openSession`, `SessionChat`, `closeSession`).
//! Refusals: no session, a forged receipt, receipts missing, the cap
//! reached.

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::{Address, U256},
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::SolStruct,
    transports::http::reqwest,
};
use bindings::{IComputeCredits, IInferenceSessions, IERC20};
use serde_json::{json, Value};
use worker::{
    chat_api::{self, Limits, RECEIPT_HEADER, SESSION_HEADER},
    sessions::{
        receipt::{domain, Receipt, SignedReceipt},
        DeskConfig, SessionDesk,
    },
    txm::TxManager,
};

use crate::common::{self, World, MODEL};

/// The worker's dev account; the client's.
const PROVIDER: usize = 1;
const CLIENT: usize = 3;

/// A client with credits and a session key.
struct Client {
    address: Address,
    chain: alloy::providers::DynProvider,
    key: PrivateKeySigner,
}

/// Dev account `CLIENT` with 0.1 ETH of credits of its own.
async fn client(w: &World) -> Client {
    let address = w.node.accounts()[CLIENT].address;
    let chain = common::wallet_provider(&w.node, CLIENT);
    let credits = U256::from(10u128.pow(17));
    common::fund(w, address, credits).await;
    let asset = IERC20::new(w.core.asset, &chain);
    asset.approve(w.core.ledger, credits).send().await.unwrap().get_receipt().await.unwrap();
    let ledger = IComputeCredits::new(w.core.ledger, &chain);
    let r = ledger.topUp(address, credits).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    Client { address, chain, key: PrivateKeySigner::random() }
}

impl Client {
    /// Opens a session of `cap` credits for `provider`; returns its id.
    async fn open(&self, w: &World, provider: Address, cap: U256) -> u64 {
        let sessions = IInferenceSessions::new(w.core.sessions, &self.chain);
        let expires = common::now(w).await + 3_600;
        let call = sessions.open(
            MODEL,
            self.address,
            provider,
            cap,
            expires,
            self.key.address(),
            Address::ZERO,
            U256::ZERO,
        );
        let id = call.call().await.expect("open simulates");
        assert!(call.send().await.unwrap().get_receipt().await.unwrap().status());
        id
    }

    /// Signs the usage an answer's `computefi` object reports; returns the
    /// header value.
    fn sign(&self, w: &World, to_sign: &Value) -> String {
        let number = |k: &str| to_sign[k].as_u64().unwrap_or_else(|| panic!("{k} in {to_sign}"));
        let receipt = Receipt {
            session: number("session"),
            seq: number("seq"),
            tokensIn: number("tokensIn"),
            tokensOut: number("tokensOut"),
            cost: to_sign["cost"].as_str().unwrap().parse().unwrap(),
        };
        let digest = receipt.eip712_signing_hash(&domain(412_346, w.core.sessions));
        let signature = self.key.sign_hash_sync(&digest).unwrap().as_bytes().to_vec();
        SignedReceipt { receipt, signature }.header()
    }
}

/// The worker's sessions desk (dev account `PROVIDER`, registered once per
/// world), keeping receipts in `kept` if given.
async fn desk(w: &World, max_unsigned: u64, kept: Option<std::path::PathBuf>) -> Arc<SessionDesk> {
    let me = w.node.accounts()[PROVIDER].address;
    let state = tempfile::tempdir().unwrap();
    let registry = bindings::IInferenceRegistry::new(w.core.registry, &w.admin);
    let bonded = bindings::IInferenceRegistry::providerCall { provider: me };
    if registry.call_builder(&bonded).call().await.unwrap().bond.is_zero() {
        // Registers the provider (bond, serving the model).
        let _ = common::worker(w, PROVIDER, state.path(), None).await;
    }
    let timeout = Duration::from_secs(5);
    let reader = worker::chain::provider(&w.node.url(), timeout, None).unwrap();
    let signer = Some(common::signer(&w.node, PROVIDER));
    let sender = worker::chain::provider(&w.node.url(), timeout, signer).unwrap();
    let tx = common::config(w, state.path(), "").tx;
    let txm = Arc::new(TxManager::new(sender, me, 412_346, tx));
    let config = DeskConfig { contract: w.core.sessions, model: MODEL, max_unsigned };
    Arc::new(SessionDesk::new(reader, txm, config, kept).await.unwrap())
}

/// The worker's chat API paid by sessions, on a free port; its `/v1` URL
/// and its desk.
pub(crate) async fn serve(w: &World, max_unsigned: u64) -> (String, Arc<SessionDesk>) {
    serve_with(w, max_unsigned, None).await
}

async fn serve_with(
    w: &World,
    max_unsigned: u64,
    kept: Option<std::path::PathBuf>,
) -> (String, Arc<SessionDesk>) {
    let desk = desk(w, max_unsigned, kept).await;
    let app = chat_api::router_with_sessions(
        common::backend(),
        Limits::default(),
        None,
        None,
        Some(desk.clone()),
    );
    let any = "127.0.0.1:0".parse().unwrap();
    let addr = worker::http::serve(any, app, std::future::pending(), "chat API").await.unwrap();
    (format!("http://{addr}/v1"), desk)
}

/// One chat request in session `id` with `receipt` (streamed or not);
/// returns the status and, on success, the answer and what to sign next.
async fn turn(url: &str, id: Option<u64>, receipt: Option<&str>, stream: bool) -> (u16, Value) {
    let model = common::backend().model_name().to_owned();
    let body = json!({
        "model": model,
        "messages": [{"role": "user", "content": "Name one colour."}],
        "max_tokens": 12,
        "stream": stream,
    });
    let mut request = reqwest::Client::new().post(format!("{url}/chat/completions")).json(&body);
    if let Some(id) = id {
        request = request.header(SESSION_HEADER, id.to_string());
    }
    if let Some(receipt) = receipt {
        request = request.header(RECEIPT_HEADER, receipt);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    let text = reply.text().await.unwrap();
    if status != 200 || !stream {
        return (status, serde_json::from_str(&text).unwrap());
    }
    // The finish chunk carries what to sign.
    let chunks: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let content: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    let to_sign = chunks.iter().find_map(|c| c.get("computefi").cloned()).unwrap_or(Value::Null);
    (status, json!({"content": content, "computefi": to_sign}))
}

fn code(error: &Value) -> &str {
    error["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_pays_for_streamed_turns_and_settles_with_the_last_receipt() {
    let w = common::world().await;
    let client = client(&w).await;
    let (url, desk) = serve(&w, 1).await;
    let provider = w.node.accounts()[PROVIDER].address;
    let cap = U256::from(10u128.pow(15));
    let id = client.open(&w, provider, cap).await;

    // No session named: 402, with OpenAI's error shape.
    let (status, error) = turn(&url, None, None, false).await;
    assert_eq!((status, code(&error)), (402, "session_required"), "{error}");

    // Turn 1 accepts the session on chain and is served.
    let (status, first) = turn(&url, Some(id), None, true).await;
    assert_eq!(status, 200, "{first}");
    assert!(!first["content"].as_str().unwrap().is_empty());
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(sessions.session(id).call().await.unwrap().phase, 2, "accepted on first use");
    assert_eq!(first["computefi"]["seq"], json!(1), "{first}");

    // A forged receipt is refused and changes nothing.
    let impostor = Client { key: PrivateKeySigner::random(), ..client_like(&client) };
    let forged = impostor.sign(&w, &first["computefi"]);
    let (status, error) = turn(&url, Some(id), Some(&forged), false).await;
    assert_eq!((status, code(&error)), (402, "invalid_receipt"), "{error}");

    // One answer may go unsigned; a second may not.
    let (status, second) = turn(&url, Some(id), None, false).await;
    assert_eq!(status, 200, "{second}");
    let (status, error) = turn(&url, Some(id), None, true).await;
    assert_eq!((status, code(&error)), (402, "receipt_required"), "{error}");

    // Signing after each answer, the conversation goes on.
    let mut receipt = client.sign(&w, &second["computefi"]);
    for _ in 0..2 {
        let (status, next) = turn(&url, Some(id), Some(&receipt), true).await;
        assert_eq!(status, 200, "{next}");
        receipt = client.sign(&w, &next["computefi"]);
    }
    // curl, too: the session and the newest receipt as headers.
    let body = json!({"model": common::backend().model_name(), "stream": true, "max_tokens": 8,
        "messages": [{"role": "user", "content": "Say hi."}]});
    let mut curl = std::process::Command::new("curl");
    curl.args(["-sN", "-H", "Content-Type: application/json", "-d", &body.to_string()])
        .args([
            "-H",
            &format!("{SESSION_HEADER}: {id}"),
            "-H",
            &format!("{RECEIPT_HEADER}: {receipt}"),
        ])
        .arg(format!("{url}/chat/completions"));
    let out = tokio::task::spawn_blocking(move || curl.output()).await.unwrap().expect("curl runs");
    let streamed = String::from_utf8_lossy(&out.stdout).into_owned();
    let finish = streamed
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .find_map(|c| c.get("computefi").cloned())
        .unwrap_or_else(|| panic!("no usage to sign in {streamed}"));
    let last = finish;
    receipt = client.sign(&w, &last);
    assert_eq!(last["seq"], json!(5));
    let (used, _) = desk.account(id).await.unwrap();
    assert_eq!(used.cost.to_string(), last["cost"].as_str().unwrap());

    // The client is done: it closes with the newest receipt it signed,
    // and the worker, looking after its sessions, agrees at once (its own
    // newest receipt is older): settled, the provider paid the last cost.
    let newest = SignedReceipt::parse(id, &receipt).unwrap();
    assert_eq!(newest.receipt.seq, 5);
    let payer_side = IInferenceSessions::new(w.core.sessions, &client.chain);
    let r = &newest.receipt;
    let close =
        payer_side.close(id, r.seq, r.tokensIn, r.tokensOut, r.cost, newest.signature.into());
    assert!(close.send().await.unwrap().get_receipt().await.unwrap().status());
    assert_eq!(sessions.session(id).call().await.unwrap().phase, 3, "closing");
    desk.tend().await.expect("the worker answers the close");
    assert_eq!(
        sessions.session(id).call().await.unwrap().phase,
        bindings::receipt::phase::SETTLED,
        "settled"
    );
    assert_eq!(sessions.settlement(id).call().await.unwrap().seq, 5);
    let ledger = IComputeCredits::new(w.core.ledger, &w.admin);
    let earned = ledger.earnedOf(provider).call().await.unwrap();
    assert_eq!(earned.to_string(), last["cost"].as_str().unwrap(), "paid the receipt's cost");
}

/// A copy of `c`'s address and chain, for a forger with another key.
fn client_like(c: &Client) -> Client {
    Client { address: c.address, chain: c.chain.clone(), key: c.key.clone() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_the_cap_cannot_pay_for_is_refused_with_402() {
    let w = common::world().await;
    let client = client(&w).await;
    let (url, _desk) = serve(&w, 1).await;
    let provider = w.node.accounts()[PROVIDER].address;
    // Less than one answer's prompt and output limit at the model's prices.
    let id = client.open(&w, provider, U256::from(10_000_000_000u64)).await;
    let (status, error) = turn(&url, Some(id), None, false).await;
    assert_eq!((status, code(&error)), (402, "session_cap_reached"), "{error}");
    assert_eq!(error["error"]["type"], "insufficient_quota");
}

/// `OpenAI`'s Python SDK in a session: the session named once in
/// `default_headers`, three turns of a conversation (streamed, then not,
/// then streamed), reading what to sign from the answers' extra fields;
/// prints the texts and the last usage to sign.
const PYTHON_SESSION: &str = r#"
import json, sys
from openai import OpenAI
client = OpenAI(base_url=sys.argv[1], api_key="unused", default_headers={"X-Computefi-Session": sys.argv[2]})
model = client.models.list().data[0].id
messages = [{"role": "user", "content": "Name one colour."}]
texts, to_sign = [], None
for turn, stream in enumerate([True, False, True]):
    if stream:
        pieces = []
        for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=12, stream=True):
            extra = (chunk.model_extra or {}).get("computefi")
            if extra:
                to_sign = extra
            if chunk.choices:
                pieces.append(chunk.choices[0].delta.content or "")
        text = "".join(pieces)
    else:
        full = client.chat.completions.create(model=model, messages=messages, max_tokens=12)
        to_sign = full.model_extra["computefi"]
        text = full.choices[0].message.content
    texts.append(text)
    messages += [{"role": "assistant", "content": text}, {"role": "user", "content": "And another?"}]
print(json.dumps({"texts": texts, "computefi": to_sign}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openais_python_client_chats_in_a_session() {
    let w = common::world().await;
    let client = client(&w).await;
    // The SDK signs nothing: let it run three answers unsigned, then sign
    // the last usage it reported and close with it.
    let (url, desk) = serve(&w, 3).await;
    let provider = w.node.accounts()[PROVIDER].address;
    let id = client.open(&w, provider, U256::from(10u128.pow(15))).await;
    let got = common::openai_python(PYTHON_SESSION, &[&url, &id.to_string()]).await;
    let texts = got["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 3);
    assert!(texts.iter().all(|t| !t.as_str().unwrap().is_empty()), "{got}");
    assert_eq!(got["computefi"]["seq"], json!(3), "{got}");
    let (used, _) = desk.account(id).await.unwrap();
    assert_eq!(used.cost.to_string(), got["computefi"]["cost"].as_str().unwrap());

    let signed = SignedReceipt::parse(id, &client.sign(&w, &got["computefi"])).unwrap();
    let payer_side = IInferenceSessions::new(w.core.sessions, &client.chain);
    let r = &signed.receipt;
    let close =
        payer_side.close(id, r.seq, r.tokensIn, r.tokensOut, r.cost, signed.signature.into());
    assert!(close.send().await.unwrap().get_receipt().await.unwrap().status());
    desk.tend().await.unwrap();
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(sessions.session(id).call().await.unwrap().phase, bindings::receipt::phase::SETTLED);
    let earned = IComputeCredits::new(w.core.ledger, &w.admin).earnedOf(provider).call().await;
    assert_eq!(earned.unwrap(), used.cost);
}

/// A deployments file of `w`'s shared contracts, as the deploy tool writes
/// one (what the TypeScript client reads).
fn deployments_file(w: &World, dir: &std::path::Path) -> std::path::PathBuf {
    let c = &w.core;
    let roles = [
        ("asset", c.asset),
        ("source", c.source),
        ("ledger", c.ledger),
        ("registry", c.registry),
        ("access", c.access),
        ("bridge", c.bridge),
        ("sessions", c.sessions),
        ("accountImplementation", c.account_implementation),
        ("erc6551Registry", c.erc6551_registry),
        ("aiNft", c.ai_nft),
    ];
    let contracts: serde_json::Map<String, Value> = roles
        .iter()
        .map(|(role, a)| ((*role).to_owned(), json!({"address": a.to_string(), "artifact": role})))
        .collect();
    let path = dir.join("412346.json");
    let file = json!({"chainId": 412_346, "contracts": contracts, "models": {}, "communities": {}});
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_client_chats_in_a_session() {
    let w = common::world().await;
    let _client = client(&w).await;
    let (url, desk) = serve(&w, 1).await;
    let provider = w.node.accounts()[PROVIDER].address;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let key = alloy::primitives::hex::encode_prefixed(w.node.accounts()[CLIENT].key);
    let env = vec![
        ("COMPUTE_FI_RPC_URL", w.node.url()),
        ("COMPUTE_FI_DEPLOYMENTS", deployments_file(&w, dir.path()).display().to_string()),
        ("COMPUTE_FI_CLIENT_KEY", key),
        ("COMPUTE_FI_API_URL", url),
        ("COMPUTE_FI_MODEL_NAME", common::backend().model_name().to_owned()),
        ("COMPUTE_FI_PROVIDER", provider.to_string()),
        ("COMPUTE_FI_REPORT", report.display().to_string()),
    ];
    e2e::ts_client::node_test("dist/test/session.test.js", env).await;
    let got: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let id: u64 = got["id"].as_str().unwrap().parse().unwrap();
    let (used, held) = desk.account(id).await.unwrap();
    assert_eq!(used.cost.to_string(), got["cost"].as_str().unwrap(), "the worker metered it");
    assert_eq!(held.map(|r| r.receipt.seq), Some(2), "the client handed the last receipt over");
    // The client closed with its newest receipt; the worker agrees.
    desk.tend().await.unwrap();
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(sessions.session(id).call().await.unwrap().phase, bindings::receipt::phase::SETTLED);
    assert_eq!(sessions.settlement(id).call().await.unwrap().seq, 2);
    let earned = IComputeCredits::new(w.core.ledger, &w.admin).earnedOf(provider).call().await;
    assert_eq!(earned.unwrap(), used.cost);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_still_closes_with_the_receipts_it_held() {
    let w = common::world().await;
    let client = client(&w).await;
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("sessions.json");
    let (url, _desk) = serve_with(&w, 1, Some(kept.clone())).await;
    let provider = w.node.accounts()[PROVIDER].address;
    let id = client.open(&w, provider, U256::from(10u128.pow(15))).await;
    let (_, first) = turn(&url, Some(id), None, false).await;
    let receipt = client.sign(&w, &first["computefi"]);
    let (status, _) = turn(&url, Some(id), Some(&receipt), false).await;
    assert_eq!(status, 200);

    // The worker restarts: a new desk finds the receipt it kept.
    let restarted = desk(&w, 1, Some(kept)).await;
    let (used, best) = restarted.account(id).await.expect("the session is taken up again");
    assert_eq!(best.map(|b| b.header()), Some(receipt.clone()));
    assert_eq!(used.seq, 1, "what was signed counts as served");
    restarted.close(id).await.expect("closes with the kept receipt");
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin);
    assert_eq!(sessions.settlement(id).call().await.unwrap().seq, 1);
    let payer_side = IInferenceSessions::new(w.core.sessions, &client.chain);
    let agree = payer_side.close(id, 0, 0, 0, U256::ZERO, alloy::primitives::Bytes::new());
    assert!(agree.send().await.unwrap().get_receipt().await.unwrap().status());
    let earned = IComputeCredits::new(w.core.ledger, &w.admin).earnedOf(provider).call().await;
    assert_eq!(earned.unwrap().to_string(), first["computefi"]["cost"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_at_once_in_one_session_are_both_served() {
    let w = common::world().await;
    let client = client(&w).await;
    let (url, desk) = serve(&w, 2).await;
    let provider = w.node.accounts()[PROVIDER].address;
    let id = client.open(&w, provider, U256::from(10u128.pow(15))).await;
    // Both are the session's first requests: one accepts it on chain, the
    // other finds it accepted; both are answered and metered.
    let (a, b) = tokio::join!(turn(&url, Some(id), None, true), turn(&url, Some(id), None, false));
    assert_eq!((a.0, b.0), (200, 200), "{} / {}", a.1, b.1);
    let seqs = [a.1["computefi"]["seq"].as_u64(), b.1["computefi"]["seq"].as_u64()];
    let mut seqs = seqs.map(Option::unwrap);
    seqs.sort_unstable();
    assert_eq!(seqs, [1, 2], "each answer counted once");
    let (used, _) = desk.account(id).await.unwrap();
    assert_eq!(used.seq, 2);
}
