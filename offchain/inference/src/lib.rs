//! Inference backends for the Compute-Fi worker.
//!
//! A worker answers the oracle bridge's requests with one [`Backend`]:
//! - [`CpuBackend`]: embedded CPU inference on a quantized GGUF (a llama
//!   forward pass of its own with AVX2 kernels for GGML's 4- and 8-bit
//!   blocks; candle reads the file), with the tokenizer and chat template
//!   taken from the GGUF itself, so the file is the whole model. The default model is
//!   SmolLM2-135M-Instruct, installed by `scripts/install-model.sh` and found
//!   by [`locate_model`]; nothing is downloaded at run time.
//! - [`OpenAiBackend`]: any OpenAI-compatible HTTP server (vLLM, llama.cpp
//!   server, Ollama), for GPUs.
//!
//! Both decode greedily (temperature 0), so a prompt gives the same answer
//! every time on the same backend and model: the bridge's redundancy compares
//! answers of independent providers.

mod chat_template;
mod cpu;
mod error;
mod gguf_meta;
mod model_file;
mod openai;
mod throughput;
mod tokenizer;

use std::time::Duration;

pub use chat_template::ChatTemplate;
pub use cpu::{CpuBackend, CpuConfig, CpuRun};
pub use error::Error;
pub use model_file::{locate_model, DEFAULT_MODEL_FILE, INSTALL_SCRIPT};
pub use openai::{OpenAiBackend, OpenAiConfig};
pub use throughput::Throughput;
pub use tokenizer::GgufTokenizer;

/// Who said a turn of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The person (or agent) asking.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The role's name in chat templates and the `OpenAI` API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One earlier turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

/// A request for the model's next turn: an optional system prompt, the
/// conversation so far, and the user's new message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    /// Earlier turns, oldest first (empty for a single question).
    pub history: Vec<Turn>,
    /// Instructions placed before the conversation; `None` lets the model's
    /// chat template use its own default (if it has one).
    pub system: Option<String>,
    /// The user's new message.
    pub user: String,
    /// Most tokens the answer may take (the stop token counts as one).
    pub max_output_tokens: u32,
}

/// What a backend answered, with the token counts the bridge settles on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The answer, without the stop token.
    pub text: String,
    /// Tokens of the prompt after the chat template.
    pub input_tokens: u32,
    /// Tokens the model generated, the stop token included (as llama.cpp and
    /// vLLM count them): each one cost a decoding step.
    pub output_tokens: u32,
    /// Wall time of the completion.
    pub elapsed: Duration,
}

/// An inference backend. Object safe, so the worker holds an
/// `Arc<dyn Backend>` chosen by configuration.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// The model's name as the backend knows it.
    fn model_name(&self) -> &str;

    /// Tokens the prompt takes after the chat template (what the bridge's
    /// `input_tokens` means).
    ///
    /// Async because an HTTP backend asks its server; the embedded backend
    /// answers at once.
    async fn count_input_tokens(&self, req: &ChatRequest) -> Result<u32, Error>;

    /// A conservative estimate of how long `complete` takes, from measured
    /// throughput (used to decide whether a lease can be met).
    fn estimate(&self, input_tokens: u32, max_output_tokens: u32) -> Duration;

    /// Answers `req` greedily, stopping at the model's end-of-turn token or
    /// after `max_output_tokens`.
    async fn complete(&self, req: &ChatRequest) -> Result<Completion, Error>;

    /// [`Backend::complete`], sending the answer's text to `pieces` as it
    /// is generated (pieces joined are the completion's text). A backend
    /// that cannot stream sends the whole text at the end, which is what
    /// this default does. A closed receiver does not stop the answer.
    async fn complete_streaming(
        &self,
        req: &ChatRequest,
        pieces: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<Completion, Error> {
        let completion = self.complete(req).await?;
        let _ = pieces.send(completion.text.clone());
        Ok(completion)
    }
}
