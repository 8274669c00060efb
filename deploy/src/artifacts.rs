//! The programs to deploy: the project's Stylus contracts as
//! `cargo xtask wasm` builds and checks them (`target/stylus/<name>.code`),
//! and the EVM test doubles used on development chains.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use alloy::primitives::{hex, Bytes};
use anyhow::{bail, Context, Result};

/// Every Stylus program the deploy uses.
pub const PROGRAMS: [&str; 12] = [
    "compute-credits",
    "inference-registry",
    "inference-access",
    "oracle-bridge",
    "inference-sessions",
    "token-bound-account",
    "erc6551-registry",
    "ai-nft",
    "agent-permissions",
    "ai-parking",
    "key-nft",
    "vault",
];

/// Init code of the development chain's asset: an ERC-20 anyone can mint
/// (a test double, from `fixtures/TestDoubles.sol`).
pub const TEST_TOKEN: &str = include_str!("../../fixtures/TestToken.bin");
/// Init code (without its constructor argument) of the development chain's
/// yield source: an ERC-4626 whose gains are simulated (a test double).
pub const TEST_YIELD_SOURCE: &str = include_str!("../../fixtures/TestYieldSource.bin");

/// Decodes one of the test doubles' hex init codes.
pub fn test_double(hex_text: &str) -> Result<Vec<u8>> {
    hex::decode(hex_text.trim()).context("a test double's init code is not hex")
}

/// Where the built programs are.
#[derive(Debug, Clone)]
pub struct Artifacts {
    root: PathBuf,
}

impl Artifacts {
    /// The artifacts of the repository at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The repository this binary was built from.
    pub fn from_build() -> Self {
        Self::new(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
    }

    fn code_path(&self, program: &str) -> PathBuf {
        self.root.join("target/stylus").join(format!("{program}.code"))
    }

    /// The programs whose built code is missing.
    pub fn missing(&self) -> Vec<&'static str> {
        PROGRAMS.into_iter().filter(|p| !self.code_path(p).is_file()).collect()
    }

    /// Builds and checks every program with `cargo xtask wasm` (which
    /// installs the WASM toolchain when it is missing).
    pub fn build(&self) -> Result<()> {
        let status = Command::new("cargo")
            .args(["xtask", "wasm"])
            .current_dir(&self.root)
            .status()
            .context("running `cargo xtask wasm`")?;
        if !status.success() {
            bail!("`cargo xtask wasm` failed ({status})");
        }
        Ok(())
    }

    /// Builds when asked to or when a program is missing.
    pub fn ensure_built(&self, force: bool) -> Result<()> {
        let missing = self.missing();
        if force || !missing.is_empty() {
            if !missing.is_empty() {
                tracing::info!(?missing, "building the contracts");
            }
            self.build()?;
        }
        let missing = self.missing();
        if !missing.is_empty() {
            bail!("`cargo xtask wasm` did not produce {missing:?}");
        }
        Ok(())
    }

    /// The deployed code of `program` (`EF F0 00 00` + brotli WASM).
    pub fn deployed_code(&self, program: &str) -> Result<Bytes> {
        let path = self.code_path(program);
        let code = std::fs::read(&path).with_context(|| {
            format!("{}: build the contracts with `cargo xtask wasm`", path.display())
        })?;
        if !code.starts_with(&[0xEF, 0xF0, 0x00]) {
            bail!("{} is not Stylus code", path.display());
        }
        Ok(code.into())
    }

    /// Init code that deploys a program's deployed `code`.
    pub fn init_code(code: &[u8]) -> Bytes {
        stylus_check::init_code(code).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_doubles_decode() {
        assert!(test_double(TEST_TOKEN).unwrap().len() > 100);
        assert!(test_double(TEST_YIELD_SOURCE).unwrap().len() > 100);
        assert!(test_double("zz").is_err());
    }

    #[test]
    fn non_stylus_code_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("target/stylus")).unwrap();
        std::fs::write(dir.path().join("target/stylus/vault.code"), [0x60, 0x00]).unwrap();
        let artifacts = Artifacts::new(dir.path());
        assert!(artifacts.deployed_code("vault").is_err());
        assert!(artifacts.deployed_code("ledger").is_err());
        assert!(artifacts.missing().contains(&"oracle-bridge"));
    }
}
