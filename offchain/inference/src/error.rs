//! The library's one error type.

use std::path::PathBuf;

/// Why an inference backend could not do what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No model file where one was looked for.
    #[error("model file not found ({looked_in}); run `{script}` to install it")]
    ModelNotFound {
        /// Where the file was looked for.
        looked_in: String,
        /// The script that installs it.
        script: &'static str,
    },
    /// The model file could not be read.
    #[error("reading model file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The GGUF lacks something the backend needs, or has it in another form.
    #[error("model {what}: {message}")]
    Model {
        /// What was being read (a file, a metadata key).
        what: String,
        /// What was wrong.
        message: String,
    },
    /// The tensor library failed.
    #[error("{context}: {source}")]
    Candle {
        /// What was being done.
        context: &'static str,
        /// candle's error.
        #[source]
        source: candle_core::Error,
    },
    /// The tokenizer failed to encode or decode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The chat template failed to render.
    #[error("chat template: {0}")]
    Template(String),
    /// The prompt and the requested output do not fit the model's context.
    #[error(
        "prompt of {input_tokens} tokens plus {max_output_tokens} output tokens exceeds the \
         context of {context} tokens"
    )]
    ContextExceeded {
        /// Tokens of the templated prompt.
        input_tokens: u32,
        /// Output tokens asked for.
        max_output_tokens: u32,
        /// Tokens the backend can hold.
        context: u32,
    },
    /// A setting is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The HTTP request did not complete (connection, timeout, body).
    #[error("request to {url} failed: {source}")]
    Http {
        /// The endpoint.
        url: String,
        /// reqwest's error (its `is_timeout()` tells a timeout).
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The server's answer is not what the protocol says.
    #[error("unexpected response from {url}: {message}")]
    BadResponse {
        /// The endpoint.
        url: String,
        /// What was wrong, with the start of the body.
        message: String,
    },
    /// The blocking inference task died (it panicked or was cancelled).
    #[error("inference task failed: {0}")]
    Task(String),
}

impl Error {
    /// Wraps a candle error with what was being done.
    pub(crate) fn candle(context: &'static str) -> impl FnOnce(candle_core::Error) -> Self {
        move |source| Self::Candle { context, source }
    }

    /// A metadata problem in the GGUF.
    pub(crate) fn model(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Model { what: what.into(), message: message.into() }
    }
}
