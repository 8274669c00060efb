//! JSON bodies of the `OpenAI` chat-completions API and llama.cpp server's
//! tokenizer endpoints: only the fields this backend sends or reads.

use serde::{Deserialize, Serialize};

use crate::ChatRequest;

/// One message of a chat.
#[derive(Debug, Serialize)]
pub(super) struct Message<'a> {
    pub(super) role: &'a str,
    pub(super) content: &'a str,
}

/// The messages of `req`: the system prompt first if there is one, the
/// earlier turns, then the new user message.
pub(super) fn messages(req: &ChatRequest) -> Vec<Message<'_>> {
    let system = req.system.as_deref().map(|content| Message { role: "system", content });
    let history =
        req.history.iter().map(|t| Message { role: t.role.as_str(), content: &t.content });
    system
        .into_iter()
        .chain(history)
        .chain([Message { role: "user", content: &req.user }])
        .collect()
}

/// `POST /v1/chat/completions`.
#[derive(Debug, Serialize)]
pub(super) struct ChatCompletionRequest<'a> {
    pub(super) model: &'a str,
    pub(super) messages: Vec<Message<'a>>,
    pub(super) max_tokens: u32,
    /// 0: greedy, so that redundant providers can agree on the answer.
    pub(super) temperature: f32,
    /// Some servers still sample at temperature 0 on ties; a fixed seed
    /// makes even that repeatable.
    pub(super) seed: u64,
    pub(super) stream: bool,
}

/// The answer to a chat completion.
#[derive(Debug, Deserialize)]
pub(super) struct ChatCompletionResponse {
    pub(super) choices: Vec<Choice>,
    pub(super) usage: Option<Usage>,
}

/// One choice of an answer.
#[derive(Debug, Deserialize)]
pub(super) struct Choice {
    pub(super) message: ResponseMessage,
}

/// The assistant's message (content is null for pure tool calls).
#[derive(Debug, Deserialize)]
pub(super) struct ResponseMessage {
    pub(super) content: Option<String>,
}

/// Token counts as the server measured them.
#[derive(Debug, Deserialize)]
pub(super) struct Usage {
    pub(super) prompt_tokens: u32,
    pub(super) completion_tokens: u32,
}

/// llama.cpp server's `POST /apply-template`.
#[derive(Debug, Serialize)]
pub(super) struct ApplyTemplateRequest<'a> {
    pub(super) messages: Vec<Message<'a>>,
}

/// The templated prompt.
#[derive(Debug, Deserialize)]
pub(super) struct ApplyTemplateResponse {
    pub(super) prompt: String,
}

/// llama.cpp server's `POST /tokenize`.
#[derive(Debug, Serialize)]
pub(super) struct TokenizeRequest<'a> {
    pub(super) content: &'a str,
    /// The template already wrote the BOS token if the model wants one.
    pub(super) add_special: bool,
    /// `<|im_start|>` written by the template is one token, not seven.
    pub(super) parse_special: bool,
}

/// The prompt's token ids.
#[derive(Debug, Deserialize)]
pub(super) struct TokenizeResponse {
    pub(super) tokens: Vec<serde_json::Value>,
}
