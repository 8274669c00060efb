//! Reading a request's prompt before claiming it: a claimed lease that the
//! worker then cannot serve lapses and costs part of its bond (H-1). The
//! prompt is taken inline or fetched by URI and checked against its hash,
//! opened when sealed (bound to the request, M-3, and with an `enc` not
//! seen in another request), decoded as UTF-8 and counted with the model's
//! tokenizer and chat template; a requester who declared fewer input tokens
//! than that is refused (I-3).

use std::{collections::HashMap, sync::Arc};

use alloy::primitives::{Address, B256};
use anyhow::{anyhow, Result};
use inference::{Backend, ChatRequest};
use sealing::{Keypair, Purpose};
use tokio::task::JoinSet;

use crate::{
    fetch::Fetcher,
    seen::SeenEncs,
    tracker::{Prompt, Request, Skip},
};

/// Most URI prompts fetched at once in one step; the rest wait for the
/// next, so a flood of slow URIs cannot hold the loop for long.
pub const FETCHES_PER_STEP: usize = 16;

/// What reading one prompt gave.
#[derive(Debug)]
pub enum Read {
    /// Ready to run.
    Ready(Prompt),
    /// Never to be served: why, and what went wrong.
    Refused(Skip, String),
    /// Could not be read now for a reason that may pass (the backend did
    /// not answer); tried again on the next step.
    Later(anyhow::Error),
}

/// Reads prompts for one bridge.
pub struct Reader {
    /// The chain id (part of a sealed prompt's place).
    pub chain_id: u64,
    /// The bridge (part of a sealed prompt's place).
    pub bridge: Address,
    /// The system prompt the model gets before the user's message.
    pub system_prompt: Option<String>,
    /// Counts tokens with the model's tokenizer and template.
    pub backend: Arc<dyn Backend>,
    /// Opens sealed prompts (without it, sealed requests are refused).
    pub seal_key: Option<Keypair>,
    /// Fetches URI prompts.
    pub fetcher: Fetcher,
}

/// Whether `r`'s prompt is given by URI rather than inline.
pub fn by_uri(r: &Request) -> bool {
    r.prompt.is_empty() && r.prompt_hash != B256::ZERO && !r.prompt_uri.is_empty()
}

impl Reader {
    /// The chat the model runs for `r` with the user's message `user`.
    pub fn chat(&self, r: &Request, user: String) -> ChatRequest {
        ChatRequest {
            history: Vec::new(),
            system: self.system_prompt.clone(),
            user,
            max_output_tokens: r.max_output_tokens,
        }
    }

    /// Fetches the URI prompts of `requests` (at most [`FETCHES_PER_STEP`],
    /// at once), by request id.
    pub async fn fetch_all(&self, requests: &[Request]) -> HashMap<u64, Result<Vec<u8>>> {
        let mut running = JoinSet::new();
        for r in requests.iter().filter(|r| by_uri(r)).take(FETCHES_PER_STEP) {
            let (client, id, uri, hash) =
                (self.fetcher.clone(), r.id, r.prompt_uri.clone(), r.prompt_hash);
            running.spawn(async move { (id, client.fetch(&uri, hash).await) });
        }
        let mut fetched = HashMap::new();
        while let Some(done) = running.join_next().await {
            // A fetch that panicked is dropped: the prompt stays unread and
            // is fetched again on the next step.
            if let Ok((id, bytes)) = done {
                fetched.insert(id, bytes);
            }
        }
        fetched
    }

    /// Reads `r`'s prompt from `bytes` (inline, or what [`Self::fetch_all`]
    /// got), recording a sealed prompt's `enc` in `seen`.
    pub async fn read(&self, r: &Request, bytes: Result<Vec<u8>>, seen: &mut SeenEncs) -> Read {
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(e) => return Read::Refused(Skip::Unreadable, format!("{e:#}")),
        };
        let plain = if r.encrypted {
            match self.open(r, &bytes, seen) {
                Ok(plain) => plain,
                Err(refused) => return refused,
            }
        } else {
            bytes
        };
        let Ok(user) = String::from_utf8(plain) else {
            return Read::Refused(Skip::Unreadable, "the prompt is not UTF-8".into());
        };
        let chat = self.chat(r, user);
        let tokens = match self.backend.count_input_tokens(&chat).await {
            Ok(tokens) => tokens,
            Err(e) => return Read::Later(anyhow!(e).context("counting the prompt's tokens")),
        };
        if tokens > r.input_tokens {
            let why = format!("the prompt takes {tokens} tokens, {} declared", r.input_tokens);
            return Read::Refused(Skip::UnderDeclared, why);
        }
        Read::Ready(Prompt { user: chat.user, input_tokens: tokens })
    }

    /// Opens a sealed prompt in its request's place, refusing an `enc`
    /// already seen in another request.
    fn open(&self, r: &Request, sealed: &[u8], seen: &mut SeenEncs) -> Result<Vec<u8>, Read> {
        let unreadable = |why: &str| Read::Refused(Skip::Unreadable, why.to_owned());
        let key = self.seal_key.as_ref().ok_or_else(|| unreadable("no seal key"))?;
        let enc = sealing::enc_of(sealed).ok_or_else(|| unreadable("not a sealed message"))?;
        let place = sealing::PromptPlace {
            chain_id: self.chain_id,
            bridge: self.bridge.into(),
            model: r.model,
            payer: r.payer.into(),
            requester: r.requester.into(),
            requester_key: r.requester_key.0,
            deadline: r.deadline,
        };
        let plain = key
            .open(Purpose::Prompt, &sealing::Context::prompt(&place), sealed)
            .map_err(|e| unreadable(&e.to_string()))?;
        // Recorded only once it opens: a copy that does not open must not
        // block the request it was copied from.
        if !seen.record(enc, r.id, r.deadline, r.block) {
            return Err(Read::Refused(Skip::Replayed, "enc seen in another request".into()));
        }
        Ok(plain)
    }
}
