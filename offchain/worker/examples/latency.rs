//! What the worker adds on top of the model: for a few prompts, the plain
//! embedded model's tokens per second (the embedded engine, same GGUF, same machine),
//! the time from the request's transaction being mined to its settlement
//! on chain through the worker (on an in-process devnode), and that time
//! minus the worker's own inference: the latency the worker adds (polling,
//! claim, the chain's checks, fulfilment).
//!
//! ```text
//! cargo run --manifest-path offchain/Cargo.toml -p worker --example latency
//! ```
//! (after `cargo xtask wasm` and `scripts/install-model.sh`). The worker
//! polls every 50 ms with no confirmation depth here; on a real chain the
//! block time and the confirmation depth come on top.

// The test harness's world, shared by path; the example uses part of it.
#[allow(dead_code)]
#[path = "../tests/it/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use inference::ChatRequest;
use tokio::sync::watch;

const PROMPTS: [&str; 5] = [
    "What is the capital of France?",
    "Why is saving money together good for a community?",
    "In one sentence, what is compound interest?",
    "Give our community a short motto about sharing.",
    "Name three fruits.",
];
const SYSTEM: &str = "You are a helpful assistant. Answer in one short sentence.";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let w = common::world().await;
    let state = tempfile::tempdir().expect("temp dir");
    let (worker, metrics) = common::worker(&w, 1, state.path(), None).await;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(worker::run::until_stopped(worker, Duration::from_millis(50), stopped));
    let backend = common::backend();
    println!(
        "{:<52} {:>6} {:>9} {:>10} {:>10} {:>9}",
        "prompt", "tokens", "model s", "model t/s", "e2e s", "added s"
    );
    let mut added = Vec::new();
    let (mut tokens, mut seconds, mut inferred) = (0u32, 0f64, 0f64);
    for prompt in PROMPTS {
        let chat = ChatRequest {
            history: Vec::new(),
            system: Some(SYSTEM.into()),
            user: prompt.into(),
            max_output_tokens: 48,
        };
        let plain = backend.complete(&chat).await.expect("inference");
        let asked = Instant::now();
        let id = common::ask(&w, prompt, 3_600).await;
        let mined = asked.elapsed();
        while common::status(&w, id).await == 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let e2e = asked.elapsed().saturating_sub(mined);
        let model = plain.elapsed.as_secs_f64();
        // What the worker's own inference took for this request.
        let in_worker = inference_seconds(&metrics.render()) - inferred;
        inferred += in_worker;
        let extra = e2e.as_secs_f64() - in_worker;
        added.push(extra);
        tokens += plain.output_tokens;
        seconds += model;
        println!(
            "{prompt:<52} {:>6} {model:>9.2} {:>10.1} {:>10.2} {extra:>9.2}",
            plain.output_tokens,
            f64::from(plain.output_tokens) / model,
            e2e.as_secs_f64(),
        );
    }
    added.sort_by(f64::total_cmp);
    println!(
        "\nmodel alone: {:.1} tokens/s (generation incl. prompt) · added by the worker (poll, claim, fulfil, settle): median {:.2} s, max {:.2} s",
        f64::from(tokens) / seconds,
        added[added.len() / 2],
        added[added.len() - 1]
    );
    let _ = stop.send(true);
    let _ = task.await;
}

/// The sum of the worker's inference-time histogram.
fn inference_seconds(metrics: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("computefi_worker_inference_seconds_sum "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
