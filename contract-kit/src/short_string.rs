//! Token names and symbols kept in one storage slot.
//!
//! Constructors take names and symbols as `bytes32`: ASCII text padded on
//! the right with zero bytes, as viem's `stringToHex(text, { size: 32 })` or
//! ethers' `encodeBytes32String` produce. Decoding a Solidity `string`
//! argument costs a contract about 1.6 KB of compressed code (a tenth of a
//! typical budget under Stylus's 24 KB limit); a word costs almost nothing,
//! and one slot is cheaper to read than `StorageString`.

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::B256;
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::StorageB256};

sol! {
    /// A name or symbol that is not ASCII text padded with zero bytes.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidString(bytes32 value);
}

/// A string of at most 32 bytes in one storage slot.
#[storage]
pub struct ShortString {
    word: StorageB256,
}

impl ShortString {
    /// Stores `word` after checking that it is text.
    ///
    /// # Errors
    /// [`InvalidString`] if it is not ASCII padded with zero bytes.
    pub fn set(&mut self, word: B256) -> Result<(), InvalidString> {
        text(&word).ok_or(InvalidString { value: word })?;
        self.word.set(word);
        Ok(())
    }

    /// Reads the stored string.
    pub fn get(&self) -> String {
        text(&self.word.get()).map(String::from).unwrap_or_default()
    }
}

/// The text in `word`: its bytes up to the first zero byte, if they are
/// ASCII and only zero bytes follow.
#[must_use]
pub fn text(word: &B256) -> Option<&str> {
    let len = word.iter().position(|b| *b == 0).unwrap_or(32);
    if word[len..].iter().any(|b| *b != 0) {
        return None;
    }
    let text = &word[..len];
    if !text.is_ascii() {
        return None;
    }
    // SAFETY: ASCII is UTF-8. Checking ASCII rather than UTF-8 spares each
    // contract the UTF-8 validator (~250 bytes compressed); token names and
    // symbols are ASCII in practice.
    Some(unsafe { core::str::from_utf8_unchecked(text) })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn word(bytes: &[u8]) -> B256 {
        let mut w = B256::ZERO;
        w[..bytes.len()].copy_from_slice(bytes);
        w
    }

    #[test]
    fn reads_padded_text() {
        assert_eq!(text(&word(b"Compute Credits")), Some("Compute Credits"));
        assert_eq!(text(&B256::ZERO), Some(""));
        assert_eq!(text(&B256::repeat_byte(b'a')), Some("a".repeat(32).as_str()));
    }

    #[test]
    fn rejects_what_is_not_padded_ascii() {
        assert_eq!(text(&word(&[0xff, 0xfe])), None);
        assert_eq!(text(&word(b"ab\0c")), None);
        assert_eq!(text(&word("Café".as_bytes())), None, "UTF-8 beyond ASCII");
    }

    proptest! {
        #[test]
        fn round_trips(s in "[ -~]{0,32}") {
            prop_assume!(s.len() <= 32 && !s.contains('\0'));
            let w = word(s.as_bytes());
            prop_assert_eq!(text(&w), Some(s.as_str()));
        }
    }
}
