//! The history of one number: checkpoints `(time, value)`, one storage slot
//! each (48-bit time above a 208-bit value, as `OpenZeppelin`'s `Trace208`
//! packs them), sorted by time, several changes in one second sharing one.
//! Kept here rather than taken from `openzeppelin-stylus`: its generic
//! `Trace` cost a key collection 7 KB of its 24 KB (measured with `cargo
//! xtask wasm`), this one a fraction of that.

use alloc::{vec, vec::Vec};

use alloy_primitives::U256;
use stylus_sdk::{prelude::*, storage::StorageU256, storage::StorageVec};

use super::{CheckpointUnorderedInsertion, VotesError};

/// Bits of a checkpoint's value.
const VALUE_BITS: usize = 208;

/// The largest value a checkpoint holds.
pub(super) fn max_value() -> U256 {
    (U256::from(1) << VALUE_BITS) - U256::from(1)
}

fn pack(time: u64, value: U256) -> U256 {
    (U256::from(time) << VALUE_BITS) | value.min(max_value())
}

fn unpack(word: U256) -> (u64, U256) {
    let time: u64 = (word >> VALUE_BITS).saturating_to();
    (time, word & max_value())
}

/// Checkpoints of one number.
#[storage]
pub struct History {
    points: StorageVec<StorageU256>,
}

impl History {
    /// The value now (zero before the first checkpoint).
    pub fn latest(&self) -> U256 {
        let len = self.points.len();
        if len == 0 {
            return U256::ZERO;
        }
        self.points.get(len - 1).map_or(U256::ZERO, |w| unpack(w).1)
    }

    /// The value at the end of second `time`: that of the last checkpoint at
    /// or before it (binary search).
    pub fn at(&self, time: u64) -> U256 {
        let (mut low, mut high) = (0, self.points.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let point_time = self.points.get(mid).map_or(u64::MAX, |w| unpack(w).0);
            if point_time > time {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        if high == 0 {
            return U256::ZERO;
        }
        self.points.get(high - 1).map_or(U256::ZERO, |w| unpack(w).1)
    }

    /// Changes the value by `change` from second `time` on; returns the
    /// value before and after.
    ///
    /// # Errors
    /// [`CheckpointUnorderedInsertion`] when `time` is before the last
    /// checkpoint.
    pub fn update(
        &mut self,
        time: u64,
        change: impl FnOnce(U256) -> U256,
    ) -> Result<(U256, U256), VotesError> {
        let latest = self.latest();
        self.push(time, change(latest))
    }

    /// Sets the value to `value` from second `time` on; returns the value
    /// before and after (capped at 208 bits).
    ///
    /// # Errors
    /// [`CheckpointUnorderedInsertion`] when `time` is before the last
    /// checkpoint.
    pub fn push(&mut self, time: u64, value: U256) -> Result<(U256, U256), VotesError> {
        let value = value.min(max_value());
        let len = self.points.len();
        if len > 0 {
            let (last_time, last_value) = self.points.get(len - 1).map_or((0, U256::ZERO), unpack);
            if time < last_time {
                return Err(VotesError::Unordered(CheckpointUnorderedInsertion {}));
            }
            if time == last_time {
                if let Some(mut slot) = self.points.setter(len - 1) {
                    slot.set(pack(time, value));
                }
                return Ok((last_value, value));
            }
            self.points.push(pack(time, value));
            return Ok((last_value, value));
        }
        self.points.push(pack(time, value));
        Ok((U256::ZERO, value))
    }
}
