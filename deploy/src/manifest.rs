//! `deployments/<chain-id>.json`: what is deployed where, read back on the
//! next run so that a second run deploys nothing, and read by the worker,
//! the clients and the demo.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, B256, U256};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The deployment file of one chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The chain these addresses are on.
    pub chain_id: u64,
    /// Contracts by role: `asset`, `source`, `ledger`, `registry`,
    /// `access`, `bridge`, `accountImplementation`, `erc6551Registry`,
    /// `aiNft`, `agentPermissions`, `aiParking`.
    pub contracts: BTreeMap<String, Contract>,
    /// Registered models: name to id in the inference registry.
    pub models: BTreeMap<String, u32>,
    /// Communities by name.
    pub communities: BTreeMap<String, Community>,
}

/// One deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    /// Where it lives.
    pub address: Address,
    /// What it is built from: a project program (`vault`, `oracle-bridge`,
    /// ...), a test double (`test-double:TestToken`), or `external`.
    pub artifact: String,
    /// keccak256 of its deployed code when this tool deployed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<B256>,
    /// The deploying transaction, when this tool deployed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<B256>,
}

/// A community: its AI NFT and account, vault, key collection and policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Community {
    /// The AI NFT's token id.
    pub ai_id: U256,
    /// The AI's ERC-6551 account: the vault's beneficiary and the bridge payer.
    pub account: Address,
    /// The community's vault.
    pub vault: Address,
    /// The community's key collection.
    pub keys: Address,
    /// The model its AI asks.
    pub model: u32,
    /// Credits each key holder may spend per period.
    pub quota: U256,
    /// The quota's period in seconds.
    pub period: u64,
}

impl Manifest {
    /// The file for `chain_id` under `dir`.
    pub fn path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads the file for `chain_id`, or an empty manifest when there is none.
    pub fn load(dir: &Path, chain_id: u64) -> Result<Self> {
        let path = Self::path(dir, chain_id);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let manifest: Self = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a deployment file", path.display()))?;
                anyhow::ensure!(
                    manifest.chain_id == chain_id,
                    "{} is for chain {}, not {chain_id}",
                    path.display(),
                    manifest.chain_id
                );
                Ok(manifest)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Self { chain_id, ..Self::default() })
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the file atomically (a crash leaves the old or the new one).
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = Self::path(dir, self.chain_id);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The address recorded for `role`.
    pub fn address(&self, role: &str) -> Result<Address> {
        self.contracts.get(role).map(|c| c.address).with_context(|| {
            format!(
                "no `{role}` in the deployment of chain {}: run the deploy first",
                self.chain_id
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest { chain_id: 7, ..Manifest::default() };
        m.contracts.insert(
            "ledger".into(),
            Contract {
                address: Address::repeat_byte(1),
                artifact: "compute-credits".into(),
                code_hash: Some(B256::repeat_byte(2)),
                tx: None,
            },
        );
        m.models.insert("m".into(), 1);
        m.save(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path(), 7).unwrap(), m);
        assert_eq!(m.address("ledger").unwrap(), Address::repeat_byte(1));
        assert!(m.address("bridge").is_err());
    }

    #[test]
    fn missing_file_is_an_empty_deployment_and_a_foreign_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::load(dir.path(), 5).unwrap().chain_id, 5);
        std::fs::write(
            dir.path().join("6.json"),
            r#"{"chainId":5,"contracts":{},"models":{},"communities":{}}"#,
        )
        .unwrap();
        assert!(Manifest::load(dir.path(), 6).is_err());
        std::fs::write(dir.path().join("8.json"), "not json").unwrap();
        assert!(Manifest::load(dir.path(), 8).is_err());
    }
}
