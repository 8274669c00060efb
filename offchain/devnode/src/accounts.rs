//! The funded development accounts and their keys.

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};

/// The mnemonic anvil and hardhat fund, so wallets and scripts already know its keys.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// The key nitro-devnode funds (address 0x3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E);
/// Stylus tutorials and cargo-stylus examples use it.
pub const NITRO_DEV_KEY: B256 =
    alloy_primitives::b256!("b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659");

/// One wei-denominated ether.
const ETHER: u64 = 1_000_000_000_000_000_000;

/// A funded account whose private key is printed at start.
#[derive(Clone, Debug)]
pub struct DevAccount {
    /// The account's address.
    pub address: Address,
    /// The account's secp256k1 private key.
    pub key: B256,
}

impl DevAccount {
    fn from_signer(signer: &PrivateKeySigner) -> Self {
        Self { address: signer.address(), key: signer.to_bytes() }
    }
}

/// The first `count` accounts of [`DEV_MNEMONIC`] (path `m/44'/60'/0'/0/i`)
/// followed by the nitro-devnode account.
pub fn dev_accounts(count: usize) -> anyhow::Result<Vec<DevAccount>> {
    let mut accounts = Vec::with_capacity(count + 1);
    for index in 0..count {
        let index = u32::try_from(index)?;
        let signer = MnemonicBuilder::try_from_phrase_nth(DEV_MNEMONIC, index)?;
        accounts.push(DevAccount::from_signer(&signer));
    }
    let nitro = PrivateKeySigner::from_bytes(&NITRO_DEV_KEY)?;
    accounts.push(DevAccount::from_signer(&nitro));
    Ok(accounts)
}

/// `eth` whole ether in wei.
pub fn ether(eth: u64) -> U256 {
    U256::from(eth) * U256::from(ETHER)
}
