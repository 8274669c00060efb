//! The tokenizer, built from the GGUF's own metadata.
//!
//! A GGUF carries its vocabulary, BPE merges and special tokens
//! (`tokenizer.ggml.*`), so the model file alone is enough: no separate
//! `tokenizer.json` to download or keep in step with the weights. Only
//! GPT-2 style byte-level BPE (`tokenizer.ggml.model = "gpt2"`) is built
//! here, with the pre-tokenizers whose split rules are known exactly.

use std::path::Path;

use candle_core::quantized::gguf_file;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, Tokenizer};

use crate::gguf_meta::{self, Metadata};
use crate::Error;

/// llama.cpp's token type for control tokens (`<|im_end|>` and the like).
const TOKEN_TYPE_CONTROL: i128 = 3;
/// llama.cpp's token type for user-defined tokens, matched whole in text.
const TOKEN_TYPE_USER_DEFINED: i128 = 4;

/// A byte-level BPE tokenizer reconstructed from GGUF metadata.
#[derive(Clone)]
pub struct GgufTokenizer {
    inner: Tokenizer,
    eos: u32,
}

impl std::fmt::Debug for GgufTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufTokenizer")
            .field("vocab_size", &self.inner.get_vocab_size(true))
            .field("eos", &self.eos)
            .finish_non_exhaustive()
    }
}

/// The pieces of a tokenizer as a GGUF stores them.
pub(crate) struct TokenizerParts<'a> {
    /// `tokenizer.ggml.pre`: which split rules come before BPE.
    pub(crate) pre: &'a str,
    /// Tokens in id order.
    pub(crate) tokens: Vec<&'a str>,
    /// llama.cpp token types, one per token (empty: all normal).
    pub(crate) types: Vec<i128>,
    /// Merges as `"left right"`, highest priority first.
    pub(crate) merges: Vec<&'a str>,
    /// End-of-sequence token id.
    pub(crate) eos: u32,
}

impl GgufTokenizer {
    /// Reads the tokenizer from a GGUF file's header (not its weights).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let io = |source| Error::Io { path: path.to_owned(), source };
        let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        let content = gguf_file::Content::read(&mut file)
            .map_err(Error::candle("reading the GGUF header"))?;
        Self::from_metadata(&content.metadata)
    }

    /// Builds the tokenizer from a GGUF's metadata.
    pub(crate) fn from_metadata(meta: &Metadata) -> Result<Self, Error> {
        let model = gguf_meta::string(meta, "tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(Error::model(
                "tokenizer.ggml.model",
                format!("{model:?} is not supported (only byte-level BPE, \"gpt2\")"),
            ));
        }
        let types = if meta.contains_key("tokenizer.ggml.token_type") {
            gguf_meta::integers(meta, "tokenizer.ggml.token_type")?
        } else {
            Vec::new()
        };
        Self::from_parts(&TokenizerParts {
            pre: gguf_meta::optional_string(meta, "tokenizer.ggml.pre")?.unwrap_or("default"),
            tokens: gguf_meta::strings(meta, "tokenizer.ggml.tokens")?,
            types,
            merges: gguf_meta::strings(meta, "tokenizer.ggml.merges")?,
            eos: gguf_meta::uint(meta, "tokenizer.ggml.eos_token_id")?,
        })
    }

    /// Builds the tokenizer from its parts (also how tests build small ones).
    pub(crate) fn from_parts(parts: &TokenizerParts<'_>) -> Result<Self, Error> {
        let pre_tokenizer = pre_tokenizer(parts.pre)?;
        if !parts.types.is_empty() && parts.types.len() != parts.tokens.len() {
            return Err(Error::model(
                "tokenizer.ggml.token_type",
                format!("{} types for {} tokens", parts.types.len(), parts.tokens.len()),
            ));
        }
        let eos_index = usize::try_from(parts.eos).unwrap_or(usize::MAX);
        if eos_index >= parts.tokens.len() {
            return Err(Error::model(
                "tokenizer.ggml.eos_token_id",
                format!("{} is outside the vocabulary of {}", parts.eos, parts.tokens.len()),
            ));
        }
        let bpe = bpe(&parts.tokens, &parts.merges)?;
        let mut inner = Tokenizer::new(bpe);
        inner
            .with_pre_tokenizer(Some(pre_tokenizer))
            .with_decoder(Some(ByteLevelDecoder::default()));
        // Control tokens are matched whole in text (the chat template writes
        // `<|im_start|>` as text) and dropped when decoding an answer.
        let added =
            parts.types.iter().zip(&parts.tokens).filter_map(|(&kind, &token)| match kind {
                TOKEN_TYPE_CONTROL => Some(AddedToken::from(token, true)),
                TOKEN_TYPE_USER_DEFINED => Some(AddedToken::from(token, false)),
                _ => None,
            });
        inner.add_special_tokens(added.collect::<Vec<_>>()).map_err(tokenizer_error)?;
        Ok(Self { inner, eos: parts.eos })
    }

    /// Token ids of `text`; special tokens written in it (`<|im_start|>`)
    /// become their ids, as the chat template expects.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, Error> {
        let encoding = self.inner.encode_fast(text, false).map_err(tokenizer_error)?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Text of `ids`, with special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, Error> {
        self.inner.decode(ids, true).map_err(tokenizer_error)
    }

    /// The id of a token written exactly as in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The end-of-sequence token id the GGUF names.
    pub fn eos_token_id(&self) -> u32 {
        self.eos
    }

    /// Tokens in the vocabulary, special tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}

/// The split rules llama.cpp applies for a `tokenizer.ggml.pre` name.
fn pre_tokenizer(pre: &str) -> Result<Sequence, Error> {
    // GPT-2's pattern, which ByteLevel applies with `use_regex`: the same
    // as llama.cpp's for these names.
    let byte_level: PreTokenizerWrapper = ByteLevel::new(false, true, true).into();
    let steps = match pre {
        "gpt2" | "default" => vec![byte_level],
        // SmolLM: every digit on its own (llama.cpp's "\p{N}"), then GPT-2.
        "smollm" => vec![Digits::new(true).into(), byte_level],
        other => {
            return Err(Error::model(
                "tokenizer.ggml.pre",
                format!("pre-tokenizer {other:?} is not supported (known: smollm, gpt2)"),
            ))
        }
    };
    Ok(Sequence::new(steps))
}

fn bpe(tokens: &[&str], merges: &[&str]) -> Result<BPE, Error> {
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(id, token)| Ok(((*token).to_owned(), u32::try_from(id).map_err(too_many)?)))
        .collect::<Result<_, Error>>()?;
    let merges = merges
        .iter()
        .enumerate()
        .map(|(i, merge)| {
            // Byte-level tokens never hold a plain space (it is `Ġ`), so the
            // one space in a merge separates its two halves.
            merge.split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned())).ok_or_else(|| {
                Error::model("tokenizer.ggml.merges", format!("merge {i} {merge:?} has no space"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    BPE::builder().vocab_and_merges(vocab, merges).build().map_err(|e| {
        Error::model("tokenizer.ggml.merges", format!("merges do not fit the vocabulary: {e}"))
    })
}

fn too_many(_: std::num::TryFromIntError) -> Error {
    Error::model("tokenizer.ggml.tokens", "more tokens than u32 ids")
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(tokenizer_error)`
fn tokenizer_error(err: tokenizers::Error) -> Error {
    Error::Tokenizer(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny byte-level vocabulary: single bytes as GPT-2 writes them
    /// (`Ġ` is the space), a few merges, and two control tokens.
    fn tiny() -> GgufTokenizer {
        let tokens = vec!["<|end|>", "<|start|>", "a", "b", "1", "2", "Ġ", "ab", "Ġab", "12"];
        let types = vec![3, 3, 1, 1, 1, 1, 1, 1, 1, 1];
        GgufTokenizer::from_parts(&TokenizerParts {
            pre: "smollm",
            tokens,
            types,
            merges: vec!["a b", "Ġ ab", "1 2"],
            eos: 0,
        })
        .unwrap()
    }

    #[test]
    fn merges_apply_and_specials_are_matched_whole() {
        let t = tiny();
        assert_eq!(t.encode("ab ab").unwrap(), [7, 8]);
        assert_eq!(t.encode("<|start|>ab<|end|>").unwrap(), [1, 7, 0]);
    }

    #[test]
    fn smollm_splits_digits_one_by_one() {
        // "12" is a merge, but the digit split comes first, as in llama.cpp.
        assert_eq!(tiny().encode("12").unwrap(), [4, 5]);
    }

    #[test]
    fn gpt2_keeps_digits_together() {
        let t = GgufTokenizer::from_parts(&TokenizerParts {
            pre: "gpt2",
            tokens: vec!["<|end|>", "1", "2", "12"],
            types: vec![],
            merges: vec!["1 2"],
            eos: 0,
        })
        .unwrap();
        assert_eq!(t.encode("12").unwrap(), [3]);
    }

    #[test]
    fn decode_drops_specials_and_undoes_byte_level() {
        let t = tiny();
        assert_eq!(t.decode(&[1, 7, 8, 0]).unwrap(), "ab ab");
    }

    #[test]
    fn unsupported_or_inconsistent_metadata_is_an_error() {
        let base = || TokenizerParts {
            pre: "smollm",
            tokens: vec!["a", "b"],
            types: vec![],
            merges: vec![],
            eos: 0,
        };
        let cases = [
            (TokenizerParts { pre: "llama3", ..base() }, "llama3"),
            (TokenizerParts { eos: 5, ..base() }, "eos_token_id"),
            (TokenizerParts { types: vec![1], ..base() }, "1 types for 2 tokens"),
            (TokenizerParts { merges: vec!["ab"], ..base() }, "no space"),
        ];
        for (parts, expected) in cases {
            let err = GgufTokenizer::from_parts(&parts).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }
}
