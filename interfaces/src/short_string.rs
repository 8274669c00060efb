//! Token names and symbols kept in one storage slot.
//!
//! `StorageString` handles strings of any length, which costs a keccak and a
//! loop per read and about a kilobyte of compressed code per contract. Names
//! and symbols fit in 31 bytes, so, like Solidity's `ShortStrings`, they are
//! stored in one word: the bytes, then the length in the last byte.

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::B256;
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::StorageB256};

/// Longest string a [`ShortString`] holds, in bytes.
pub const MAX_LEN: usize = 31;

sol! {
    /// A name or symbol of `length` bytes is longer than `max`.
    #[derive(Debug, PartialEq, Eq)]
    error StringTooLong(uint256 length, uint256 max);
}

/// A string of at most [`MAX_LEN`] bytes in one storage slot.
#[storage]
pub struct ShortString {
    word: StorageB256,
}

impl ShortString {
    /// Stores `value`.
    ///
    /// # Errors
    /// [`StringTooLong`] above [`MAX_LEN`] bytes.
    pub fn set(&mut self, value: impl AsRef<str>) -> Result<(), StringTooLong> {
        self.word.set(encode(value.as_ref())?);
        Ok(())
    }

    /// Reads the stored string.
    pub fn get(&self) -> String {
        decode(&self.word.get())
    }
}

/// Packs `value` and its length into one word.
///
/// # Errors
/// [`StringTooLong`] above [`MAX_LEN`] bytes.
pub fn encode(value: &str) -> Result<B256, StringTooLong> {
    let bytes = value.as_bytes();
    if bytes.len() > MAX_LEN {
        return Err(StringTooLong {
            length: alloy_primitives::U256::from(bytes.len()),
            max: alloy_primitives::U256::from(MAX_LEN),
        });
    }
    let mut word = B256::ZERO;
    word[..bytes.len()].copy_from_slice(bytes);
    #[allow(clippy::cast_possible_truncation)] // at most 31
    {
        word[MAX_LEN] = bytes.len() as u8;
    }
    Ok(word)
}

/// Unpacks a word written by [`encode`]; a word that `encode` did not write
/// and that is not UTF-8 comes back empty.
#[must_use]
pub fn decode(word: &B256) -> String {
    let len = usize::from(word[MAX_LEN]).min(MAX_LEN);
    String::from_utf8(word[..len].to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rejects_long_strings() {
        assert!(encode(&"x".repeat(31)).is_ok());
        let err = encode(&"x".repeat(32)).unwrap_err();
        assert_eq!(err.length, alloy_primitives::U256::from(32));
    }

    proptest! {
        #[test]
        fn round_trips(s in "\\PC{0,10}") {
            prop_assume!(s.len() <= MAX_LEN);
            prop_assert_eq!(decode(&encode(&s).unwrap()), s);
        }
    }
}
