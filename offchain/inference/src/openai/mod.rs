//! A backend for any OpenAI-compatible HTTP server (vLLM, llama.cpp
//! server, Ollama), for workers with GPUs.

mod wire;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::throughput::ThroughputEstimator;
use crate::{Backend, ChatRequest, Completion, Error, Throughput};

const CHAT_PATH: &str = "/v1/chat/completions";
const APPLY_TEMPLATE_PATH: &str = "/apply-template";
const TOKENIZE_PATH: &str = "/tokenize";
/// How much of an error body goes into the error message.
const BODY_EXCERPT_CHARS: usize = 300;

/// How input tokens are counted, learned on first use.
const COUNT_UNKNOWN: u8 = 0;
/// llama.cpp server: `/apply-template`, then `/tokenize`. Free and exact.
const COUNT_TOKENIZE: u8 = 1;
/// Any other server: a completion of one token, whose `usage.prompt_tokens`
/// is exact but costs a prefill.
const COUNT_PROBE: u8 = 2;

/// Where and how to reach the server.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Scheme, host and port, e.g. `http://127.0.0.1:8080` (no `/v1`).
    pub base_url: String,
    /// The model name the server expects.
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<String>,
    /// Limit on a whole request, answer included.
    pub request_timeout: Duration,
    /// Limit on opening the connection.
    pub connect_timeout: Duration,
    /// Sent as `seed`, so that even a server that samples at temperature 0
    /// answers the same way twice.
    pub seed: u64,
    /// Throughput assumed before the first measurement (keep it low).
    pub prior: Throughput,
}

impl OpenAiConfig {
    /// Defaults: no key, 300 s per request, 10 s to connect, seed 0, and a
    /// prior of 200 prompt and 10 output tokens per second.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            request_timeout: Duration::from_mins(5),
            connect_timeout: Duration::from_secs(10),
            seed: 0,
            prior: Throughput { prompt_tokens_per_s: 200.0, output_tokens_per_s: 10.0 },
        }
    }
}

/// Chat completions from an OpenAI-compatible server, greedy.
#[derive(Debug)]
pub struct OpenAiBackend {
    client: reqwest::Client,
    base_url: String,
    model: String,
    api_key: Option<String>,
    seed: u64,
    counting: AtomicU8,
    estimator: Mutex<ThroughputEstimator>,
}

impl OpenAiBackend {
    /// Builds the client; no request is sent until the first call.
    pub fn new(config: OpenAiConfig) -> Result<Self, Error> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::Config(format!("base URL {base_url:?} is not http(s)")));
        }
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|source| Error::Http { url: base_url.clone(), source })?;
        Ok(Self {
            client,
            base_url,
            model: config.model,
            api_key: config.api_key,
            seed: config.seed,
            counting: AtomicU8::new(COUNT_UNKNOWN),
            // Network and queueing make up the fixed part.
            estimator: Mutex::new(ThroughputEstimator::new(config.prior, Duration::from_secs(1))),
        })
    }

    /// The measured throughput (a moving average; prefill is not timed
    /// apart from decoding over HTTP, so only the output rate moves).
    pub fn throughput(&self) -> Throughput {
        self.estimator.lock().unwrap_or_else(PoisonError::into_inner).current()
    }

    /// One greedy chat completion: its text and usage.
    async fn chat(
        &self,
        req: &ChatRequest,
        max_tokens: u32,
    ) -> Result<(String, wire::Usage), Error> {
        let body = wire::ChatCompletionRequest {
            model: &self.model,
            messages: wire::messages(req),
            max_tokens,
            temperature: 0.0,
            seed: self.seed,
            stream: false,
        };
        let url = self.url(CHAT_PATH);
        let answer: wire::ChatCompletionResponse = self.post(&url, &body).await?;
        let bad = |message: &str| Error::BadResponse { url: url.clone(), message: message.into() };
        // The bridge settles on the token counts: without them there is no
        // honest number to report.
        let usage = answer.usage.ok_or_else(|| bad("no `usage` in the answer"))?;
        let choice = answer.choices.into_iter().next().ok_or_else(|| bad("no choices"))?;
        Ok((choice.message.content.unwrap_or_default(), usage))
    }

    /// llama.cpp server's exact count, or `None` if the server lacks the
    /// endpoints (then the caller falls back to a probe).
    async fn count_by_tokenize(&self, req: &ChatRequest) -> Result<Option<u32>, Error> {
        let url = self.url(APPLY_TEMPLATE_PATH);
        let body = wire::ApplyTemplateRequest { messages: wire::messages(req) };
        let templated: wire::ApplyTemplateResponse = match self.post(&url, &body).await {
            Ok(templated) => templated,
            Err(Error::Status { status: 404 | 405 | 501, .. }) => return Ok(None),
            Err(err) => return Err(err),
        };
        let body = wire::TokenizeRequest {
            content: &templated.prompt,
            add_special: false,
            parse_special: true,
        };
        let url = self.url(TOKENIZE_PATH);
        let tokens: wire::TokenizeResponse = self.post(&url, &body).await?;
        let count = u32::try_from(tokens.tokens.len())
            .map_err(|_| Error::BadResponse { url, message: "more than u32 tokens".into() })?;
        Ok(Some(count))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs `body` as JSON and parses a successful answer; any other
    /// status, or a body that does not parse, is an error quoting the body.
    async fn post<B: Serialize + Sync, R: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> Result<R, Error> {
        let http = |source| Error::Http { url: url.to_owned(), source };
        let mut request = self.client.post(url).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(http)?;
        let status = response.status();
        let text = response.text().await.map_err(http)?;
        if !status.is_success() {
            return Err(Error::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                body: excerpt(&text),
            });
        }
        serde_json::from_str(&text).map_err(|e| Error::BadResponse {
            url: url.to_owned(),
            message: format!("{e}; body: {}", excerpt(&text)),
        })
    }
}

#[async_trait::async_trait]
impl Backend for OpenAiBackend {
    fn model_name(&self) -> &str {
        &self.model
    }

    /// Exact counts: llama.cpp server's `/apply-template` and `/tokenize`
    /// when it has them, else a one-token completion whose
    /// `usage.prompt_tokens` the server measures with its own template and
    /// tokenizer (costs one prefill). An estimate would not do: the
    /// requester declares input tokens, and a worker that undercounts
    /// claims leases it is not paid enough for.
    async fn count_input_tokens(&self, req: &ChatRequest) -> Result<u32, Error> {
        if self.counting.load(Ordering::Relaxed) != COUNT_PROBE {
            if let Some(count) = self.count_by_tokenize(req).await? {
                self.counting.store(COUNT_TOKENIZE, Ordering::Relaxed);
                return Ok(count);
            }
            self.counting.store(COUNT_PROBE, Ordering::Relaxed);
        }
        Ok(self.chat(req, 1).await?.1.prompt_tokens)
    }

    fn estimate(&self, input_tokens: u32, max_output_tokens: u32) -> Duration {
        let estimator = self.estimator.lock().unwrap_or_else(PoisonError::into_inner);
        estimator.estimate(input_tokens, max_output_tokens)
    }

    async fn complete(&self, req: &ChatRequest) -> Result<Completion, Error> {
        let started = Instant::now();
        let (text, usage) = self.chat(req, req.max_output_tokens).await?;
        let elapsed = started.elapsed();
        // More tokens than the request allows cannot be settled on chain.
        if usage.completion_tokens > req.max_output_tokens {
            return Err(Error::BadResponse {
                url: self.url(CHAT_PATH),
                message: format!(
                    "{} completion tokens reported, more than the {} asked for",
                    usage.completion_tokens, req.max_output_tokens
                ),
            });
        }
        self.estimator.lock().unwrap_or_else(PoisonError::into_inner).observe_total(
            usage.prompt_tokens,
            usage.completion_tokens,
            elapsed,
        );
        Ok(Completion {
            text,
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
            elapsed,
        })
    }
}

/// The start of `text`, cut on a character boundary.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(BODY_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_long_bodies_on_char_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(BODY_EXCERPT_CHARS + 10);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn base_url_must_be_http_and_loses_its_trailing_slash() {
        assert!(OpenAiBackend::new(OpenAiConfig::new("localhost:8080", "m")).is_err());
        let b = OpenAiBackend::new(OpenAiConfig::new("http://127.0.0.1:1/", "m")).unwrap();
        assert_eq!(b.url(CHAT_PATH), "http://127.0.0.1:1/v1/chat/completions");
    }

    #[test]
    fn messages_put_the_system_prompt_first_and_only_if_given() {
        let mut req = ChatRequest {
            history: Vec::new(),
            system: None,
            user: "u".into(),
            max_output_tokens: 1,
        };
        let roles: Vec<_> = wire::messages(&req).iter().map(|m| m.role).collect();
        assert_eq!(roles, ["user"]);
        req.system = Some("s".into());
        let roles: Vec<_> = wire::messages(&req).iter().map(|m| m.role).collect();
        assert_eq!(roles, ["system", "user"]);
        req.history = vec![
            crate::Turn { role: crate::Role::User, content: "q".into() },
            crate::Turn { role: crate::Role::Assistant, content: "a".into() },
        ];
        let roles: Vec<_> = wire::messages(&req).iter().map(|m| m.role).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
    }
}
