//! The worker reads every prompt before it claims (H-1, I-3, M-3): a flood
//! of requests it cannot serve is never claimed, a sealed prompt copied or
//! replayed does not get an answer, declared input tokens are checked
//! against the model's own count, and it claims no more than it can serve
//! within a lease, then serves all of it.

use std::{collections::HashMap, time::Duration};

use alloy::{
    primitives::{keccak256, Address, Bytes, B256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};
use axum::{routing::get, Router};
use bindings::IOracleBridge;
use inference::ChatRequest;
use sealing::Keypair;
use worker::{
    config::Config,
    service::Worker,
    tracker::{Phase, Skip},
};

use crate::common::{self, fulfilments, leaseholder, request, status, Ask, World};

const PROVIDER_SEED: [u8; 32] = [0x51; 32];
const REQUESTER_SEED: [u8; 32] = [0x52; 32];
const GOOD: &str = "What is the capital of France?";
const SYSTEM: &str = "You are a helpful assistant. Answer in one short sentence.";

/// Serves `/good` (GOOD), `/other` (other text) and `/big` (over 8 KiB);
/// anything else is a 404.
async fn prompt_server() -> String {
    let app = Router::new()
        .route("/good", get(|| async { GOOD }))
        .route("/other", get(|| async { "Something else entirely." }))
        .route("/big", get(|| async { "x".repeat(9 * 1024) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A worker config that may fetch from the test's own server.
fn config(w: &World, state: &std::path::Path) -> Config {
    common::config(w, state, "[prompts]\nallow_private_hosts = true\n")
}

fn phase(worker: &Worker, id: u64) -> Option<Phase> {
    worker.tracker().get(id).map(|(_, p)| p)
}

/// Steps `worker` until every request of `ids` is no longer open, or `max`.
async fn serve_all(w: &World, worker: &mut Worker, ids: &[u64], max: Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < max {
        let _ = worker.step(true).await;
        let mut open = false;
        for id in ids {
            open |= status(w, *id).await == 1;
        }
        if !open {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn h1_a_flood_of_unreadable_requests_is_never_claimed() {
    let w = common::world().await;
    let server = prompt_server().await;
    let state = tempfile::tempdir().unwrap();
    let (mut worker, metrics) = common::worker_with(
        &w,
        1,
        config(&w, state.path()),
        Some(PROVIDER_SEED),
        common::backend(),
    )
    .await;
    let provider = Keypair::from_seed(&PROVIDER_SEED).public_key();
    let requester_key = B256::from(Keypair::from_seed(&REQUESTER_SEED).public_key());
    let deadline = common::now(&w).await + 3_600;
    let good_hash = keccak256(GOOD);
    let sealed_good =
        Ask::inline(Bytes::new(), deadline).sealed(&w, &provider, GOOD, requester_key);
    // M-3: the same sealed bytes in a request that names another answer key.
    let copied = Ask { requester_key: B256::repeat_byte(0xEE), ..sealed_good.clone() };
    let stranger = Keypair::from_seed(&[0x77; 32]).public_key();
    let flood = [
        ("a URI that 404s", Ask::by_uri(&format!("{server}/missing"), good_hash, deadline)),
        (
            "a URI whose bytes miss the hash",
            Ask::by_uri(&format!("{server}/other"), good_hash, deadline),
        ),
        (
            "a URI over the size cap",
            Ask::by_uri(&format!("{server}/big"), keccak256("x".repeat(9 * 1024)), deadline),
        ),
        ("a URI that is not HTTP", Ask::by_uri("ipfs://bafy", good_hash, deadline)),
        (
            "a prompt sealed to another key",
            Ask::inline(Bytes::new(), deadline).sealed(&w, &stranger, GOOD, requester_key),
        ),
        ("a sealed prompt copied into another request", copied),
        ("non-UTF-8 bytes", Ask::inline(Bytes::from_static(&[0xff, 0xfe, 0xfd]), deadline)),
    ];
    let mut bad = Vec::new();
    for (what, ask) in &flood {
        bad.push((*what, request(&w, ask).await));
    }
    let under = request(&w, &Ask { input_tokens: 1, ..Ask::inline(GOOD, deadline) }).await;
    // The same worker serves readable requests: by URI, and sealed to it.
    let by_uri = request(&w, &Ask::by_uri(&format!("{server}/good"), good_hash, deadline)).await;
    let sealed = request(&w, &sealed_good).await;
    serve_all(&w, &mut worker, &[by_uri, sealed], Duration::from_mins(3)).await;

    assert_eq!((status(&w, by_uri).await, status(&w, sealed).await), (2, 2), "the readable ones");
    for (what, id) in bad {
        assert_eq!(leaseholder(&w, id).await, Address::ZERO, "{what} was claimed");
        assert_eq!(phase(&worker, id), Some(Phase::Skipped(Skip::Unreadable)), "{what}");
    }
    assert_eq!(leaseholder(&w, under).await, Address::ZERO, "under-declared was claimed");
    assert_eq!(phase(&worker, under), Some(Phase::Skipped(Skip::UnderDeclared)));
    let text = metrics.render();
    assert!(text.contains("claims_total{outcome=\"ok\"} 2\n"), "{text}");
    assert!(text.contains("prompts_total{outcome=\"unreadable\"} 7\n"), "{text}");
    // The sealed answer opens with the requester's key.
    let output = common::output(&w, sealed).await;
    let context = sealing::Context::answer(412_346, w.core.bridge.into(), sealed);
    let answer =
        Keypair::from_seed(&REQUESTER_SEED).open(sealing::Purpose::Answer, &context, &output);
    assert!(String::from_utf8(answer.unwrap()).unwrap().contains("Paris"));
}

#[tokio::test(flavor = "multi_thread")]
async fn m3_a_repeated_enc_is_refused_by_the_worker_even_after_a_restart() {
    let w = common::world().await;
    let state = tempfile::tempdir().unwrap();
    let new_worker = || async {
        common::worker_with(&w, 1, config(&w, state.path()), Some(PROVIDER_SEED), common::backend())
            .await
    };
    let (mut worker, _) = new_worker().await;
    let provider = Keypair::from_seed(&PROVIDER_SEED).public_key();
    let requester_key = B256::from(Keypair::from_seed(&REQUESTER_SEED).public_key());
    let deadline = common::now(&w).await + 3_600;
    let original = Ask::inline(Bytes::new(), deadline).sealed(&w, &provider, GOOD, requester_key);
    let first = request(&w, &original).await;
    serve_all(&w, &mut worker, &[first], Duration::from_mins(2)).await;
    assert_eq!(status(&w, first).await, 2);
    // The requester's very own request again: same place, so it opens, but
    // its enc was seen.
    let again = request(&w, &original).await;
    for _ in 0..5 {
        worker.step(true).await.unwrap();
    }
    assert_eq!(phase(&worker, again), Some(Phase::Skipped(Skip::Replayed)));
    assert_eq!(leaseholder(&w, again).await, Address::ZERO);
    drop(worker);
    let (mut restarted, metrics) = new_worker().await;
    let third = request(&w, &original).await;
    for _ in 0..5 {
        restarted.step(true).await.unwrap();
    }
    assert_eq!(phase(&restarted, third), Some(Phase::Skipped(Skip::Replayed)), "kept on disk");
    assert_eq!(leaseholder(&w, third).await, Address::ZERO);
    assert!(!metrics.render().contains("claims_total{"), "{}", metrics.render());
}

#[tokio::test(flavor = "multi_thread")]
async fn i3_a_request_declaring_fewer_input_tokens_than_its_prompt_takes_is_not_claimed() {
    let w = common::world().await;
    let state = tempfile::tempdir().unwrap();
    let (mut worker, _) =
        common::worker_with(&w, 1, config(&w, state.path()), None, common::backend()).await;
    let chat = ChatRequest {
        history: Vec::new(),
        system: Some(SYSTEM.into()),
        user: GOOD.into(),
        max_output_tokens: 48,
    };
    let count = common::backend().count_input_tokens(&chat).await.unwrap();
    let deadline = common::now(&w).await + 3_600;
    let short = request(&w, &Ask { input_tokens: count - 1, ..Ask::inline(GOOD, deadline) }).await;
    let exact = request(&w, &Ask { input_tokens: count, ..Ask::inline(GOOD, deadline) }).await;
    serve_all(&w, &mut worker, &[exact], Duration::from_mins(2)).await;
    assert_eq!(status(&w, exact).await, 2);
    let delivered = common::fulfilled(&w, exact).await;
    assert_eq!(delivered[0].inputTokens, count, "settled on the worker's own count");
    assert_eq!(phase(&worker, short), Some(Phase::Skipped(Skip::UnderDeclared)));
    assert_eq!(leaseholder(&w, short).await, Address::ZERO);
}

/// When each request's lease was claimed and fulfilled (block times), by id.
async fn times(w: &World, signature: B256) -> HashMap<u64, u64> {
    let filter = Filter::new().address(w.core.bridge).from_block(0).event_signature(signature);
    let mut out = HashMap::new();
    for log in w.admin.get_logs(&filter).await.unwrap() {
        let id = u64::from_be_bytes(log.topics()[1].0[24..].try_into().unwrap());
        let block = log.block_number.unwrap();
        let header = w.admin.get_block_by_number(block.into()).await.unwrap().unwrap().header;
        out.insert(id, header.timestamp);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn h1_more_requests_than_it_can_serve_in_a_lease_it_claims_only_what_it_serves() {
    const LEASE: u64 = 15;
    const REQUESTS: usize = 10;
    let w = common::world().await;
    let state = tempfile::tempdir().unwrap();
    let mut config = config(&w, state.path());
    // The worker plans with a 15 s lease (the bridge's is 300 s), so that
    // ten short answers are more than it can serve within one.
    config.chain.lease_seconds = Some(LEASE);
    config.model.margin_seconds = 3;
    let (mut worker, _) = common::worker_with(&w, 1, config, None, common::backend()).await;
    let deadline = common::now(&w).await + 3_600;
    let mut ids = Vec::new();
    for i in 0..REQUESTS {
        ids.push(
            request(
                &w,
                &Ask::inline(Bytes::from(format!("Name a colour ({i}).").into_bytes()), deadline),
            )
            .await,
        );
    }
    worker.step(true).await.unwrap();
    let held = ids.iter().filter(|id| matches!(phase(&worker, **id), Some(Phase::Leased { .. })));
    let held = held.count();
    assert!((1..REQUESTS).contains(&held), "{held} of {REQUESTS} claimed at once");
    serve_all(&w, &mut worker, &ids, Duration::from_mins(4)).await;
    let claimed = times(&w, IOracleBridge::LeaseClaimed::SIGNATURE_HASH).await;
    let fulfilled = times(&w, IOracleBridge::Fulfilled::SIGNATURE_HASH).await;
    for id in &ids {
        assert_eq!(status(&w, *id).await, 2, "request {id} served");
        assert_eq!(fulfilments(&w, *id).await, 1);
        let took = fulfilled[id] - claimed[id];
        assert!(took <= LEASE, "request {id} answered {took} s after its claim");
    }
}
