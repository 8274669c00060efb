//! The worker's settings: a TOML file, any field of which an environment
//! variable overrides (`COMPUTEFI_WORKER__<SECTION>__<FIELD>`, e.g.
//! `COMPUTEFI_WORKER__CHAIN__RPC_URL`), so that containers and CI need no
//! edited file. The signing key never sits in the file in clear: it comes
//! from `COMPUTEFI_WORKER_KEY` or a key file.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy::primitives::Address;
use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The prefix of overriding environment variables.
pub const ENV_PREFIX: &str = "COMPUTEFI_WORKER__";

/// Everything the worker needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The chain and the contracts.
    pub chain: ChainConfig,
    /// The provider's keys.
    pub keys: KeysConfig,
    /// The model served and how.
    pub model: ModelConfig,
    /// Transaction sending.
    #[serde(default)]
    pub tx: TxConfig,
    /// Reading prompts given by URI.
    #[serde(default)]
    pub prompts: PromptsConfig,
    /// Where state is kept.
    pub state_dir: PathBuf,
    /// The metrics and health endpoint.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
}

/// The chain and the contracts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// The oracle bridge.
    pub bridge: Address,
    /// The first block to read when there is no saved cursor (the bridge's
    /// deployment block).
    #[serde(default)]
    pub start_block: u64,
    /// Blocks a log must be under before it is acted on.
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    /// Most blocks per `eth_getLogs`.
    #[serde(default = "default_max_range")]
    pub max_block_range: u64,
    /// Time between polls, in milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// Timeout of one RPC call, in milliseconds.
    #[serde(default = "default_rpc_timeout_ms")]
    pub rpc_timeout_ms: u64,
    /// How long the bridge's leases last; read from the bridge's
    /// `settings()` at start when left out.
    #[serde(default)]
    pub lease_seconds: Option<u64>,
}

/// Where the provider's keys are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// A file holding the hex signing key (else `COMPUTEFI_WORKER_KEY`).
    pub signing_key_file: Option<PathBuf>,
    /// A file holding the hex X25519 secret for sealed prompts (else
    /// `COMPUTEFI_WORKER_SEAL_KEY`; without either, sealed requests are skipped).
    pub seal_key_file: Option<PathBuf>,
}

/// The model served.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Its id in the inference registry.
    pub id: u32,
    /// The system prompt placed before each question.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// The inference backend.
    pub backend: BackendConfig,
    /// Seconds kept in hand beyond the estimated inference time when
    /// deciding whether a lease can be met (for the transactions).
    #[serde(default = "default_margin")]
    pub margin_seconds: u64,
}

/// How the model runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BackendConfig {
    /// On this machine's CPU, from a GGUF file.
    Embedded {
        /// The GGUF file; default: located as `scripts/install-model.sh` installs it.
        model_path: Option<PathBuf>,
        /// Threads for the matrix kernels.
        #[serde(default = "default_threads")]
        threads: usize,
    },
    /// Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama).
    Openai {
        /// The server's base URL.
        base_url: String,
        /// The model name the server knows.
        model: String,
        /// The variable holding the API key, if the server wants one.
        api_key_env: Option<String>,
    },
}

/// How transactions are sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxConfig {
    /// Seconds to wait for a receipt before bumping the fee.
    pub receipt_timeout_secs: u64,
    /// Fee bumps before giving up on a transaction.
    pub max_bumps: u32,
    /// Sends retried after RPC errors.
    pub max_retries: u32,
}

impl Default for TxConfig {
    fn default() -> Self {
        Self { receipt_timeout_secs: 30, max_bumps: 3, max_retries: 5 }
    }
}

/// How prompts given by URI are fetched (before any claim).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromptsConfig {
    /// Most bytes fetched; default the bridge's cap on an inline prompt.
    pub max_uri_bytes: usize,
    /// Time allowed for one fetch, in milliseconds.
    pub fetch_timeout_ms: u64,
    /// Whether loopback and private addresses may be fetched (off: the URI
    /// is the requester's, and must not reach into the operator's network).
    pub allow_private_hosts: bool,
}

/// The bridge's cap on an inline prompt (`oracle_bridge::MAX_PROMPT_BYTES`).
pub const MAX_PROMPT_BYTES: usize = 8 * 1024;

impl Default for PromptsConfig {
    fn default() -> Self {
        Self {
            max_uri_bytes: MAX_PROMPT_BYTES,
            fetch_timeout_ms: 5_000,
            allow_private_hosts: false,
        }
    }
}

impl PromptsConfig {
    /// The time allowed for one fetch.
    pub fn fetch_timeout(&self) -> Duration {
        Duration::from_millis(self.fetch_timeout_ms)
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}
const fn default_confirmations() -> u64 {
    1
}
const fn default_max_range() -> u64 {
    2_000
}
const fn default_poll_ms() -> u64 {
    1_000
}
const fn default_rpc_timeout_ms() -> u64 {
    10_000
}
const fn default_margin() -> u64 {
    20
}
const fn default_threads() -> usize {
    1
}

impl ChainConfig {
    /// The poll interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

impl Config {
    /// Parses `text` and applies the overrides in `env`.
    pub fn parse(text: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut value: toml::Table = toml::from_str(text).context("the config is not TOML")?;
        for (key, raw) in env {
            let Some(path) = key.strip_prefix(ENV_PREFIX) else { continue };
            let path: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            set_path(&mut value, &path, &raw).with_context(|| format!("applying {key}"))?;
        }
        let config: Self = value.try_into().context("invalid worker config")?;
        if config.chain.max_block_range == 0 {
            bail!("chain.max_block_range must be at least 1");
        }
        Ok(config)
    }

    /// Reads `path` and applies the process's environment.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, std::env::vars()).with_context(|| format!("in {}", path.display()))
    }
}

/// Sets `path` in `table` to `raw`, read as a TOML value when it is one
/// (numbers, booleans) and as a string otherwise.
fn set_path(table: &mut toml::Table, path: &[String], raw: &str) -> Result<()> {
    let (last, parents) = path.split_last().context("empty variable name")?;
    let mut at = table;
    for key in parents {
        let entry = at.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        at = entry.as_table_mut().with_context(|| format!("`{key}` is not a section"))?;
    }
    let value = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()));
    at.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
state_dir = "/tmp/w"
[chain]
rpc_url = "http://127.0.0.1:8547"
bridge = "0x0000000000000000000000000000000000000001"
[keys]
[model]
id = 1
backend = { kind = "embedded" }
"#;

    #[test]
    fn defaults_and_env_overrides() {
        let env = [
            ("COMPUTEFI_WORKER__CHAIN__RPC_URL".to_owned(), "http://node:8547".to_owned()),
            ("COMPUTEFI_WORKER__CHAIN__CONFIRMATIONS".to_owned(), "3".to_owned()),
            ("COMPUTEFI_WORKER__MODEL__BACKEND__THREADS".to_owned(), "2".to_owned()),
            ("UNRELATED".to_owned(), "x".to_owned()),
        ];
        let c = Config::parse(TEXT, env).unwrap();
        assert_eq!(c.chain.rpc_url, "http://node:8547");
        assert_eq!(c.chain.confirmations, 3);
        assert_eq!(c.chain.max_block_range, 2_000);
        assert!(matches!(c.model.backend, BackendConfig::Embedded { threads: 2, .. }));
        assert_eq!(c.tx.max_bumps, 3);
        assert_eq!(c.prompts.max_uri_bytes, 8 * 1024);
        assert!(!c.prompts.allow_private_hosts);
        let env =
            [("COMPUTEFI_WORKER__PROMPTS__ALLOW_PRIVATE_HOSTS".to_owned(), "true".to_owned())];
        assert!(Config::parse(TEXT, env).unwrap().prompts.allow_private_hosts);
    }

    #[test]
    fn bad_input_is_an_error_with_its_place() {
        let env = [("COMPUTEFI_WORKER__CHAIN__CONFIRMATIONS".to_owned(), "many".to_owned())];
        assert!(Config::parse(TEXT, env).is_err());
        let typo = TEXT.replace("rpc_url", "rpc_ulr");
        let err = format!("{:#}", Config::parse(&typo, []).unwrap_err());
        assert!(err.contains("rpc_ulr"), "{err}");
        assert!(Config::parse("not = [toml", []).is_err());
        let env = [("COMPUTEFI_WORKER__STATE_DIR__X".to_owned(), "1".to_owned())];
        assert!(Config::parse(TEXT, env).is_err(), "state_dir is not a section");
    }
}
