//! The security review's vault findings (`../shared/reviews/security-2026-12.md`),
//! each as the scenario the review describes: M-1 (deposits at a loss),
//! M-2 (yield following shares), I-4 (exits in order of rounding) and I-8
//! (stray assets). L-2 is in `bad_input.rs`, L-3 in `flow.rs`, L-4 in
//! `attacks.rs`.

use crate::common::{self, Config, Env, ETH};
use alloy_primitives::{Address, U256};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::{extensions::IErc4626, IErc20};

fn eth(n: u64) -> U256 {
    ETH * U256::from(n)
}

/// M-1: principal 200, the source loses 10 %, Carol's 20 would have been
/// worth 18.18 at once, paying 1.82 to the members already in. The deposit
/// is refused until the source recovers, and then goes in whole.
#[test]
fn m1_a_deposit_while_the_source_is_at_a_loss_is_refused() {
    let _serial = common::serial();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.join(alice, eth(100), 0);
    env.join(bob, eth(100), 0);
    env.lose(env.source_assets() / U256::from(10));
    let value = env.value();
    assert!(value < eth(200));

    env.fund(carol, eth(20));
    let err = env.refused(&[alice, bob, carol], || {
        env.vault.sender(carol).deposit(eth(20), Address::ZERO, 0)
    });
    match err {
        vault::Error::SourceAtLoss(e) => assert_eq!((e.value, e.principal), (value, eth(200))),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(env.balance(carol), eth(20), "carol kept her asset");
    assert_eq!(env.withdrawable(alice), eth(100) * value / eth(200), "the loss stays shared");

    // The source recovers; carol's deposit now counts in full and is worth
    // all of it.
    env.gain(eth(21));
    env.vault.sender(carol).deposit(eth(20), Address::ZERO, 0).motsu_unwrap();
    assert_eq!(env.principal_of(carol), eth(20));
    assert_eq!(env.withdrawable(carol), eth(20));
    env.assert_backed();
}

/// M-2: a pool holds 100 of 200 shares while two months of yield accrue.
/// An attacker flash-borrows the pool's shares, harvests and gives them
/// back: the yield that accrued before the loan is the pool's, and the
/// attacker ends with no credits.
#[test]
fn m2_flash_borrowed_shares_take_no_yield_that_accrued_before_they_arrived() {
    let _serial = common::serial();
    let [alice, pool, attacker, keeper] = ["alice", "pool", "attacker", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { tip_bps: 0, ..Config::default() });
    env.join(alice, eth(100), 0);
    env.join(pool, eth(100), 0);
    env.vault.sender(pool).approve(attacker, U256::MAX).motsu_unwrap();
    // About two months at 5 %/yr on 200.
    env.gain(eth(5) / U256::from(3));
    let accrued = env.surplus();

    // One transaction: borrow, harvest, return.
    assert!(env.vault.sender(attacker).transfer_from(pool, attacker, eth(100)).motsu_unwrap());
    env.vault.sender(attacker).harvest().motsu_unwrap();
    assert!(env.vault.sender(attacker).transfer(pool, eth(100)).motsu_unwrap());

    let stolen = env.vault.sender(keeper).claim(attacker).motsu_unwrap();
    assert_eq!(stolen, U256::ZERO, "the borrowed shares took {stolen} of the pool's yield");
    let pool_credits = env.vault.sender(keeper).claim(pool).motsu_unwrap();
    let alice_credits = env.vault.sender(keeper).claim(alice).motsu_unwrap();
    let half = accrued / U256::from(2);
    for got in [pool_credits, alice_credits] {
        assert!(got <= half && half - got <= U256::from(2), "{got} of {accrued}");
    }
    env.assert_backed();
}

/// M-2, the mirror case: a member who withdraws without anyone harvesting
/// first keeps their share of the yield that accrued while they held.
#[test]
fn m2_a_member_who_leaves_keeps_the_yield_accrued_while_they_held() {
    let _serial = common::serial();
    let [alice, bob, keeper] = ["alice", "bob", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { tip_bps: 0, ..Config::default() });
    env.join(alice, eth(10), 0);
    env.join(bob, eth(10), 0);
    env.gain(ETH);
    let accrued = env.surplus();

    assert_eq!(env.vault.sender(alice).withdraw(eth(10), alice).motsu_unwrap(), eth(10));
    let alice_credits = env.vault.sender(keeper).claim(alice).motsu_unwrap();
    let half = accrued / U256::from(2);
    assert!(alice_credits <= half && half - alice_credits <= U256::from(2), "{alice_credits}");
    env.assert_backed();
}

/// I-4: with coarse source shares and no loss buffer, members who leave in
/// turn each get their principal less at most one source share of the
/// source's rounding, however late they leave, and the vault never falls
/// below the principal of those who stay. Before, every exit rounded
/// against the vault and the last to leave paid for all of them.
#[test]
fn i4_exits_in_any_order_never_pay_for_each_others_rounding() {
    let _serial = common::serial();
    let seeder = common::tag("seeder");
    let env = Env::deploy(&Config { tip_bps: 0, buffer_bps: 0, ..Config::default() });
    // Someone else holds source shares, and the source gains before the
    // first deposit: one source share is worth about 3.7 units.
    env.fund(seeder, U256::from(1_000));
    env.asset.sender(seeder).approve(env.source.address(), U256::MAX).motsu_unwrap();
    env.source.sender(seeder).deposit(U256::from(1_000), seeder).motsu_unwrap();
    env.gain(U256::from(2_700));

    let members: Vec<Address> = (1..=12).map(common::account).collect();
    for (i, m) in members.iter().enumerate() {
        env.join(*m, ETH + U256::from(i * 7), 0);
    }
    env.assert_principal_adds_up(&members);
    assert!(env.value() >= env.principal());
    env.vault.sender(seeder).harvest().motsu_unwrap();

    for m in &members {
        let principal = env.principal_of(*m);
        let dust = env.one_share();
        let paid = env.vault.sender(*m).withdraw(principal, *m).motsu_unwrap();
        assert!(paid <= principal && principal - paid <= dust, "{m} got {paid} of {principal}");
        assert!(env.value() >= env.principal(), "an exit took the stayers' principal");
    }
    assert_eq!(env.principal(), U256::ZERO);
    env.assert_backed();
}

/// I-8: the asset sent straight to the vault is not lost: the vault holds
/// none between calls, so the next harvest delivers it as yield to the
/// members, tip included, by a rule anyone can check.
#[test]
fn i8_asset_sent_straight_to_the_vault_is_harvested_as_yield() {
    let _serial = common::serial();
    let [alice, bob, donor, keeper] = ["alice", "bob", "donor", "keeper"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.join(alice, eth(3), 0);
    env.join(bob, ETH, 0);
    env.fund(donor, ETH);
    assert!(env.asset.sender(donor).transfer(env.vault.address(), ETH).motsu_unwrap());
    assert_eq!(env.balance(env.vault.address()), ETH);

    let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
    assert_eq!(credits + tip, ETH, "the stray asset is the harvest");
    assert_eq!(env.balance(env.vault.address()), U256::ZERO);
    assert_eq!(env.balance(keeper), tip);
    let quarter = credits / U256::from(4);
    let alice_credits = env.vault.sender(keeper).claim(alice).motsu_unwrap();
    let bob_credits = env.vault.sender(keeper).claim(bob).motsu_unwrap();
    assert!(bob_credits <= quarter && quarter - bob_credits <= U256::from(1), "{bob_credits}");
    assert!(
        alice_credits + bob_credits <= credits
            && credits - alice_credits - bob_credits <= U256::from(2)
    );
    // Principal is untouched.
    assert_eq!(env.vault.sender(bob).withdraw(ETH, bob).motsu_unwrap(), ETH);
    env.assert_backed();
}
