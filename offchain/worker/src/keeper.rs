//! The keeper: harvests every vault it watches when the harvest's tip pays
//! for its gas times a margin, and claims the credits of the members it
//! serves, so that "the yield gets collected periodically" has someone to
//! do it.
//!
//! Each round reads a vault's `state()`, `undelivered()` and `params()`,
//! works out the tip a harvest would pay now (the tips the vault holds from
//! yield shared out before deposits, withdrawals and transfers, plus its
//! `tipBps` of the surplus, at most `maxTip` in all), estimates the
//! harvest's gas at the node's gas price, and
//! harvests only when `tip >= gas * price * margin`. A harvest it skips is
//! counted with why. Members named with `claim_for` get `claim(member)` sent
//! whenever they have credits waiting (claims pay no tip: the keeper's
//! operator pays that gas as a service to its community).

use std::{sync::Arc, time::Duration};

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use anyhow::{Context, Result};
use bindings::IVault;
use tokio::sync::watch;

use crate::{
    metrics::{Metrics, Outcome},
    txm::TxManager,
};

/// Basis points in one whole.
const BPS: u64 = 10_000;

/// What the keeper watches and how careful it is with gas.
#[derive(Debug, Clone)]
pub struct KeeperConfig {
    /// The vaults to harvest.
    pub vaults: Vec<Address>,
    /// Members whose waiting credits are claimed in every vault.
    pub claim_for: Vec<Address>,
    /// How much the tip must exceed the harvest's gas cost, in basis points
    /// of it (15,000: the tip must be 1.5 times the cost).
    pub margin_bps: u32,
}

/// What the keeper does with one vault in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Harvest: the tip covers the cost times the margin.
    Harvest {
        /// The tip the harvest pays now.
        tip: U256,
        /// The harvest's gas cost at the current price.
        cost: U256,
    },
    /// Skip: nothing to harvest, or the tip does not pay for the gas.
    Skip {
        /// The tip the harvest would pay now.
        tip: U256,
        /// The harvest's gas cost at the current price.
        cost: U256,
    },
}

/// The tip a harvest pays with the vault's parameters: the tips `held`
/// already, plus `tip_bps` of `surplus` rounded down, at most `max_tip` in
/// all (the vault's own rule; the surplus it reports already keeps back
/// what it does not skim). For a rate-token vault the surplus is in the
/// unit of account and its tip in tokens, so this is an upper bound.
pub fn expected_tip(surplus: U256, held: U256, tip_bps: u16, max_tip: U256) -> U256 {
    let fresh = surplus.saturating_mul(U256::from(tip_bps)) / U256::from(BPS);
    held.saturating_add(fresh.min(max_tip.saturating_sub(held)))
}

/// Whether a harvest paying `tip` is worth `gas` at `gas_price` with
/// `margin_bps`.
pub fn decide(tip: U256, gas: u64, gas_price: u128, margin_bps: u32) -> Decision {
    let cost = U256::from(gas).saturating_mul(U256::from(gas_price));
    let needed = cost.saturating_mul(U256::from(margin_bps)) / U256::from(BPS);
    if !tip.is_zero() && tip >= needed {
        Decision::Harvest { tip, cost }
    } else {
        Decision::Skip { tip, cost }
    }
}

/// The keeper: a reader, a transaction manager and what to watch.
pub struct Keeper {
    reader: DynProvider,
    txm: TxManager,
    config: KeeperConfig,
    metrics: Arc<Metrics>,
}

impl Keeper {
    /// A keeper sending with `txm` and reading with `reader`.
    pub fn new(
        reader: DynProvider,
        txm: TxManager,
        config: KeeperConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self { reader, txm, config, metrics }
    }

    /// One round over every vault: harvest where it pays, then claim.
    /// Returns each vault's decision (an error for a vault that could not
    /// be read or harvested; the others still get their turn).
    pub async fn round(&self) -> Vec<(Address, Result<Decision>)> {
        let mut out = Vec::with_capacity(self.config.vaults.len());
        for &vault in &self.config.vaults {
            let decision = self.harvest_if_it_pays(vault).await;
            let label = match &decision {
                Ok(Decision::Harvest { .. }) => "harvested",
                Ok(Decision::Skip { tip, .. }) if tip.is_zero() => "nothing",
                Ok(Decision::Skip { .. }) => "unprofitable",
                Err(e) => {
                    tracing::warn!(%vault, "keeper: {e:#}");
                    "failed"
                }
            };
            self.metrics.keeper_harvests.get_or_create(&Outcome::of(label)).inc();
            if let Err(e) = self.claim_waiting(vault).await {
                tracing::warn!(%vault, "keeper claims: {e:#}");
                self.metrics.keeper_claims.get_or_create(&Outcome::of("failed")).inc();
            }
            out.push((vault, decision));
        }
        out
    }

    async fn harvest_if_it_pays(&self, vault: Address) -> Result<Decision> {
        let v = IVault::new(vault, &self.reader);
        let state = v.state().call().await.with_context(|| format!("reading {vault}'s state"))?;
        let params =
            v.params().call().await.with_context(|| format!("reading {vault}'s params"))?;
        let undelivered = v
            .undelivered()
            .call()
            .await
            .with_context(|| format!("reading {vault}'s owed yield"))?;
        let tip = expected_tip(state.surplus, undelivered.tipsHeld, params.tipBps, params.maxTip);
        if state.surplus.is_zero() && undelivered.owed.is_zero() && tip.is_zero() {
            return Ok(Decision::Skip { tip, cost: U256::ZERO });
        }
        let data: Bytes = IVault::harvestCall {}.abi_encode().into();
        let request = TransactionRequest::default()
            .with_from(self.txm.from())
            .with_to(vault)
            .with_input(data.clone());
        let gas = self.reader.estimate_gas(request).await.context("estimating a harvest")?;
        let price = self.reader.get_gas_price().await.context("reading the gas price")?;
        let decision = decide(tip, gas, price, self.config.margin_bps);
        match decision {
            Decision::Harvest { tip, cost } => {
                self.txm.send(vault, data, "harvest").await?;
                tracing::info!(%vault, %tip, %cost, "harvested");
            }
            Decision::Skip { tip, cost } => {
                tracing::debug!(%vault, %tip, %cost, "harvest skipped: the tip does not pay");
            }
        }
        Ok(decision)
    }

    async fn claim_waiting(&self, vault: Address) -> Result<()> {
        let v = IVault::new(vault, &self.reader);
        for &member in &self.config.claim_for {
            let position = v.positionOf(member).call().await.context("reading a position")?;
            if position.credits.is_zero() {
                continue;
            }
            let data = IVault::claimCall { member }.abi_encode().into();
            self.txm.send(vault, data, "claim").await?;
            self.metrics.keeper_claims.get_or_create(&Outcome::of("ok")).inc();
        }
        Ok(())
    }

    /// Runs rounds every `interval` until `stop` turns true.
    pub async fn run_until_stopped(&self, interval: Duration, mut stop: watch::Receiver<bool>) {
        self.metrics.set_ready(true);
        loop {
            self.round().await;
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tip_is_the_vaults_share_capped() {
        let surplus = U256::from(1_000_000u64);
        let none = U256::ZERO;
        assert_eq!(expected_tip(surplus, none, 10, U256::MAX), U256::from(1_000u64));
        assert_eq!(expected_tip(surplus, none, 10, U256::from(7u64)), U256::from(7u64));
        assert_eq!(expected_tip(surplus, none, 0, U256::MAX), U256::ZERO);
        let small = U256::from(999u64);
        assert_eq!(expected_tip(small, none, 10, U256::MAX), U256::ZERO, "rounded down");
        // Tips held count, and the cap is on the whole.
        let held = U256::from(5u64);
        assert_eq!(expected_tip(surplus, held, 10, U256::from(7u64)), U256::from(7u64));
        assert_eq!(expected_tip(small, held, 10, U256::MAX), held);
        assert_eq!(expected_tip(none, held, 0, U256::from(3u64)), held, "held tips are paid");
    }

    #[test]
    fn a_harvest_runs_only_when_the_tip_pays_for_gas_times_the_margin() {
        // 200,000 gas at 0.1 gwei cost 2e13; with a 1.5x margin 3e13 is needed.
        let (gas, price, margin) = (200_000, 100_000_000, 15_000);
        let cost = U256::from(20_000_000_000_000u64);
        let needed = U256::from(30_000_000_000_000u64);
        assert_eq!(decide(needed, gas, price, margin), Decision::Harvest { tip: needed, cost });
        let short = needed - U256::from(1u64);
        assert_eq!(decide(short, gas, price, margin), Decision::Skip { tip: short, cost });
        // A free chain still needs a tip: an empty harvest is never sent.
        assert!(matches!(decide(U256::ZERO, gas, 0, margin), Decision::Skip { .. }));
        assert!(matches!(decide(U256::from(1u64), gas, 0, margin), Decision::Harvest { .. }));
        // Nothing overflows on absurd inputs from the node.
        assert!(matches!(
            decide(U256::MAX, u64::MAX, u128::MAX, u32::MAX),
            Decision::Harvest { .. }
        ));
        let max = decide(U256::from(1u64), u64::MAX, u128::MAX, u32::MAX);
        assert!(matches!(max, Decision::Skip { .. }));
    }
}
