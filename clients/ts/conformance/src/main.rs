//! `sealing-conformance`: the Rust `sealing` crate on the command line, for
//! the TypeScript client's cross-language check. Bytes are 0x-hex.
//!
//! ```text
//! public-key <seed>                                         -> public key
//! seal prompt <public key> <chain id> <bridge> <model> <plaintext>  -> sealed
//! seal answer <public key> <chain id> <bridge> <id> <plaintext>     -> sealed
//! open prompt <seed> <chain id> <bridge> <model> <sealed>           -> plaintext
//! open answer <seed> <chain id> <bridge> <id> <sealed>              -> plaintext
//! ```
//! A failure prints the reason on stderr and exits with 1.

use std::fmt::Write as _;

use sealing::{Context, Keypair, Purpose};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("sealing-conformance {}: {e}", args.join(" "));
            std::process::exit(1);
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["public-key", seed] => Ok(hex(&Keypair::from_seed(&array(seed)?).public_key())),
        ["seal", purpose, key, chain, bridge, at, plain] => {
            let (purpose, context) = place(purpose, chain, bridge, at)?;
            sealing::seal(&array(key)?, purpose, &context, &unhex(plain)?)
                .map(|s| hex(&s))
                .map_err(|e| e.to_string())
        }
        ["open", purpose, seed, chain, bridge, at, sealed] => {
            let (purpose, context) = place(purpose, chain, bridge, at)?;
            Keypair::from_seed(&array(seed)?)
                .open(purpose, &context, &unhex(sealed)?)
                .map(|p| hex(&p))
                .map_err(|e| e.to_string())
        }
        _ => Err("usage: public-key SEED | seal PURPOSE KEY CHAIN BRIDGE MODEL|ID PLAIN | open PURPOSE SEED CHAIN BRIDGE MODEL|ID SEALED".into()),
    }
}

/// The purpose and the context (prompt: model; answer: request id).
fn place(purpose: &str, chain: &str, bridge: &str, at: &str) -> Result<(Purpose, Context), String> {
    let chain: u64 = chain.parse().map_err(|e| format!("chain id {chain}: {e}"))?;
    let bridge: [u8; 20] = array(bridge)?;
    match purpose {
        "prompt" => {
            let model = at.parse().map_err(|e| format!("model {at}: {e}"))?;
            Ok((Purpose::Prompt, Context::prompt(chain, bridge, model)))
        }
        "answer" => {
            let id = at.parse().map_err(|e| format!("request id {at}: {e}"))?;
            Ok((Purpose::Answer, Context::answer(chain, bridge, id)))
        }
        other => Err(format!("purpose {other:?}: prompt or answer")),
    }
}

fn array<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let bytes = unhex(text)?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("{text}: {} bytes, expected {N}", b.len()))
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.strip_prefix("0x").ok_or_else(|| format!("{text}: no 0x prefix"))?;
    if digits.len() % 2 != 0 {
        return Err(format!("{text}: odd number of hex digits"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| format!("{text}: {e}")))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::from("0x"), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
