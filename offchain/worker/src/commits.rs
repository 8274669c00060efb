//! Answers committed to and not yet revealed (requests of redundancy above
//! one). The bridge reveals an answer only with the salt of its commitment,
//! and reveals open after every slot committed or the commit window closed:
//! the worker keeps the answer and the salt until then, on disk (written
//! before the commitment is sent), so that a restart still reveals.

use std::{collections::BTreeMap, path::PathBuf};

use alloy::primitives::{keccak256, Address, Bytes, B256};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// One committed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// The request.
    pub id: u64,
    /// Our slot.
    pub slot: u8,
    /// The secret the commitment hides the answer with.
    pub salt: B256,
    /// The answer as it goes on chain.
    pub output: Bytes,
    /// The token counts reported with it.
    pub tokens: (u32, u32),
}

impl Commitment {
    /// A commitment to `output` for `slot` of request `id`, with a fresh
    /// random salt.
    ///
    /// # Errors
    /// When the system has no randomness to give.
    pub fn new(id: u64, slot: u8, output: Bytes, tokens: (u32, u32)) -> Result<Self> {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("drawing a salt: {e}"))?;
        Ok(Self { id, slot, salt: B256::from(salt), output, tokens })
    }

    /// What `provider` commits on chain: `keccak256(keccak256(output) ‖
    /// provider ‖ salt)`, as the bridge checks it
    /// (`contract_kit::market::commitment`).
    pub fn hash(&self, provider: Address) -> B256 {
        let mut preimage = keccak256(&self.output).to_vec();
        preimage.extend_from_slice(provider.as_slice());
        preimage.extend_from_slice(self.salt.as_slice());
        keccak256(preimage)
    }
}

/// The commitments not yet revealed, persisted.
#[derive(Debug)]
pub struct Commitments {
    path: PathBuf,
    by_id: BTreeMap<u64, Commitment>,
}

impl Commitments {
    /// Loads those saved at `path` (none when there is no file).
    ///
    /// # Errors
    /// When the file cannot be read or is not a commitments file.
    pub fn load(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let list: Vec<Commitment> = crate::store::load(&path, "commitments")?;
        Ok(Self { path, by_id: list.into_iter().map(|c| (c.id, c)).collect() })
    }

    /// Records `c` and saves at once: the salt must outlive a crash right
    /// after the commitment is sent.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn keep(&mut self, c: Commitment) -> Result<()> {
        self.by_id.insert(c.id, c);
        self.save().context("saving a commitment before sending it")
    }

    /// The commitment made for request `id`, if any.
    pub fn get(&self, id: u64) -> Option<&Commitment> {
        self.by_id.get(&id)
    }

    /// Forgets those whose request `tracked` says no longer matters
    /// (revealed, ended or forgotten); saves when any went.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn retain(&mut self, tracked: impl Fn(u64) -> bool) -> Result<()> {
        let before = self.by_id.len();
        self.by_id.retain(|id, _| tracked(*id));
        if self.by_id.len() == before {
            return Ok(());
        }
        self.save()
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn save(&self) -> Result<()> {
        let list: Vec<&Commitment> = self.by_id.values().collect();
        crate::store::save(&self.path, &list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_a_commitment_survives_a_restart_and_matches_the_bridges_formula() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/commits.json");
        let mut kept = Commitments::load(&path).unwrap();
        let c = Commitment::new(7, 2, Bytes::from_static(b"Paris"), (10, 3)).unwrap();
        let other = Commitment::new(8, 0, Bytes::from_static(b"Paris"), (10, 3)).unwrap();
        assert_ne!(c.salt, other.salt, "a fresh salt each time");
        kept.keep(c.clone()).unwrap();
        kept.keep(other).unwrap();
        let mut again = Commitments::load(&path).unwrap();
        assert_eq!(again.get(7), Some(&c));
        again.retain(|id| id != 8).unwrap();
        assert_eq!(Commitments::load(&path).unwrap().len(), 1);
        // keccak256(keccak256(output) ‖ provider ‖ salt), byte for byte.
        let provider = Address::repeat_byte(0xAB);
        let mut preimage = keccak256(b"Paris").to_vec();
        preimage.extend_from_slice(provider.as_slice());
        preimage.extend_from_slice(c.salt.as_slice());
        assert_eq!(c.hash(provider), keccak256(&preimage));
        std::fs::write(&path, "garbage").unwrap();
        assert!(Commitments::load(&path).is_err());
    }
}
