//! Becoming a provider: bond in the registry's asset, publish the X25519
//! key for sealed prompts and the endpoint, and serve the model. Each step
//! is skipped when the chain shows it done.

use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
    sol_types::SolCall,
};
use anyhow::{Context, Result};
use bindings::{IInferenceRegistry, IOracleBridge, IERC20};

use crate::txm::TxManager;

/// Registers `txm`'s account as a provider of `model` on `bridge`'s
/// registry with `bond` (approving it first), `seal_key` and `endpoint`.
pub async fn register(
    reader: &DynProvider,
    txm: &TxManager,
    bridge: Address,
    model: u32,
    bond: U256,
    seal_key: B256,
    endpoint: &str,
) -> Result<()> {
    let registry = IOracleBridge::new(bridge, reader)
        .wiring()
        .call()
        .await
        .context("reading the bridge's wiring")?
        .registry;
    let reg = IInferenceRegistry::new(registry, reader);
    let asset = reg.wiring().call().await.context("reading the registry's wiring")?.asset;
    let me = txm.from();
    let provider = IInferenceRegistry::providerCall { provider: me };
    let record = reg.call_builder(&provider).call().await.context("reading the provider record")?;
    if record.bond.is_zero() {
        let approve = IERC20::approveCall { spender: registry, amount: bond };
        txm.send(asset, approve.abi_encode().into(), "approve the bond").await?;
        let call = IInferenceRegistry::registerProviderCall {
            bond,
            key: seal_key,
            endpoint: endpoint.to_owned(),
        };
        txm.send(registry, call.abi_encode().into(), "register as provider").await?;
    } else if record.key != seal_key {
        let call = IInferenceRegistry::setProviderKeyCall { key: seal_key };
        txm.send(registry, call.abi_encode().into(), "publish the seal key").await?;
    }
    if !reg.isEligible(me, model).call().await? {
        let call = IInferenceRegistry::setServingCall { model, serving: true };
        txm.send(registry, call.abi_encode().into(), "serve the model").await?;
    }
    Ok(())
}
