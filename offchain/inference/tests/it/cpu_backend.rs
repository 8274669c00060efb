//! The embedded CPU backend on the real default model (SmolLM2-135M-Instruct
//! `Q4_1`), installed by `scripts/install-model.sh` on first use.

use crate::common;
use std::sync::OnceLock;

use inference::{Backend, ChatRequest, CpuBackend, CpuConfig, Error, GgufTokenizer};

/// One loaded model for the whole file: loading takes a moment, and the
/// backend serialises requests itself.
fn backend() -> &'static CpuBackend {
    static BACKEND: OnceLock<CpuBackend> = OnceLock::new();
    BACKEND.get_or_init(|| CpuBackend::load(&CpuConfig::new(common::model_path())).unwrap())
}

fn request(system: Option<&str>, user: &str, max_output_tokens: u32) -> ChatRequest {
    ChatRequest {
        history: Vec::new(),
        system: system.map(str::to_owned),
        user: user.to_owned(),
        max_output_tokens,
    }
}

/// Expected ids from llama.cpp's `llama-tokenize -f <file> --ids` on the
/// same GGUF (llama.cpp's own BPE code, "smollm" pre-tokenizer), and
/// cross-checked with the Python `tokenizers` package built from the GGUF's
/// vocabulary and merges: both gave exactly these.
const REFERENCE: [(&str, &[u32]); 6] = [
    ("Hello, world!", &[19556, 28, 905, 17]),
    (
        "The year 2024 costs $1,234.56",
        &[504, 713, 216, 34, 32, 34, 36, 3499, 1885, 33, 28, 34, 35, 36, 30, 37, 38],
    ),
    (
        "héllo wörld 日本語 🙂",
        &[88, 2756, 31394, 267, 29989, 400, 17097, 241, 115, 40993, 179, 120, 248, 47526],
    ),
    (
        "  two spaces,\ttab\n\nnewlines  ",
        &[216, 827, 5600, 28, 197, 15999, 198, 198, 2241, 5110, 256],
    ),
    ("don't I'll we're", &[12420, 982, 339, 3060, 392, 2316]),
    (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n\
         <|im_start|>assistant\n",
        &[1, 9690, 198, 6077, 5453, 30, 2, 198, 1, 4093, 198, 26843, 2, 198, 1, 520, 9531, 198],
    ),
];

#[test]
fn tokenizer_from_gguf_matches_llama_cpp_ids() {
    let tokenizer = GgufTokenizer::from_file(&common::model_path()).unwrap();
    assert_eq!(tokenizer.vocab_size(), 49_152);
    assert_eq!(tokenizer.eos_token_id(), 2);
    assert_eq!(tokenizer.token_id("<|im_end|>"), Some(2));
    for (text, ids) in REFERENCE {
        assert_eq!(tokenizer.encode(text).unwrap(), ids, "{text:?}");
    }
}

#[test]
fn tokenizer_round_trips_text_without_special_tokens() {
    let tokenizer = backend().tokenizer();
    for text in
        ["Hello, world!", "  indented\n\tcode() {}\n", "naïve café – 你好 🙂🙂", "1234567890", ""]
    {
        let ids = tokenizer.encode(text).unwrap();
        assert_eq!(tokenizer.decode(&ids).unwrap(), text, "{ids:?}");
    }
    // Control tokens are matched whole and left out of decoded answers.
    let ids = tokenizer.encode("<|im_start|>Hi<|im_end|>").unwrap();
    assert_eq!(ids.first(), Some(&1));
    assert_eq!(ids.last(), Some(&2));
    assert_eq!(tokenizer.decode(&ids).unwrap(), "Hi");
}

#[tokio::test]
async fn prompt_follows_the_gguf_chat_template() {
    let b = backend();
    let req = request(Some("Be brief."), "Hi", 1);
    assert_eq!(b.prompt_ids(&req).unwrap(), REFERENCE[5].1);
    assert_eq!(b.count_input_tokens(&req).await.unwrap(), 18);
    // Without a system prompt the template adds SmolLM's default one.
    let default_system = b.count_input_tokens(&request(None, "Hi", 1)).await.unwrap();
    assert!(default_system > 18, "{default_system}");
}

#[tokio::test]
async fn greedy_completion_is_deterministic_and_counted() {
    let b = backend();
    let req = request(Some("Answer in one sentence."), "What is the capital of France?", 32);
    let first = b.complete(&req).await.unwrap();
    let second = b.complete(&req).await.unwrap();
    assert_eq!(first.text, second.text);
    assert_eq!(first.output_tokens, second.output_tokens);
    assert!(first.text.contains("Paris"), "{:?}", first.text);
    assert!(!first.text.contains("<|im_end|>"), "{:?}", first.text);
    // The same prompt as the recorded llama.cpp server run: 26 tokens.
    assert_eq!(first.input_tokens, 26);
    assert_eq!(first.input_tokens, b.count_input_tokens(&req).await.unwrap());
    // It stopped on <|im_end|> before the limit, and the stop token counts.
    assert!(first.output_tokens < 32, "{}", first.output_tokens);
    let text_tokens = b.tokenizer().encode(&first.text).unwrap().len();
    assert_eq!(u32::try_from(text_tokens).unwrap() + 1, first.output_tokens);
    assert!(first.elapsed > std::time::Duration::ZERO);
}

#[tokio::test]
async fn the_answer_is_llama_cpps_on_the_same_file() {
    let req = request(Some("Answer in one sentence."), "What is the capital of France?", 32);
    let answer = backend().complete(&req).await.unwrap();
    // What llama.cpp's server answered to this request on this GGUF
    // (tests/fixtures), token for token, the stop token counted.
    assert_eq!(answer.text, "The capital of France is Paris.");
    assert_eq!(answer.output_tokens, 8);
}

#[tokio::test]
async fn generation_stops_at_max_output_tokens() {
    let b = backend();
    let long = request(None, "Write a long story about a dragon.", 5);
    let completion = b.complete(&long).await.unwrap();
    assert_eq!(completion.output_tokens, 5);
    assert!(!completion.text.is_empty());
    let none = b.complete(&request(None, "Hi", 0)).await.unwrap();
    assert_eq!((none.text.as_str(), none.output_tokens), ("", 0));
    assert_eq!(none.input_tokens, b.count_input_tokens(&request(None, "Hi", 0)).await.unwrap());
}

#[tokio::test]
async fn a_request_beyond_the_context_is_an_error() {
    let b = backend();
    assert_eq!(b.context_length(), 4096);
    let err = b.complete(&request(None, "Hi", 4096)).await.unwrap_err();
    assert!(matches!(err, Error::ContextExceeded { context: 4096, .. }), "{err}");
}

#[tokio::test]
async fn estimate_follows_measurements_and_grows_with_work() {
    let b = backend();
    b.complete(&request(None, "Name a colour.", 8)).await.unwrap();
    let measured = b.throughput();
    // The prior is exactly 20 / 5 tokens per second: the warm-up and the
    // run have moved both rates away from it.
    assert!((measured.output_tokens_per_s - 5.0).abs() > 1e-6, "{measured:?}");
    assert!((measured.prompt_tokens_per_s - 20.0).abs() > 1e-6, "{measured:?}");
    let small = b.estimate(30, 10);
    let large = b.estimate(30, 200);
    assert!(small > std::time::Duration::ZERO);
    assert!(large > small);
    // Conservative: not faster than the measured rates would give.
    let at_rates = 30.0 / measured.prompt_tokens_per_s + 200.0 / measured.output_tokens_per_s;
    assert!(large.as_secs_f64() >= at_rates, "{large:?} < {at_rates}");
}

#[tokio::test]
async fn two_threads_give_the_same_answer_as_one() {
    // Each backend has its own pool, so both thread counts live in one process.
    let mut config = CpuConfig::new(common::model_path());
    config.threads = 2;
    config.warm_up = false;
    let two = CpuBackend::load(&config).unwrap();
    let req = request(None, "Name three colours.", 12);
    let (a, b) = (two.complete(&req).await.unwrap(), backend().complete(&req).await.unwrap());
    assert_eq!(a.text, b.text);
    assert_eq!(a.output_tokens, b.output_tokens);
    config.threads = 0;
    assert!(matches!(CpuBackend::load(&config), Err(Error::Config(_))));
}

#[test]
fn unreadable_models_are_errors_not_panics() {
    let missing = CpuConfig::new("/nonexistent/model.gguf");
    assert!(matches!(CpuBackend::load(&missing), Err(Error::Io { .. })));
    let junk = std::env::temp_dir().join(format!("not-a-gguf-{}.gguf", std::process::id()));
    std::fs::write(&junk, b"this is not a GGUF file at all").unwrap();
    let err = CpuBackend::load(&CpuConfig::new(&junk)).unwrap_err();
    assert!(matches!(err, Error::Candle { .. }), "{err}");
    std::fs::remove_file(junk).unwrap();
}
