//! Block time: wall-clock time shifted by `evm_increaseTime` and pinned by
//! `evm_setNextBlockTimestamp`.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The devnode's notion of "now" for new blocks.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Clock {
    /// Seconds added to wall-clock time (negative after pinning a past timestamp).
    offset: i64,
    /// A timestamp the next block must have, set by `evm_setNextBlockTimestamp`.
    next: Option<u64>,
}

impl Clock {
    /// Wall-clock seconds since the Unix epoch (0 if the system clock is before it).
    pub fn wall_now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    /// Moves time forward by `seconds` and returns the total offset.
    pub fn increase(&mut self, seconds: u64) -> i64 {
        self.offset = self.offset.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
        self.offset
    }

    /// Pins the timestamp of the next block.
    pub fn set_next(&mut self, timestamp: u64) {
        self.next = Some(timestamp);
    }

    /// The timestamp for a block on top of a parent with `parent_timestamp`.
    ///
    /// A pinned timestamp is used once and becomes the new "now", so later
    /// blocks continue from it (as anvil and hardhat do). Timestamps never go
    /// backwards, because contracts assume monotonic time.
    pub fn next_timestamp(&mut self, parent_timestamp: u64) -> u64 {
        let now = Self::wall_now();
        if let Some(pinned) = self.next.take() {
            self.offset = to_i64(pinned).saturating_sub(to_i64(now));
            return pinned.max(parent_timestamp);
        }
        let shifted = to_i64(now).saturating_add(self.offset);
        u64::try_from(shifted).unwrap_or(0).max(parent_timestamp)
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
