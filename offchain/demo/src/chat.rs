//! Step 8: member 1 chats with the community AI through the gateway, as
//! any `OpenAI` client would: it lets the gateway act for its key, signs
//! in once (EIP-4361) and gets an API key; the gateway opens one session
//! on chain on the key's quota, pays the operator's worker answer by
//! answer with signed receipts, and closes with the newest. The worker
//! answers as model `ai:<id>`, with the instructions on the AI's NFT (read
//! and checked against their hash).

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::{utils::format_ether, U256},
    signers::{local::PrivateKeySigner, SignerSync},
    transports::http::reqwest,
};
use anyhow::{ensure, Context, Result};
use bindings::{IInferenceAccess, IInferenceSessions};
use serde_json::{json, Value};
use tokio::sync::watch;
use worker::{
    chat_api,
    fetch::Fetcher,
    instructions::Instructions,
    sessions::{DeskConfig, SessionDesk},
};

use crate::{
    actors::Actor,
    flow::{mined, step, World},
    report::Figures,
};

/// The chat with the community AI.
const CHAT: [&str; 2] = ["What can you do for our community?", "Say it again in five words."];
/// The gateway's public name, which sign-in messages must carry.
const DOMAIN: &str = "gateway.localhost";

/// Runs step 8 with the operator's `backend`.
pub(crate) async fn chat(
    w: &World,
    operator: &Actor,
    backend: Arc<dyn inference::Backend>,
    f: &mut Figures,
) -> Result<()> {
    step(8, "Member 1 signs in to the gateway and chats with the community AI, paid by one on-chain session");
    let (stop, stopped) = watch::channel(false);
    let (worker_url, desk) = serve_worker(w, operator, backend, stopped.clone()).await?;
    let gw_signer = PrivateKeySigner::from_bytes(&w.node.accounts()[2].key)?;
    let gw_address = gw_signer.address();
    let gw = gateway::Gateway::new(&gateway_config(w, operator, &worker_url)?, gw_signer).await?;
    let mut stopped_gw = stopped;
    let shutdown = async move {
        let _ = stopped_gw.wait_for(|s| *s).await;
    };
    let addr =
        gateway::serve("127.0.0.1:0".parse()?, gateway::router(gw.clone()), shutdown).await?;
    let url = format!("http://{addr}/v1");
    println!("      gateway at {url} · worker at {worker_url}");

    let member = &w.members[0];
    let access = IInferenceAccess::new(w.core.access, &member.provider);
    mined(
        "delegate the key",
        access.delegateKey(w.community.keys, U256::from(1), gw_address).send(),
    )
    .await?;
    let api_key = sign_in(w, member, &url).await?;
    println!(
        "      key #1 delegated to the gateway; signed in with EIP-4361 → API key {}…",
        &api_key[..12]
    );

    let client = reqwest::Client::new();
    let model = format!("ai:{}", w.community.ai_id);
    let mut messages: Vec<Value> = Vec::new();
    for question in CHAT {
        messages.push(json!({"role": "user", "content": question}));
        let body = json!({"model": model, "messages": messages, "max_tokens": 48});
        let reply = client
            .post(format!("{url}/chat/completions"))
            .bearer_auth(&api_key)
            .json(&body)
            .send()
            .await?;
        let status = reply.status();
        let reply: Value = reply.json().await?;
        ensure!(status.is_success(), "the gateway answered {status}: {reply}");
        let answer =
            reply["choices"][0]["message"]["content"].as_str().context("an answer")?.to_owned();
        println!("      you: {question}");
        println!("      AI:  {}", answer.trim());
        f.chat_turns += 1;
        messages.push(json!({"role": "assistant", "content": answer}));
    }

    gw.book.close_all().await;
    desk.tend().await?;
    let _ = stop.send(true);
    let id = opened_by(w, gw_address).await?;
    let sessions = IInferenceSessions::new(w.core.sessions, &w.admin.provider);
    ensure!(
        sessions.session(id).call().await?.phase == bindings::receipt::phase::SETTLED,
        "session {id} did not settle"
    );
    let settled = sessions.settlement(id).call().await?;
    f.session_cost = settled.cost;
    println!(
        "      session #{id} settled by receipt #{}: {} credits for {} answers (one open, one close on chain)",
        settled.seq,
        format_ether(settled.cost),
        f.chat_turns
    );
    Ok(())
}

/// The operator's chat API, paid by sessions; its URL and its desk.
async fn serve_worker(
    w: &World,
    operator: &Actor,
    backend: Arc<dyn inference::Backend>,
    mut stopped: watch::Receiver<bool>,
) -> Result<(String, Arc<SessionDesk>)> {
    let timeout = Duration::from_secs(10);
    let reader = worker::chain::provider(&w.node.url(), timeout, None)?;
    let sender = worker::chain::provider(&w.node.url(), timeout, Some(operator.signer.clone()))?;
    let txm = Arc::new(worker::txm::TxManager::new(
        sender,
        operator.address,
        412_346,
        worker::config::TxConfig::default(),
    ));
    let config =
        DeskConfig { contract: w.core.sessions, model: w.community.model, max_unsigned: 2 };
    let desk = Arc::new(SessionDesk::new(reader, txm, config, None).await?);
    let ais = chat_api::AiSource {
        provider: w.admin.provider.clone(),
        nft: w.core.ai_nft,
        model: w.community.model,
        instructions: Instructions::new(Fetcher::new(8192, Duration::from_secs(5), false)?, None),
    };
    let limits = chat_api::Limits::default();
    let app = chat_api::router_with_sessions(
        backend,
        limits,
        None,
        Some(Arc::new(ais)),
        Some(desk.clone()),
    );
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let addr = worker::http::serve("127.0.0.1:0".parse()?, app, shutdown, "chat API").await?;
    Ok((format!("http://{addr}/v1"), desk))
}

/// The gateway's settings: the local chain, the AI NFT (so that clients may
/// ask for `ai:<id>`) and the operator's worker.
fn gateway_config(
    w: &World,
    operator: &Actor,
    worker_url: &str,
) -> Result<gateway::config::Config> {
    let text = format!(
        "models = []\ndiscover_providers = false\n[chain]\nrpc_url = {:?}\nsessions = \"{}\"\naccess = \"{}\"\nregistry = \"{}\"\nai_nft = \"{}\"\n[sign_in]\ndomain = {DOMAIN:?}\n[[providers]]\naddress = \"{}\"\nurl = {worker_url:?}\n",
        w.node.url(),
        w.core.sessions,
        w.core.access,
        w.core.registry,
        w.core.ai_nft,
        operator.address,
    );
    let config: gateway::config::Config =
        toml::from_str(&text).context("the gateway's settings")?;
    config.check()?;
    Ok(config)
}

/// Signs in as `member` (holder of key #1); returns the API key.
async fn sign_in(w: &World, member: &Actor, url: &str) -> Result<String> {
    let client = reqwest::Client::new();
    let nonce: Value = client.get(format!("{url}/auth/nonce")).send().await?.json().await?;
    let nonce = nonce["nonce"].as_str().context("a nonce")?;
    let now = gateway::sessions::unix_now();
    let key = (w.community.keys, U256::from(1));
    let message = gateway::sign_in::message(DOMAIN, member.address, 412_346, nonce, key, None, now);
    let signature = member.signer.sign_message_sync(message.as_bytes())?;
    let body = json!({"message": message, "signature": signature.to_string()});
    let login: Value =
        client.post(format!("{url}/auth/login")).json(&body).send().await?.json().await?;
    login["api_key"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("sign-in refused: {login}"))
}

/// The session the gateway opened.
async fn opened_by(w: &World, gateway: alloy::primitives::Address) -> Result<u64> {
    use alloy::{providers::Provider, rpc::types::Filter, sol_types::SolEvent};
    let logs =
        w.admin.provider.get_logs(&Filter::new().address(w.core.sessions).from_block(0)).await?;
    logs.iter()
        .filter_map(|l| IInferenceSessions::SessionOpened::decode_log_data(l.data()).ok())
        .find(|o| o.requester == gateway)
        .map(|o| o.id)
        .context("the gateway opened no session")
}
