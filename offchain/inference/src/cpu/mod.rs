//! The embedded CPU backend: a llama forward pass of its own (see
//! [`llama`]) on a GGUF file.

mod generate;
mod llama;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use candle_core::quantized::gguf_file;
use llama::{Llama, State};

use crate::gguf_meta;
use crate::throughput::ThroughputEstimator;
use crate::{Backend, ChatRequest, ChatTemplate, Completion, Error, GgufTokenizer, Throughput};

/// Before any measurement the estimate assumes a slow machine: claiming a
/// lease that cannot be met costs part of the bond.
const PRIOR: Throughput = Throughput { prompt_tokens_per_s: 20.0, output_tokens_per_s: 5.0 };
/// Fixed cost of a request (templating, tokenizing, thread hand-off).
const OVERHEAD: Duration = Duration::from_millis(50);
/// Tokens that end a turn besides the GGUF's EOS, where the vocabulary has them.
const TURN_ENDS: [&str; 2] = ["<|im_end|>", "<|endoftext|>"];
/// The warm-up request: short, but long enough to time both phases.
const WARM_UP_TOKENS: u32 = 8;
/// Most positions a request may hold: the key/value cache of SmolLM2-135M
/// at this length is ~90 MB, allocated only as a request grows.
const MAX_CONTEXT: usize = 4096;

/// How to load the CPU backend.
#[derive(Debug, Clone)]
pub struct CpuConfig {
    /// The GGUF file (see [`crate::locate_model`]).
    pub model_path: PathBuf,
    /// Compute threads: 1 computes on the calling thread; more give this
    /// backend a thread pool of its own, which splits every matrix product
    /// by rows. On 2 cores, 1 is fastest for a worker: a second thread
    /// contends with the async runtime and the RPC client.
    pub threads: usize,
    /// The name [`Backend::model_name`] reports; default: the file's stem.
    pub name: Option<String>,
    /// Run one short request at load time, so that [`Backend::estimate`]
    /// starts from this machine's speed rather than a pessimistic prior.
    pub warm_up: bool,
}

impl CpuConfig {
    /// Defaults for `model_path`: 1 thread, name from the file, warm-up on.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self { model_path: model_path.into(), threads: 1, name: None, warm_up: true }
    }
}

/// A completion with the time of each phase, for benchmarks and metrics.
#[derive(Debug, Clone)]
pub struct CpuRun {
    /// What [`Backend::complete`] returns.
    pub completion: Completion,
    /// Prefill: the prompt's forward pass and the first token.
    pub prompt_time: Duration,
    /// Every later token (`output_tokens - 1` forward passes).
    pub decode_time: Duration,
}

/// Embedded CPU inference on a quantized llama-architecture GGUF.
///
/// One request runs at a time (the model sits behind a mutex: on a small
/// CPU, concurrent requests would only slow each other down); compute runs
/// on tokio's blocking pool, never on the async workers.
#[derive(Debug, Clone)]
pub struct CpuBackend {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    tokenizer: GgufTokenizer,
    template: ChatTemplate,
    stop: Vec<u32>,
    model: Llama,
    /// One request at a time: its cache and buffers.
    state: Mutex<State>,
    estimator: Mutex<ThroughputEstimator>,
}

impl CpuBackend {
    /// Loads the model, its tokenizer and chat template from the GGUF.
    /// Blocking (reads ~100 MB); call it before serving or on a blocking thread.
    pub fn load(config: &CpuConfig) -> Result<Self, Error> {
        let path = &config.model_path;
        let io = |source| Error::Io { path: path.clone(), source };
        let mut file = File::open(path).map_err(io)?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(Error::candle("reading the GGUF header"))?;
        let meta = &content.metadata;
        let arch = gguf_meta::string(meta, "general.architecture")?;
        if arch != "llama" {
            return Err(Error::model(
                "general.architecture",
                format!("{arch:?} is not supported (only llama)"),
            ));
        }
        let tokenizer = GgufTokenizer::from_metadata(meta)?;
        let template = ChatTemplate::new(gguf_meta::string(meta, "tokenizer.chat_template")?)?;
        let stop =
            stop_tokens(&tokenizer, gguf_meta::optional_uint(meta, "tokenizer.ggml.eot_token_id")?);
        let model = Llama::load(&content, &mut file, MAX_CONTEXT, config.threads)?;
        let backend = Self {
            inner: Arc::new(Inner {
                name: config.name.clone().unwrap_or_else(|| file_stem(path)),
                tokenizer,
                template,
                stop,
                model,
                state: Mutex::new(State::new()),
                estimator: Mutex::new(ThroughputEstimator::new(PRIOR, OVERHEAD)),
            }),
        };
        if config.warm_up {
            backend.warm_up()?;
        }
        Ok(backend)
    }

    /// Answers `req` on the calling thread, with the time of each phase.
    pub fn run_blocking(&self, req: &ChatRequest) -> Result<CpuRun, Error> {
        self.inner.run(req, &mut |_| {})
    }

    /// Runs a short fixed request so that the throughput estimate reflects
    /// this machine (first-call allocations are paid here, too).
    pub fn warm_up(&self) -> Result<(), Error> {
        let req = ChatRequest {
            history: Vec::new(),
            system: None,
            user: "Count from one to ten.".into(),
            max_output_tokens: WARM_UP_TOKENS,
        };
        self.inner.run(&req, &mut |_| {}).map(drop)
    }

    /// The measured throughput (a moving average).
    pub fn throughput(&self) -> Throughput {
        lock(&self.inner.estimator).current()
    }

    /// The tokenizer read from the GGUF.
    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.inner.tokenizer
    }

    /// Most tokens (prompt and output together) one request can hold.
    pub fn context_length(&self) -> u32 {
        self.inner.context()
    }

    /// Token ids of `req`'s templated prompt.
    pub fn prompt_ids(&self, req: &ChatRequest) -> Result<Vec<u32>, Error> {
        self.inner.prompt_ids(req)
    }
}

impl Inner {
    /// Most tokens (prompt and output together) one request can hold.
    fn context(&self) -> u32 {
        // At most MAX_CONTEXT.
        u32::try_from(self.model.hyper_params().context).unwrap_or(u32::MAX)
    }

    fn prompt_ids(&self, req: &ChatRequest) -> Result<Vec<u32>, Error> {
        self.tokenizer.encode(&self.template.render(req)?)
    }

    /// Answers `req`, handing `on_text` the answer's text in pieces as
    /// it is generated.
    fn run(&self, req: &ChatRequest, on_text: &mut dyn FnMut(&str)) -> Result<CpuRun, Error> {
        let started = Instant::now();
        let prompt = self.prompt_ids(req)?;
        let input_tokens = u32::try_from(prompt.len()).unwrap_or(u32::MAX);
        if u64::from(input_tokens) + u64::from(req.max_output_tokens) > u64::from(self.context()) {
            return Err(Error::ContextExceeded {
                input_tokens,
                max_output_tokens: req.max_output_tokens,
                context: self.context(),
            });
        }
        let mut pieces = Pieces::new(&self.tokenizer, &self.stop, on_text);
        let generated = {
            let mut state = lock(&self.state);
            let (max, stop) = (req.max_output_tokens, &self.stop);
            generate::generate(&self.model, &mut state, &prompt, max, stop, &mut |id| {
                pieces.push(id);
            })?
        };
        let text = self.tokenizer.decode(generated.text_ids())?;
        pieces.finish(&text);
        // At most max_output_tokens ids were generated, so this fits.
        let output_tokens = u32::try_from(generated.ids.len()).unwrap_or(u32::MAX);
        let mut estimator = lock(&self.estimator);
        estimator.observe_prompt(input_tokens, generated.prompt_time);
        estimator.observe_output(output_tokens.saturating_sub(1), generated.decode_time);
        Ok(CpuRun {
            completion: Completion {
                text,
                input_tokens,
                output_tokens,
                elapsed: started.elapsed(),
            },
            prompt_time: generated.prompt_time,
            decode_time: generated.decode_time,
        })
    }
}

#[async_trait::async_trait]
impl Backend for CpuBackend {
    fn model_name(&self) -> &str {
        &self.inner.name
    }

    async fn count_input_tokens(&self, req: &ChatRequest) -> Result<u32, Error> {
        let ids = self.inner.prompt_ids(req)?;
        u32::try_from(ids.len()).map_err(|_| Error::Tokenizer("prompt exceeds u32 tokens".into()))
    }

    fn estimate(&self, input_tokens: u32, max_output_tokens: u32) -> Duration {
        lock(&self.inner.estimator).estimate(input_tokens, max_output_tokens)
    }

    async fn complete(&self, req: &ChatRequest) -> Result<Completion, Error> {
        let inner = Arc::clone(&self.inner);
        let req = req.clone();
        // Dropping this future does not stop a running generation; the
        // mutex makes the next request wait for it.
        let run = tokio::task::spawn_blocking(move || inner.run(&req, &mut |_| {}))
            .await
            .map_err(|e| Error::Task(e.to_string()))??;
        Ok(run.completion)
    }

    async fn complete_streaming(
        &self,
        req: &ChatRequest,
        pieces: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<Completion, Error> {
        let inner = Arc::clone(&self.inner);
        let req = req.clone();
        let run = tokio::task::spawn_blocking(move || {
            inner.run(&req, &mut |piece| {
                let _ = pieces.send(piece.to_owned());
            })
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))??;
        Ok(run.completion)
    }
}

/// Turns generated ids into text as they come: decodes the answer so far
/// and hands on what is new, holding back text that ends inside a UTF-8
/// sequence (decoded as U+FFFD until its last byte arrives). Stop ids are
/// not text.
struct Pieces<'a> {
    tokenizer: &'a GgufTokenizer,
    stop: &'a [u32],
    ids: Vec<u32>,
    sent: usize,
    send: &'a mut dyn FnMut(&str),
}

impl<'a> Pieces<'a> {
    fn new(tokenizer: &'a GgufTokenizer, stop: &'a [u32], send: &'a mut dyn FnMut(&str)) -> Self {
        Self { tokenizer, stop, ids: Vec::new(), sent: 0, send }
    }

    fn push(&mut self, id: u32) {
        if self.stop.contains(&id) {
            return;
        }
        self.ids.push(id);
        let Ok(text) = self.tokenizer.decode(&self.ids) else { return };
        if !text.ends_with('\u{FFFD}') {
            self.send_from(&text);
        }
    }

    /// Sends what of the whole answer `text` has not been sent.
    fn finish(&mut self, text: &str) {
        self.send_from(text);
    }

    fn send_from(&mut self, text: &str) {
        if text.len() > self.sent && text.is_char_boundary(self.sent) {
            (self.send)(&text[self.sent..]);
            self.sent = text.len();
        }
    }
}

/// The EOS id, the end-of-turn id if the GGUF names one, and the chat
/// markers that end a turn, without repeats.
fn stop_tokens(tokenizer: &GgufTokenizer, eot: Option<u32>) -> Vec<u32> {
    let named = TURN_ENDS.iter().filter_map(|t| tokenizer.token_id(t));
    let mut stop: Vec<u32> =
        std::iter::once(tokenizer.eos_token_id()).chain(eot).chain(named).collect();
    stop.sort_unstable();
    stop.dedup();
    stop
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "gguf".to_owned(), |s| s.to_string_lossy().into_owned())
}

/// Locks a mutex whose data stays valid after a panic: the request state is
/// cleared at the start of every request and the estimator is plain numbers.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
