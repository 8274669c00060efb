//! The provider's keys: the signing key (its account on chain) and the
//! X25519 secret that opens sealed prompts. From the environment or files,
//! never from the command line or the config file in clear.

use std::path::Path;

use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context, Result};
use sealing::Keypair;

/// The variable holding the hex signing key.
pub const SIGNING_KEY_VAR: &str = "COMPUTEFI_WORKER_KEY";
/// The variable holding the hex X25519 secret.
pub const SEAL_KEY_VAR: &str = "COMPUTEFI_WORKER_SEAL_KEY";

fn read_secret(file: Option<&Path>, var: &str) -> Result<Option<String>> {
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(Some(text.trim().to_owned()));
    }
    Ok(std::env::var(var).ok())
}

/// The signing key from `file` or [`SIGNING_KEY_VAR`].
pub fn signing_key(file: Option<&Path>) -> Result<PrivateKeySigner> {
    let Some(hex) = read_secret(file, SIGNING_KEY_VAR)? else {
        bail!("set {SIGNING_KEY_VAR} or keys.signing_key_file");
    };
    hex.parse().map_err(|_| anyhow::anyhow!("the signing key is not 32 bytes of hex"))
}

/// The X25519 key from `file` or [`SEAL_KEY_VAR`], if any.
pub fn seal_key(file: Option<&Path>) -> Result<Option<Keypair>> {
    let Some(hex) = read_secret(file, SEAL_KEY_VAR)? else { return Ok(None) };
    let bytes = alloy::primitives::hex::decode(hex.trim())
        .map_err(|_| anyhow::anyhow!("the seal key is not hex"))?;
    let seed: [u8; 32] =
        bytes.try_into().map_err(|_| anyhow::anyhow!("the seal key is not 32 bytes"))?;
    Ok(Some(Keypair::from_seed(&seed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_files_and_bad_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, format!("{}\n", "11".repeat(32))).unwrap();
        assert!(signing_key(Some(&path)).is_ok());
        let seal = seal_key(Some(&path)).unwrap().unwrap();
        assert_eq!(seal.public_key(), Keypair::from_seed(&[0x11; 32]).public_key());
        std::fs::write(&path, "zz").unwrap();
        let err = signing_key(Some(&path)).unwrap_err().to_string();
        assert!(!err.contains("zz"), "the error must not echo the key: {err}");
        assert!(seal_key(Some(&path)).is_err());
        std::fs::write(&path, "11").unwrap();
        assert!(seal_key(Some(&path)).is_err());
    }
}
