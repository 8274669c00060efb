//! A community AI's instructions (its values and tuning): the AI NFT holds
//! their keccak256 and a URI; the worker fetches the text, refuses it unless
//! it matches the hash, and applies it as the system prompt of everything
//! addressed to that AI.
//!
//! URIs: `data:,<percent-encoded text>` (inline), `http(s)://…` (through the
//! prompt [`Fetcher`]: bounded in size and time, public hosts only unless
//! allowed), and `ipfs://<cid>/<path>` (through the configured gateway).
//! Texts are cached by hash (a hash names one text forever), at most
//! [`MAX_CACHED`] of them.

use std::{collections::HashMap, sync::Arc};

use alloy::{
    primitives::{keccak256, Address, B256, U256},
    providers::DynProvider,
};
use anyhow::{bail, ensure, Context, Result};
use bindings::IAiNft;
use tokio::sync::Mutex;

use crate::fetch::Fetcher;

/// Most instruction texts kept (each at most the fetcher's size limit):
/// anyone can mint AIs, so the cache must not grow with them.
pub const MAX_CACHED: usize = 1_024;

/// Loads and checks instructions.
#[derive(Debug)]
pub struct Instructions {
    fetcher: Fetcher,
    /// Scheme and host of an IPFS HTTP gateway (`https://ipfs.io`), if any.
    ipfs_gateway: Option<String>,
    cache: Mutex<HashMap<B256, Arc<str>>>,
}

/// What an AI NFT says about one AI.
#[derive(Debug, Clone)]
pub struct Ai {
    /// The model (the inference registry's id) it runs on.
    pub model: u32,
    /// Its instructions, checked against the hash on the NFT.
    pub instructions: Arc<str>,
}

impl Instructions {
    /// A loader fetching with `fetcher` and `ipfs://` through `ipfs_gateway`.
    pub fn new(fetcher: Fetcher, ipfs_gateway: Option<String>) -> Self {
        Self { fetcher, ipfs_gateway, cache: Mutex::default() }
    }

    /// The text at `uri` whose keccak256 is `hash`.
    ///
    /// # Errors
    /// An unsupported or unreachable URI, a text that is too large, slow,
    /// not UTF-8, or does not match `hash`.
    pub async fn load(&self, uri: &[u8], hash: B256) -> Result<Arc<str>> {
        if let Some(text) = self.cache.lock().await.get(&hash) {
            return Ok(text.clone());
        }
        let uri = std::str::from_utf8(uri).context("the instructions URI is not UTF-8")?;
        let bytes = if let Some(inline) = uri.strip_prefix("data:") {
            let (kind, data) = inline.split_once(',').context("a data: URI has a comma")?;
            ensure!(!kind.ends_with(";base64"), "base64 data: URIs are not read: use text");
            let bytes = percent_decode(data)?;
            ensure!(keccak256(&bytes) == hash, "the inline instructions do not match their hash");
            bytes
        } else if let Some(path) = uri.strip_prefix("ipfs://") {
            let gateway = self.ipfs_gateway.as_deref().context("no IPFS gateway is configured")?;
            let url = format!("{}/ipfs/{path}", gateway.trim_end_matches('/'));
            self.fetcher.fetch(url.as_bytes(), hash).await?
        } else if uri.is_empty() {
            bail!("the AI publishes no instructions URI");
        } else {
            self.fetcher.fetch(uri.as_bytes(), hash).await?
        };
        let text: Arc<str> =
            String::from_utf8(bytes).context("the instructions are not UTF-8")?.into();
        let mut cache = self.cache.lock().await;
        if cache.len() >= MAX_CACHED {
            // Any one goes: a text evicted is fetched again when asked for.
            if let Some(old) = cache.keys().next().copied() {
                cache.remove(&old);
            }
        }
        cache.insert(hash, text.clone());
        Ok(text)
    }

    /// AI `id` of the AI NFT at `nft`, its instructions loaded.
    ///
    /// # Errors
    /// The NFT cannot be read (no such AI), or [`Self::load`]'s.
    pub async fn ai(&self, provider: &DynProvider, nft: Address, id: U256) -> Result<Ai> {
        let contract = IAiNft::new(nft, provider);
        let record = contract.ai(id).call().await.with_context(|| format!("reading AI {id}"))?;
        let uri = contract.instructionsUri(id).call().await.context("reading its URI")?;
        let instructions = self
            .load(&uri, record.instructionsHash)
            .await
            .with_context(|| format!("the instructions of AI {id}"))?;
        Ok(Ai { model: record.model, instructions })
    }
}

/// `%XX` escapes decoded.
fn percent_decode(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next().unwrap_or(b'?'), bytes.next().unwrap_or(b'?')];
            let hex = std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.context("a bad % escape in a data: URI")?);
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn loader() -> Instructions {
        let fetcher = Fetcher::new(4096, Duration::from_secs(2), false).unwrap();
        Instructions::new(fetcher, None)
    }

    #[tokio::test]
    async fn inline_instructions_are_read_and_checked() {
        let text = "Answer only in French, and be kind.";
        let uri = "data:text/plain,Answer%20only%20in%20French,%20and%20be%20kind.";
        let loaded = loader().load(uri.as_bytes(), keccak256(text)).await.unwrap();
        assert_eq!(&*loaded, text);
        let tampered = loader().load(uri.as_bytes(), keccak256("Answer in English.")).await;
        assert!(tampered.unwrap_err().to_string().contains("do not match"));
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_bound() {
        let loader = loader();
        for i in 0..=MAX_CACHED {
            let text = format!("rule{i}");
            let uri = format!("data:,{text}");
            loader.load(uri.as_bytes(), keccak256(&text)).await.unwrap();
        }
        assert_eq!(loader.cache.lock().await.len(), MAX_CACHED);
    }

    #[tokio::test]
    async fn what_cannot_be_read_is_refused_with_a_reason() {
        let hash = keccak256("x");
        for (uri, why) in [
            ("", "no instructions URI"),
            ("data:;base64,eA==", "base64"),
            ("data:,%zz", "bad % escape"),
            ("ipfs://bafy/x.txt", "no IPFS gateway"),
            ("ftp://example.com/x", "not http(s)"),
        ] {
            let err = loader().load(uri.as_bytes(), hash).await.unwrap_err();
            assert!(format!("{err:#}").contains(why), "{uri}: {err:#}");
        }
    }
}
