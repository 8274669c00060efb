//! Deployment settings: a TOML file (`config/local.toml` is the default for
//! development chains), every field documented there.

use std::path::Path;

use alloy::primitives::{Address, B256, U256};
use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The default settings, for a development chain.
pub const LOCAL: &str = include_str!("../config/local.toml");

/// Everything the core deployment needs besides the chain and the key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The vaults' and the ledger's asset; `None` deploys a test double.
    pub asset: Option<Address>,
    /// The ERC-4626 yield source over `asset`; `None` deploys a test double.
    pub source: Option<Address>,
    /// The credit ledger.
    pub ledger: LedgerConfig,
    /// The inference registry.
    pub registry: RegistryConfig,
    /// The oracle bridge.
    pub bridge: BridgeConfig,
    /// The sessions program's time rules.
    #[serde(default)]
    pub sessions: SessionsConfig,
    /// The AI NFT collection.
    pub ai_nft: NftConfig,
    /// Models to register (matched by name: registered once).
    #[serde(default)]
    pub models: Vec<ModelConfig>,
}

/// The credit ledger's constructor arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// ERC-20 name of the credits (at most 32 bytes).
    pub name: String,
    /// ERC-20 symbol of the credits (at most 32 bytes).
    pub symbol: String,
}

/// The inference registry's constructor arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Seconds between starting to unbond and withdrawing; also how long a
    /// replacement bridge or arbiter waits. At least the bridge's furthest
    /// deadline plus its lease (the reveal window) and dispute window: the
    /// bridge refuses a registry that unbonds sooner.
    pub unbond_delay: u64,
    /// The bond a lease reserves, in basis points of its slot's maximum
    /// cost (at least 10,000: a lapse must cost more than the work pays).
    pub collateral_bps: u64,
    /// The share of a lease's collateral lost by handing it back, in basis
    /// points.
    pub abandon_bps: u64,
    /// Smallest free bond a provider needs to take work, in base units of
    /// the asset (not zero).
    pub min_bond: U256,
    /// Where slashes go (never to the payer); the deployer when left out.
    #[serde(default)]
    pub treasury: Option<Address>,
    /// Who settles disputes (a multisig in production); the deployer when
    /// left out.
    #[serde(default)]
    pub arbiter: Option<Address>,
}

/// The oracle bridge's constructor arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeConfig {
    /// How long a provider's lease on a request lasts (also the commit and
    /// the reveal window of a redundant request).
    pub lease_seconds: u64,
    /// The furthest deadline a request may set, from now.
    pub max_deadline: u64,
    /// Gas given to a request's callback.
    pub callback_gas: u64,
    /// How long the arbiter has to settle a dispute before anyone may
    /// refund it, in seconds.
    pub dispute_window: u64,
}

/// The sessions program's constructor arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsConfig {
    /// How long the other side has to answer a close, in seconds.
    pub challenge_seconds: u64,
    /// The longest a session may run, in seconds.
    pub max_duration: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self { challenge_seconds: 600, max_duration: 86_400 }
    }
}

/// An ERC-721 collection's name and symbol.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NftConfig {
    /// Collection name (at most 32 bytes).
    pub name: String,
    /// Collection symbol (at most 32 bytes).
    pub symbol: String,
}

/// A model for the inference registry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model's name (at most 32 bytes): its identity for idempotence.
    pub name: String,
    /// Where its weights are published.
    pub weights_uri: String,
    /// keccak256 of the weights file.
    pub weights_hash: B256,
    /// Credits per input token.
    pub price_in: U256,
    /// Credits per output token.
    pub price_out: U256,
    /// Largest prompt, in tokens.
    pub max_input_tokens: u32,
    /// Largest answer, in tokens.
    pub max_output_tokens: u32,
    /// How many providers must agree on an answer.
    pub redundancy: u8,
}

impl Config {
    /// Parses settings from TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).context("invalid deployment config")?;
        for model in &config.models {
            if model.name.len() > 32 {
                bail!("model name {:?} is longer than 32 bytes", model.name);
            }
        }
        Ok(config)
    }

    /// Reads settings from `path`, or the development defaults without one.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        match path {
            None => Self::parse(LOCAL),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                Self::parse(&text).with_context(|| format!("in {}", path.display()))
            }
        }
    }
}

/// A string as the contracts' fixed 32-byte short string (UTF-8, zero-padded).
pub fn short_string(text: &str) -> Result<B256> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 32 || !text.is_ascii() {
        bail!("{text:?} must be 1 to 32 ASCII characters to fit a short string");
    }
    let mut word = [0u8; 32];
    word[..bytes.len()].copy_from_slice(bytes);
    Ok(B256::from(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_defaults_parse() {
        let config = Config::load(None).unwrap();
        assert!(config.asset.is_none(), "the local config deploys test doubles");
        assert_eq!(config.models.len(), 1);
        assert_eq!(config.models[0].name, "SmolLM2-135M-Instruct");
        assert_eq!(config.registry.min_bond, U256::from(10u64.pow(18)));
    }

    #[test]
    fn unknown_field_is_refused() {
        let text = LOCAL.replace("[ledger]", "[ledger]\ncolour = \"blue\"");
        let err = Config::parse(&text).unwrap_err();
        assert!(format!("{err:#}").contains("colour"), "{err:#}");
    }

    #[test]
    fn short_strings_are_bounded() {
        assert_eq!(&short_string("CC").unwrap()[..3], b"CC\0");
        assert!(short_string("").is_err());
        assert!(short_string(&"x".repeat(33)).is_err());
    }
}
