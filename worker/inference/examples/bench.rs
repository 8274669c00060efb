//! Prompt and generation speed of the embedded CPU backend.
//!
//! ```text
//! cargo run --release --manifest-path offchain/Cargo.toml -p inference --example bench -- \
//!     [--threads N] [--runs N] [--max-tokens N] [--model PATH] [--no-requantize]
//! ```
//!
//! The model defaults to [`inference::locate_model`] (run
//! `scripts/install-model.sh` first). Requantizing to `Q8_0` is on by
//! default; its AVX2 kernels are chosen at run time, so no `-C target-cpu`
//! flag is needed (`RUSTFLAGS="-C target-cpu=x86-64-v3"` gave no clear gain
//! with it here, but speeds up `--no-requantize`, whose `Q4_1` loop only
//! vectorizes at compile time).
//! Compare with llama.cpp: `llama-bench -m <model> -t 1 -p 58 -n 128`
//! (58 is this prompt's length after the chat template).

use std::path::PathBuf;
use std::time::Duration;

use inference::{ChatRequest, CpuBackend, CpuConfig, CpuRun};

/// A fixed prompt that makes the model write at length.
const PROMPT: &str = "Write a detailed story about a lighthouse keeper who finds a message in a \
                      bottle. Describe the sea, the weather and the keeper's thoughts.";

struct Args {
    threads: usize,
    runs: u32,
    max_tokens: u32,
    model: Option<PathBuf>,
    requantize: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { threads: 1, runs: 3, max_tokens: 128, model: None, requantize: true };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--threads" => args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--runs" => args.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--max-tokens" => {
                args.max_tokens = value()?.parse().map_err(|e| format!("--max-tokens: {e}"))?;
            }
            "--model" => args.model = Some(PathBuf::from(value()?)),
            "--no-requantize" => args.requantize = false,
            "--help" | "-h" => {
                return Err("usage: bench [--threads N] [--runs N] [--max-tokens N] [--model PATH] [--no-requantize]".into())
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn per_second(tokens: u32, time: Duration) -> f64 {
    f64::from(tokens) / time.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn report(label: &str, run: &CpuRun) {
    let c = &run.completion;
    // The first token comes out of the prefill; the rest are decode steps.
    let decoded = c.output_tokens.saturating_sub(1);
    println!(
        "{label}: prompt {} tok in {:.1} ms = {:.1} tok/s | generation {decoded} tok in {:.1} ms = {:.1} tok/s",
        c.input_tokens,
        run.prompt_time.as_secs_f64() * 1e3,
        per_second(c.input_tokens, run.prompt_time),
        run.decode_time.as_secs_f64() * 1e3,
        per_second(decoded, run.decode_time),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let model = match args.model {
        Some(path) => path,
        None => inference::locate_model()?,
    };
    let mut config = CpuConfig::new(&model);
    config.threads = Some(args.threads);
    config.requantize = args.requantize;
    let started = std::time::Instant::now();
    let backend = CpuBackend::load(&config)?;
    println!(
        "model {} loaded and warmed up in {:.2?}, {} thread(s)",
        model.display(),
        started.elapsed(),
        args.threads
    );

    let req = ChatRequest { system: None, user: PROMPT.into(), max_output_tokens: args.max_tokens };
    let (mut prompt_tokens, mut prompt_time) = (0, Duration::ZERO);
    let (mut decoded, mut decode_time) = (0, Duration::ZERO);
    for i in 1..=args.runs {
        let run = backend.run_blocking(&req)?;
        report(&format!("run {i}"), &run);
        prompt_tokens += run.completion.input_tokens;
        prompt_time += run.prompt_time;
        decoded += run.completion.output_tokens.saturating_sub(1);
        decode_time += run.decode_time;
    }
    println!(
        "mean over {} runs: prompt {:.1} tok/s, generation {:.1} tok/s",
        args.runs,
        per_second(prompt_tokens, prompt_time),
        per_second(decoded, decode_time)
    );
    Ok(())
}
