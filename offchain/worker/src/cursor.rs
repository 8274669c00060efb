//! Where the worker is in the chain's history: the next block to read and
//! the hashes of the last blocks read, so that a reorganisation is noticed
//! (a stored hash no longer matches the chain) and undone by rewinding to
//! the last block both agree on. Persisted after every step, so a restart
//! resumes where it stopped.

use std::{
    collections::VecDeque,
    path::{Path, PathBuf},
};

use alloy::primitives::B256;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// How many recent block hashes are kept: the deepest reorg that is undone
/// exactly. A deeper one rewinds to the oldest kept block minus this depth.
pub const KEPT_HASHES: usize = 128;

/// The worker's position in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The next block to read logs from.
    pub next_block: u64,
    /// Hashes of the last blocks read up to (one per range read), oldest
    /// first.
    pub hashes: VecDeque<(u64, B256)>,
    /// The earliest block holding a request that was still open when last
    /// saved: a restart reads again from there to rebuild what it tracks.
    pub open_from: Option<u64>,
}

impl Cursor {
    /// A cursor that starts reading at `block`.
    pub fn starting_at(block: u64) -> Self {
        Self { next_block: block, hashes: VecDeque::new(), open_from: None }
    }

    /// Records that blocks up to `hash`'s block `number` were read.
    pub fn advance(&mut self, number: u64, hash: B256) {
        // Blocks chain their parents' hashes, so one hash per range read is
        // enough to tell whether anything up to it changed.
        self.hashes.retain(|&(n, _)| n < number);
        self.hashes.push_back((number, hash));
        while self.hashes.len() > KEPT_HASHES {
            self.hashes.pop_front();
        }
        self.next_block = number + 1;
    }

    /// The newest block read, with its hash.
    pub fn last(&self) -> Option<(u64, B256)> {
        self.hashes.back().copied()
    }

    /// Rewinds after a reorg: `canonical(n)` is the chain's hash of block
    /// `n` now. Returns the first block to read again.
    pub fn rewind(&mut self, canonical: impl Fn(u64) -> Option<B256>) -> u64 {
        let oldest = self.hashes.front().map_or(self.next_block, |&(n, _)| n);
        while let Some(&(number, hash)) = self.hashes.back() {
            if canonical(number) == Some(hash) {
                self.next_block = number + 1;
                return self.next_block;
            }
            self.hashes.pop_back();
        }
        // Deeper than the window: read a whole window before it again
        // (reading a block twice is harmless; missing one is not).
        let back = oldest.saturating_sub(KEPT_HASHES as u64);
        self.next_block = back;
        back
    }

    /// Where a restart reads from: the earliest open request's block, or
    /// the next block.
    pub fn resume_block(&self) -> u64 {
        self.open_from.map_or(self.next_block, |b| b.min(self.next_block))
    }
}

/// A cursor file, written atomically (a crash leaves the old or the new one).
#[derive(Debug, Clone)]
pub struct CursorFile {
    path: PathBuf,
}

impl CursorFile {
    /// The cursor file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved cursor, if any.
    pub fn load(&self) -> Result<Option<Cursor>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .with_context(|| format!("{} is not a cursor file", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.path.display())),
        }
    }

    /// Saves `cursor`.
    pub fn save(&self, cursor: &Cursor) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(cursor)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn h(n: u64, fork: u8) -> B256 {
        let mut b = [fork; 32];
        b[..8].copy_from_slice(&n.to_be_bytes());
        B256::from(b)
    }

    #[test]
    fn a_reorg_rewinds_to_the_common_ancestor() {
        let mut c = Cursor::starting_at(10);
        for n in 10..20 {
            c.advance(n, h(n, 0));
        }
        assert_eq!(c.next_block, 20);
        // Blocks 16.. were replaced.
        let chain: HashMap<u64, B256> = (0..25).map(|n| (n, h(n, u8::from(n >= 16)))).collect();
        assert_eq!(c.rewind(|n| chain.get(&n).copied()), 16);
        assert_eq!(c.last(), Some((15, h(15, 0))));
    }

    #[test]
    fn ranges_keep_their_last_hash_and_the_window_is_bounded() {
        let mut c = Cursor::starting_at(0);
        c.advance(5, h(5, 0));
        c.advance(9, h(9, 0));
        assert_eq!(c.hashes.len(), 2);
        // Blocks 7.. replaced: block 5 is the newest known-good point.
        assert_eq!(c.rewind(|n| Some(h(n, u8::from(n >= 7)))), 6);
        for n in 10..(10 + 2 * KEPT_HASHES as u64) {
            c.advance(n, h(n, 0));
        }
        assert_eq!(c.hashes.len(), KEPT_HASHES);
    }

    #[test]
    fn file_round_trip_and_resume_point() {
        let dir = tempfile::tempdir().unwrap();
        let file = CursorFile::new(dir.path().join("state/cursor.json"));
        assert_eq!(file.load().unwrap(), None);
        let mut c = Cursor::starting_at(3);
        c.advance(3, h(3, 1));
        c.open_from = Some(1);
        file.save(&c).unwrap();
        assert_eq!(file.load().unwrap(), Some(c.clone()));
        assert_eq!(c.resume_block(), 1);
        std::fs::write(file.path(), "garbage").unwrap();
        assert!(file.load().is_err());
    }

    proptest! {
        /// Whatever the fork point, rewinding lands just after the last
        /// block both histories share, and never past where it was.
        #[test]
        fn rewind_finds_the_fork(start in 0u64..1000, len in 1u64..200, fork_at in 0u64..250) {
            let mut c = Cursor::starting_at(start);
            for n in start..start + len {
                c.advance(n, h(n, 0));
            }
            let fork = start + fork_at;
            let back = c.rewind(|n| Some(h(n, u8::from(n >= fork))));
            let kept_from = (start + len).saturating_sub(KEPT_HASHES as u64).max(start);
            if fork >= start + len {
                prop_assert_eq!(back, start + len);
            } else if fork > kept_from {
                prop_assert_eq!(back, fork);
            } else {
                prop_assert!(back < kept_from || back == 0);
            }
        }
    }
}
