//! The `enc` (HPKE encapsulated key) of every sealed prompt this worker has
//! opened, with the request it came in (M-3). `enc` is fresh for every
//! seal, so the same `enc` in another request is a copy, and is refused.
//!
//! Kept next to the cursor and saved with it, so a restart still knows
//! them. Bounded by forgetting those whose request's deadline has passed:
//! the deadline is sealed into the prompt, and the bridge takes no new
//! request with a deadline in the past, so a copy can no longer open. A
//! reorg forgets those of the blocks it replaced, like the tracker.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::primitives::B256;
use anyhow::Result;
use serde::{Deserialize, Serialize};

/// Where an `enc` was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    enc: B256,
    id: u64,
    deadline: u64,
    block: u64,
}

/// The encs seen, persisted.
#[derive(Debug)]
pub struct SeenEncs {
    path: PathBuf,
    seen: BTreeMap<B256, Seen>,
    dirty: bool,
}

impl SeenEncs {
    /// Loads the set saved at `path` (empty when there is none).
    pub fn load(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let list: Vec<Seen> = crate::store::load(&path, "seen-enc")?;
        let seen = list.into_iter().map(|s| (s.enc, s)).collect();
        Ok(Self { path, seen, dirty: false })
    }

    /// Where it is saved.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `enc` for request `id` (announced in `block`, open until
    /// `deadline`). False when it was already seen in another request: a
    /// copy. Seeing it again in the same request (a restart reads the
    /// chain again) is fine.
    pub fn record(&mut self, enc: [u8; 32], id: u64, deadline: u64, block: u64) -> bool {
        let enc = B256::from(enc);
        if let Some(first) = self.seen.get(&enc) {
            return first.id == id;
        }
        self.seen.insert(enc, Seen { enc, id, deadline, block });
        self.dirty = true;
        true
    }

    /// Forgets encs of requests whose deadline is before `now`.
    pub fn prune(&mut self, now: u64) {
        let before = self.seen.len();
        self.seen.retain(|_, s| s.deadline >= now);
        self.dirty |= self.seen.len() != before;
    }

    /// Forgets encs first seen in blocks after `block` (replaced by a reorg).
    pub fn forget_after(&mut self, block: u64) {
        let before = self.seen.len();
        self.seen.retain(|_, s| s.block <= block);
        self.dirty |= self.seen.len() != before;
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Saves the set if it changed, atomically (a crash leaves the old or
    /// the new one).
    pub fn save(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let list: Vec<&Seen> = self.seen.values().collect();
        crate::store::save(&self.path, &list)?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m3_a_repeated_enc_in_another_request_is_refused_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/seen.json");
        let mut seen = SeenEncs::load(&path).unwrap();
        assert!(seen.record([1; 32], 7, 1_000, 3));
        assert!(seen.record([1; 32], 7, 1_000, 3), "the same request read again");
        assert!(!seen.record([1; 32], 8, 1_000, 4), "a copy in another request");
        assert!(seen.record([2; 32], 8, 2_000, 4));
        seen.save().unwrap();
        let mut again = SeenEncs::load(&path).unwrap();
        assert_eq!(again.len(), 2);
        assert!(!again.record([1; 32], 9, 1_000, 5), "still refused after a restart");
        std::fs::write(&path, "garbage").unwrap();
        assert!(SeenEncs::load(&path).is_err());
    }

    #[test]
    fn m3_seen_encs_are_forgotten_after_their_deadline_or_a_reorg() {
        let dir = tempfile::tempdir().unwrap();
        let mut seen = SeenEncs::load(dir.path().join("seen.json")).unwrap();
        seen.record([1; 32], 1, 100, 1);
        seen.record([2; 32], 2, 200, 2);
        seen.record([3; 32], 3, 300, 9);
        seen.prune(150);
        assert_eq!(seen.len(), 2);
        assert!(seen.record([1; 32], 4, 400, 10), "forgotten once its deadline passed");
        seen.forget_after(8);
        assert_eq!(seen.len(), 1, "the encs of blocks 9 and 10 went with the reorg");
        assert!(seen.record([3; 32], 3, 300, 9));
    }
}
