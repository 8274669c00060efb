//! The worker against the devnode with the real contracts and the real
//! model: the happy path, a crash between claim and fulfilment, two
//! competing workers, a request it cannot serve in time, a reorg, and an
//! RPC that fails intermittently.

use crate::common::{self, ask, drive, fulfilments, status, world};
use alloy::{primitives::U64, providers::Provider};
use inference::ChatRequest;
use serde_json::json;
use worker::tracker::{Phase, Skip};

#[tokio::test(flavor = "multi_thread")]
async fn answers_with_the_model_and_settles() {
    let w = world().await;
    let state = tempfile::tempdir().unwrap();
    let (mut worker, metrics) = common::worker(&w, 1, state.path(), None).await;
    let id = ask(&w, "What is the capital of France?", 3_600).await;
    drive(&w, &mut worker, id, 200).await;
    assert_eq!(status(&w, id).await, 2, "settled");
    assert_eq!(fulfilments(&w, id).await, 1);
    let output = common::output(&w, id).await;
    // Greedy decoding is deterministic: the chain holds exactly what the
    // model answers to the same chat.
    let expected = common::backend()
        .complete(&ChatRequest {
            history: Vec::new(),
            system: Some("You are a helpful assistant. Answer in one short sentence.".into()),
            user: "What is the capital of France?".into(),
            max_output_tokens: 48,
        })
        .await
        .unwrap();
    assert_eq!(String::from_utf8(output.to_vec()).unwrap(), expected.text);
    assert!(expected.text.contains("Paris"), "{}", expected.text);
    let text = metrics.render();
    assert!(text.contains("computefi_worker_fulfilments_total{outcome=\"ok\"} 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_after_claiming_fulfils_once() {
    let w = world().await;
    let state = tempfile::tempdir().unwrap();
    let (mut first, _) = common::worker(&w, 1, state.path(), None).await;
    let id = ask(&w, "Name a colour.", 3_600).await;
    // Read and claim, then "crash" before serving: the worker is dropped
    // with its lease held and only its cursor file left behind.
    first.step(true).await.unwrap();
    assert!(matches!(first.tracker().get(id).map(|(_, p)| p), Some(Phase::Leased { .. })));
    drop(first);
    let (mut second, _) = common::worker(&w, 1, state.path(), None).await;
    drive(&w, &mut second, id, 200).await;
    assert_eq!(status(&w, id).await, 2);
    assert_eq!(fulfilments(&w, id).await, 1, "no double fulfilment");
    // A third start finds nothing to do.
    let (mut third, metrics) = common::worker(&w, 1, state.path(), None).await;
    third.step(true).await.unwrap();
    assert!(third.tracker().is_empty());
    assert!(!metrics.render().contains("fulfilments_total{"), "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_compete_and_one_serves() {
    let w = world().await;
    let (a_state, b_state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, a_metrics) = common::worker(&w, 1, a_state.path(), None).await;
    let (mut b, b_metrics) = common::worker(&w, 3, b_state.path(), None).await;
    let id = ask(&w, "Say hello.", 3_600).await;
    for _ in 0..200 {
        a.step(true).await.unwrap();
        b.step(true).await.unwrap();
        if a.tracker().get(id).is_none()
            && b.tracker().get(id).is_none()
            && status(&w, id).await != 1
        {
            break;
        }
    }
    assert_eq!(status(&w, id).await, 2);
    assert_eq!(fulfilments(&w, id).await, 1);
    let claimed = |t: &str| t.contains("claims_total{outcome=\"ok\"} 1");
    let (ta, tb) = (a_metrics.render(), b_metrics.render());
    assert!(claimed(&ta) ^ claimed(&tb), "exactly one claims:\n{ta}\n{tb}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_it_cannot_serve_in_time_is_left_alone() {
    let w = world().await;
    let state = tempfile::tempdir().unwrap();
    let (mut worker, metrics) = common::worker(&w, 1, state.path(), None).await;
    // Five seconds: under the worker's margin alone.
    let id = ask(&w, "Write a long essay.", 5).await;
    let before = w.admin.get_block_number().await.unwrap();
    worker.step(true).await.unwrap();
    assert_eq!(worker.tracker().get(id).map(|(_, p)| p), Some(Phase::Skipped(Skip::NoTime)));
    assert_eq!(w.admin.get_block_number().await.unwrap(), before, "no claim sent");
    assert!(!metrics.render().contains("claims_total{"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reorg_drops_a_vanished_request() {
    let w = world().await;
    let state = tempfile::tempdir().unwrap();
    let (mut worker, metrics) = common::worker(&w, 1, state.path(), None).await;
    worker.step(true).await.unwrap();
    let snapshot: U64 = w.admin.raw_request("evm_snapshot".into(), json!([])).await.unwrap();
    let vanished = ask(&w, "This request will vanish.", 3_600).await;
    // Read it without serving yet (claims off, as when shutting down).
    worker.step(false).await.unwrap();
    assert!(worker.tracker().get(vanished).is_some());
    let reverted: bool = w.admin.raw_request("evm_revert".into(), json!([snapshot])).await.unwrap();
    assert!(reverted);
    // Replace the history with other blocks (the same id comes back for
    // another prompt on the new branch).
    w.admin.raw_request::<_, String>("evm_mine".into(), json!([])).await.unwrap();
    let again = ask(&w, "What is two plus two?", 3_600).await;
    assert_eq!(again, vanished, "ids are sequential on the new branch");
    drive(&w, &mut worker, again, 200).await;
    assert!(metrics.render().contains("computefi_worker_reorgs_total 1"), "{}", metrics.render());
    assert_eq!(status(&w, again).await, 2);
    let output = common::output(&w, again).await;
    assert!(!output.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_rpc_that_fails_intermittently_still_gets_the_request_served_once() {
    let w = world().await;
    let proxy = common::flaky::Proxy::start(&w.node.url(), 3).await;
    let state = tempfile::tempdir().unwrap();
    let (mut worker, _) = common::worker(&w, 1, state.path(), Some(&proxy.url())).await;
    let id = ask(&w, "Name a fruit.", 3_600).await;
    drive(&w, &mut worker, id, 400).await;
    assert!(proxy.failures() > 0, "the proxy failed some calls");
    assert_eq!(status(&w, id).await, 2);
    assert_eq!(fulfilments(&w, id).await, 1);
}
