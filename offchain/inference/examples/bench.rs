//! Prompt and generation speed of the embedded CPU backend.
//!
//! ```text
//! cargo run --release --manifest-path offchain/Cargo.toml -p inference --example bench -- \
//!     [--threads N] [--runs N] [--max-tokens N] [--model PATH] [--llama-bench PATH]
//! ```
//!
//! The model defaults to [`inference::locate_model`] (run
//! `scripts/install-model.sh` first). The AVX2 kernels are chosen at run
//! time, so no `-C target-cpu` flag is needed.
//! With `--llama-bench PATH` (a llama.cpp `llama-bench` binary) each run is
//! followed by one llama.cpp run of the same file, prompt length and token
//! count on as many threads, and the medians of both are printed side by
//! side: alternating keeps a busy machine's drift out of the ratio.
//! (`scripts/build-llama-cpp.sh` builds one from llama.cpp's sources on `PyPI`.)

use std::path::{Path, PathBuf};
use std::process::Command;
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
    llama_bench: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { threads: 1, runs: 3, max_tokens: 128, model: None, llama_bench: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--threads" => {
                args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?;
            }
            "--runs" => args.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--max-tokens" => {
                args.max_tokens = value()?.parse().map_err(|e| format!("--max-tokens: {e}"))?;
            }
            "--model" => args.model = Some(PathBuf::from(value()?)),
            "--llama-bench" => args.llama_bench = Some(PathBuf::from(value()?)),
            "--help" | "-h" => {
                return Err(
                    "usage: bench [--threads N] [--runs N] [--max-tokens N] [--model PATH] [--llama-bench PATH]".into()
                )
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

/// Prompt and generation tokens per second of one llama.cpp run.
fn llama_cpp_run(
    bin: &Path,
    model: &Path,
    threads: usize,
    prompt: u32,
    generate: u32,
) -> Result<(f64, f64), String> {
    let output = Command::new(bin)
        .args(["-m".as_ref(), model.as_os_str()])
        .args(["-t", &threads.to_string(), "-p", &prompt.to_string()])
        .args(["-n", &generate.to_string(), "-r", "1", "-o", "json"])
        .output()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            bin.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let tests: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("llama-bench printed no JSON list: {e}"))?;
    let rate = |gen: bool| {
        tests
            .iter()
            .find(|t| (t["n_gen"].as_u64().unwrap_or(0) > 0) == gen)
            .and_then(|t| t["avg_ts"].as_f64())
            .ok_or_else(|| format!("llama-bench gave no {} figure", if gen { "tg" } else { "pp" }))
    };
    Ok((rate(false)?, rate(true)?))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let model = match args.model {
        Some(path) => path,
        None => inference::locate_model()?,
    };
    let mut config = CpuConfig::new(&model);
    config.threads = args.threads;
    let started = std::time::Instant::now();
    let backend = CpuBackend::load(&config)?;
    println!(
        "model {} loaded and warmed up in {:.2?}, {} thread(s)",
        model.display(),
        started.elapsed(),
        args.threads
    );

    let req = ChatRequest {
        history: Vec::new(),
        system: None,
        user: PROMPT.into(),
        max_output_tokens: args.max_tokens,
    };
    let (mut ours, mut theirs) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for i in 1..=args.runs {
        let run = backend.run_blocking(&req)?;
        report(&format!("run {i}"), &run);
        let c = &run.completion;
        let decoded = c.output_tokens.saturating_sub(1);
        ours.0.push(per_second(c.input_tokens, run.prompt_time));
        ours.1.push(per_second(decoded, run.decode_time));
        if let Some(bin) = &args.llama_bench {
            let (pp, tg) = llama_cpp_run(bin, &model, args.threads, c.input_tokens, decoded)?;
            println!("run {i}: llama.cpp prompt {pp:.1} tok/s | generation {tg:.1} tok/s");
            theirs.0.push(pp);
            theirs.1.push(tg);
        }
    }
    let (prompt, generation) = (median(&mut ours.0), median(&mut ours.1));
    println!(
        "median of {} runs: prompt {prompt:.1} tok/s, generation {generation:.1} tok/s",
        args.runs
    );
    if args.llama_bench.is_some() {
        let (pp, tg) = (median(&mut theirs.0), median(&mut theirs.1));
        println!(
            "llama.cpp, same file and threads: prompt {pp:.1} tok/s, generation {tg:.1} tok/s \
             -> this engine at {:.0} % (prompt) and {:.0} % (generation)",
            100.0 * prompt / pp,
            100.0 * generation / tg
        );
    }
    Ok(())
}
