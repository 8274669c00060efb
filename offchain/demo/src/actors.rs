//! The people of the demo: the community's founder (deploys everything
//! and owns the AI), 20 members, and a GPU operator.

use alloy::{
    network::EthereumWallet,
    primitives::{keccak256, Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use anyhow::{Context, Result};

/// One account with its own wallet-backed provider.
pub(crate) struct Actor {
    /// Its address.
    pub(crate) address: Address,
    /// Its key.
    pub(crate) signer: PrivateKeySigner,
    /// A provider that signs as it.
    pub(crate) provider: DynProvider,
}

impl Actor {
    /// An actor with `signer` on the node at `url`.
    pub(crate) fn new(url: &str, signer: PrivateKeySigner) -> Result<Self> {
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(url.parse().context("node URL")?)
            .erased();
        Ok(Self { address: signer.address(), signer, provider })
    }

    /// Member `i`: a key derived from its index (a demo, not a wallet).
    pub(crate) fn member(url: &str, i: usize) -> Result<Self> {
        let seed = keccak256(format!("compute-fi demo member {i}"));
        Self::new(url, PrivateKeySigner::from_bytes(&seed)?)
    }
}

/// Gives `who` `eth` ether for gas (a development method).
pub(crate) async fn fund_gas(node: &DynProvider, who: Address, eth: u64) -> Result<()> {
    let wei = U256::from(eth) * U256::from(10u64.pow(18));
    let _: serde_json::Value = node
        .raw_request("anvil_setBalance".into(), serde_json::json!([who, wei]))
        .await
        .context("anvil_setBalance")?;
    Ok(())
}
