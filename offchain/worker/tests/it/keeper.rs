//! The keeper on the devnode: a community vault with members, a gain too
//! small to pay for a harvest's gas (skipped, nothing moves) and one that
//! pays (harvested: the community's credits grow and the keeper gets the
//! tip), counted in the metrics.

use std::{sync::Arc, time::Duration};

use alloy::{primitives::U256, providers::Provider};
use bindings::{IComputeCredits, ITestDoubles, IVault, IERC20};
use worker::{
    chain,
    keeper::{Decision, Keeper, KeeperConfig},
    metrics::Metrics,
    txm::TxManager,
};

use crate::common::{self, world};

const ETH: u128 = 1_000_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn the_keeper_harvests_when_the_tip_pays_and_skips_when_it_does_not() {
    let w = world().await;
    let vault = w.community.vault;
    // A member deposits 100 ETH into the community's vault.
    let member = common::wallet_provider(&w.node, 3);
    let me = w.node.accounts()[3].address;
    let stake = U256::from(100 * ETH);
    common::fund(&w, me, stake).await;
    let asset = IERC20::new(w.core.asset, &member);
    asset.approve(vault, stake).send().await.unwrap().get_receipt().await.unwrap();
    let member_vault = IVault::new(vault, &member);
    let deposit = member_vault.deposit(stake, alloy::primitives::Address::ZERO, 0);
    assert!(deposit.send().await.unwrap().get_receipt().await.unwrap().status());

    // The keeper: dev account 4, a 1.5x margin.
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(&w, dir.path(), "");
    let signer = common::signer(&w.node, 4);
    let keeper_address = signer.address();
    let timeout = Duration::from_secs(2);
    let reader = chain::provider(&w.node.url(), timeout, None).unwrap();
    let sender = chain::provider(&w.node.url(), timeout, Some(signer)).unwrap();
    let chain_id = reader.get_chain_id().await.unwrap();
    let txm = TxManager::new(sender, keeper_address, chain_id, config.tx.clone());
    let metrics = Arc::new(Metrics::new());
    let keeper_config =
        KeeperConfig { vaults: vec![vault], claim_for: vec![me], margin_bps: 15_000 };
    let keeper = Keeper::new(reader.clone(), txm, keeper_config, metrics.clone());

    // The gas a harvest costs at the node's price sets what "pays" means.
    let price = reader.get_gas_price().await.unwrap();
    let cost = U256::from(200_000u64) * U256::from(price.max(1));
    let source = ITestDoubles::new(w.core.source, &w.admin);
    let view = IVault::new(vault, &reader);
    let ledger = IComputeCredits::new(w.core.ledger, &reader);
    let account = w.community.account;
    let credits_before = ledger.spendableOf(account).call().await.unwrap();

    // A gain whose tip (0.1 % of it) is a tenth of the cost: skipped.
    let small = cost * U256::from(100u64);
    source.simulateGain(small).send().await.unwrap().get_receipt().await.unwrap();
    let surplus = view.state().call().await.unwrap().surplus;
    assert!(!surplus.is_zero());
    let round = keeper.round().await;
    assert!(matches!(round[0].1, Ok(Decision::Skip { .. })), "{:?}", round[0].1);
    assert_eq!(view.state().call().await.unwrap().surplus, surplus, "nothing was harvested");
    assert_eq!(ledger.spendableOf(account).call().await.unwrap(), credits_before);

    // A gain whose tip is ten times the cost: harvested.
    source
        .simulateGain(cost * U256::from(10_000u64))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let tip_asset = IERC20::new(w.core.asset, &reader);
    let round = keeper.round().await;
    let Ok(Decision::Harvest { tip, .. }) = round[0].1 else { panic!("{:?}", round[0].1) };
    assert!(!tip.is_zero());
    assert_eq!(tip_asset.balanceOf(keeper_address).call().await.unwrap(), tip);
    let credits = ledger.spendableOf(account).call().await.unwrap() - credits_before;
    assert!(credits > tip * U256::from(900u64), "the community got {credits}");
    assert!(view.state().call().await.unwrap().surplus < surplus);

    let text = metrics.render();
    for outcome in ["unprofitable", "harvested"] {
        let line = format!("computefi_worker_keeper_harvests_total{{outcome=\"{outcome}\"}} 1");
        assert!(text.contains(&line), "{text}");
    }
}
