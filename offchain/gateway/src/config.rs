//! The gateway's settings: a TOML file. The signing key never sits in it in
//! clear: it comes from `COMPUTEFI_GATEWAY_KEY` or a key file.
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//!
//! [chain]
//! rpc_url = "https://arb1.arbitrum.io/rpc"
//! sessions = "0x..."   # the deployment file's core.sessions
//! access = "0x..."
//! registry = "0x..."
//! ai_nft = "0x..."     # lets clients ask for model "ai:<id>"
//! from_block = 0       # where the gateway's sessions start (for recovery)
//!
//! [sign_in]
//! domain = "gateway.example"
//!
//! [[models]]
//! name = "smollm2-135m-instruct"
//! id = 1
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use alloy::{
    primitives::{Address, U256},
    signers::local::PrivateKeySigner,
};
use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::providers::Route;

/// The variable that may hold the gateway's signing key (hex).
pub const KEY_VAR: &str = "COMPUTEFI_GATEWAY_KEY";

/// Everything the gateway needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the API listens.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The chain and the contracts.
    pub chain: ChainConfig,
    /// Where the signing key is.
    #[serde(default)]
    pub keys: KeysConfig,
    /// Sign-in.
    pub sign_in: SignInConfig,
    /// Per-key limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// How sessions are sized.
    #[serde(default)]
    pub sessions: SessionsConfig,
    /// The models served, by name.
    pub models: Vec<ModelEntry>,
    /// Providers to route to, besides those discovered.
    #[serde(default)]
    pub providers: Vec<Route>,
    /// Whether to read providers' endpoints from the registry.
    #[serde(default = "yes")]
    pub discover_providers: bool,
}

/// The chain and the contracts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// The sessions program.
    pub sessions: Address,
    /// The access contract.
    pub access: Address,
    /// The inference registry.
    pub registry: Address,
    /// The AI NFT (for models `ai:<id>`).
    #[serde(default)]
    pub ai_nft: Option<Address>,
    /// The first block to read the gateway's sessions and the providers'
    /// endpoints from.
    #[serde(default)]
    pub from_block: u64,
    /// Timeout of one RPC call, in milliseconds.
    #[serde(default = "default_rpc_timeout_ms")]
    pub rpc_timeout_ms: u64,
}

/// Where the gateway's key is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// A file holding the hex signing key (else `COMPUTEFI_GATEWAY_KEY`).
    pub signing_key_file: Option<PathBuf>,
}

/// Sign-in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInConfig {
    /// The domain sign-in messages must name (the gateway's public host).
    pub domain: String,
    /// How long an API key lasts, in seconds.
    #[serde(default = "default_key_ttl")]
    pub key_ttl_secs: u64,
    /// How long a nonce stays usable, in seconds.
    #[serde(default = "default_nonce_ttl")]
    pub nonce_ttl_secs: u64,
}

/// Per-key limits and request bounds.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests a minute per key.
    pub requests_per_minute: u32,
    /// Requests a key may make at once above its rate.
    pub burst: u32,
    /// Requests per key in flight at once.
    pub concurrent: usize,
    /// Output tokens when a request names none.
    pub default_max_tokens: u64,
    /// The most output tokens a request may ask for.
    pub max_tokens: u64,
    /// Input tokens allowed beyond a prompt's bytes: the chat template and
    /// the AI's instructions, which the provider adds.
    pub prompt_allowance: u64,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            requests_per_minute: 60,
            burst: 10,
            concurrent: 4,
            default_max_tokens: 256,
            max_tokens: 1_024,
            prompt_allowance: 2_048,
            max_body_bytes: 256 * 1024,
        }
    }
}

/// How sessions are sized.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// The most credits one session escrows (lowered to the key's quota
    /// left), decimal.
    pub cap: U256,
    /// How long a session lasts, in seconds.
    pub duration_secs: u64,
    /// A session this close to its expiry is renewed, in seconds.
    pub renew_before_secs: u64,
    /// Time between passes over retired sessions, in milliseconds.
    pub tend_interval_ms: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            cap: U256::from(10u128.pow(16)),
            duration_secs: 3_600,
            renew_before_secs: 120,
            tend_interval_ms: 5_000,
        }
    }
}

/// A model served, by the name clients use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// The name in requests and `/v1/models` (the providers' name for it).
    pub name: String,
    /// Its id in the registry.
    pub id: u32,
}

impl Config {
    /// Reads and checks the file at `path`.
    ///
    /// # Errors
    /// Unreadable, not TOML of this shape, or inconsistent.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let config: Self = toml::from_str(&text)
            .with_context(|| format!("{} is not a gateway config", path.display()))?;
        config.check()?;
        Ok(config)
    }

    /// Refuses settings that cannot work.
    ///
    /// # Errors
    /// Which setting, and why.
    pub fn check(&self) -> Result<()> {
        if self.models.is_empty() && self.chain.ai_nft.is_none() {
            bail!("name at least one model ([[models]]) or chain.ai_nft");
        }
        if self.providers.is_empty() && !self.discover_providers {
            bail!("no providers: list some ([[providers]]) or set discover_providers = true");
        }
        if self.sessions.cap.is_zero()
            || self.sessions.duration_secs <= self.sessions.renew_before_secs
        {
            bail!("sessions: cap must be above zero and duration_secs above renew_before_secs");
        }
        let l = &self.limits;
        if l.default_max_tokens == 0 || l.default_max_tokens > l.max_tokens {
            bail!("limits: default_max_tokens must be between 1 and max_tokens");
        }
        Ok(())
    }

    /// The gateway's signing key: the key file's, else the variable's.
    ///
    /// # Errors
    /// Neither is set, or the key is not a hex secp256k1 key.
    pub fn signing_key(&self) -> Result<PrivateKeySigner> {
        let text = match &self.keys.signing_key_file {
            Some(file) => std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?,
            None => std::env::var(KEY_VAR)
                .with_context(|| format!("set {KEY_VAR} or keys.signing_key_file"))?,
        };
        text.trim().parse().context("the signing key is not a hex private key")
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
const fn default_rpc_timeout_ms() -> u64 {
    10_000
}
const fn default_key_ttl() -> u64 {
    30 * 24 * 3_600
}
const fn default_nonce_ttl() -> u64 {
    600
}
const fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [chain]
        rpc_url = "http://127.0.0.1:8547"
        sessions = "0x0000000000000000000000000000000000000001"
        access = "0x0000000000000000000000000000000000000002"
        registry = "0x0000000000000000000000000000000000000003"
        [sign_in]
        domain = "localhost"
        [[models]]
        name = "smollm2"
        id = 1
    "#;

    #[test]
    fn a_minimal_file_gets_defaults_and_a_bad_one_is_refused_with_its_reason() {
        let config: Config = toml::from_str(MINIMAL).unwrap();
        config.check().unwrap();
        assert_eq!(config.limits.requests_per_minute, 60);
        assert!(config.discover_providers);
        let typo = format!("{MINIMAL}\n[limits]\nrequests_per_minite = 5\n");
        assert!(toml::from_str::<Config>(&typo).is_err(), "unknown fields are refused");
        let mut bad = config;
        bad.limits.default_max_tokens = bad.limits.max_tokens + 1;
        assert!(bad.check().unwrap_err().to_string().contains("default_max_tokens"));
    }
}
