//! The deploying key: from the environment or a keystore file, never from
//! the command line (where shell history and `ps` would show it).

use std::path::Path;

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result};

/// The variable holding a hex private key.
pub const KEY_VAR: &str = "COMPUTEFI_PRIVATE_KEY";
/// The variable holding a keystore file's password.
pub const PASSWORD_VAR: &str = "COMPUTEFI_KEYSTORE_PASSWORD";

/// The key of the Arbitrum nitro-devnode's funded development account
/// (published by Offchain Labs; the devnode funds it too). Only ever used
/// when asked for with `--dev-key` on a development chain.
pub const DEV_KEY: &str = "0xb6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659";

/// Loads the key from `keystore` (password from [`PASSWORD_VAR`]) or from
/// [`KEY_VAR`].
pub fn load(keystore: Option<&Path>) -> Result<PrivateKeySigner> {
    if let Some(path) = keystore {
        let password = std::env::var(PASSWORD_VAR)
            .with_context(|| format!("set {PASSWORD_VAR} to open {}", path.display()))?;
        return PrivateKeySigner::decrypt_keystore(path, password)
            .with_context(|| format!("opening keystore {}", path.display()));
    }
    let key = std::env::var(KEY_VAR)
        .with_context(|| format!("set {KEY_VAR} (hex private key) or pass --keystore FILE"))?;
    parse(&key)
}

/// Parses a hex private key without echoing it in the error.
pub fn parse(key: &str) -> Result<PrivateKeySigner> {
    key.trim().parse().map_err(|_| anyhow::anyhow!("the private key is not 32 bytes of hex"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_is_the_published_account() {
        let signer = parse(DEV_KEY).unwrap();
        assert_eq!(
            signer.address(),
            "0x3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E"
                .parse::<alloy::primitives::Address>()
                .unwrap()
        );
    }

    #[test]
    fn bad_key_error_does_not_echo_it() {
        let err = parse("0x1234secret").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
