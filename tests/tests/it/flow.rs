//! The full flow across the asset, the yield source, the vault and the
//! ledger: deposit, yield, harvest, claim, withdraw; plus share transfers,
//! beneficiaries and the parameter timelock.
#![allow(clippy::too_many_lines, reason = "end-to-end scenarios read best in one piece")]

use crate::common::{self, Config, Env, ETH};
use alloy_primitives::{Address, U256};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::IErc20;
use vault::{Claimed, Deposited, Harvested, Withdrawn};

#[test]
fn deposit_harvest_claim_withdraw() {
    let _serial = common::serial();
    let [alice, alice_ai, keeper, bob] = ["alice", "alice_ai", "keeper", "bob"].map(common::tag);
    let env = Env::deploy(&Config::default());
    let deposit = ETH * U256::from(10);
    env.fund(alice, deposit);

    env.vault.sender(alice).deposit(deposit, alice_ai, 0).motsu_unwrap();
    assert!(env.vault.emitted(&Deposited {
        member: alice,
        beneficiary: alice_ai,
        assets: deposit,
        principal: deposit,
        unlockAt: 1_735_689_600,
    }));
    assert_eq!(env.principal_of(alice), deposit);
    assert_eq!(env.vault.sender(alice).balance_of(alice), deposit, "1 share = 1 asset unit");
    assert_eq!(env.balance(alice), U256::ZERO);
    assert_eq!(env.value(), deposit);
    assert_eq!(env.beneficiary(alice), alice_ai);
    env.assert_backed();

    // A harvest with nothing to skim does nothing.
    let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
    assert_eq!((credits, tip), (U256::ZERO, U256::ZERO));
    assert_eq!(env.last_harvest(), 0);
    env.assert_backed();

    // The source earns 10 %.
    env.gain(ETH);
    let value = env.value();
    assert!(value > deposit && value <= deposit + ETH);
    let surplus = env.surplus();
    // Two source shares stay back: one for the rounding of delivering the
    // yield, one so that the next exit can be exact.
    assert_eq!(surplus, value - deposit - env.one_share() * U256::from(2));

    let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
    // Tip: 10 bps of the harvest, capped at 0.01 ETH.
    let uncapped = surplus * U256::from(10) / U256::from(10_000);
    assert_eq!(tip, uncapped.min(ETH / U256::from(100)));
    assert!(tip <= ETH / U256::from(100));
    assert_eq!(env.balance(keeper), tip, "the tip goes to the caller");
    // Whole source shares worth at most the surplus are redeemed: all of it
    // but the source's rounding (here at most 2 units) is delivered.
    assert!(credits + tip <= surplus && surplus - (credits + tip) <= U256::from(2));
    assert!(env.vault.emitted(&Harvested { caller: keeper, surplus, tip, credits }));
    // Principal is untouched; the credits wait in the vault's reserve.
    assert!(env.value() >= deposit, "harvest touched principal");
    assert_eq!(env.last_harvest(), 1_735_689_600);
    assert_eq!(env.principal(), deposit);
    assert_eq!(env.reserve(), credits);
    let pending = env.pending_credits(alice);
    assert!(
        pending <= credits && credits - pending <= U256::from(1),
        "pending {pending} of {credits}"
    );
    env.assert_backed();

    // Anyone may claim for alice; the credits go to her beneficiary.
    let claimed = env.vault.sender(bob).claim(alice).motsu_unwrap();
    assert_eq!(claimed, pending);
    assert!(env.vault.emitted(&Claimed { member: alice, beneficiary: alice_ai, credits: claimed }));
    assert_eq!(env.spendable(alice_ai), claimed);
    assert_eq!(env.spendable(alice), U256::ZERO);
    assert_eq!(env.spendable(bob), U256::ZERO);
    assert_eq!(env.earned(alice_ai), U256::ZERO, "yield credits are spendable, not redeemable");
    assert_eq!(env.reserve(), credits - claimed);
    assert_eq!(env.pending_credits(alice), U256::ZERO);
    // A second claim finds nothing.
    assert_eq!(env.vault.sender(bob).claim(alice).motsu_unwrap(), U256::ZERO);
    assert_eq!(env.spendable(alice_ai), claimed);
    let (held, owed) = env.assert_backed();
    assert_eq!(owed, credits, "the ledger owes exactly what was delivered");
    assert_eq!(held, credits);

    // Alice leaves with exactly her principal.
    assert_eq!(env.withdrawable(alice), deposit);
    let paid = env.vault.sender(alice).withdraw(deposit, alice).motsu_unwrap();
    assert_eq!(paid, deposit);
    assert!(env.vault.emitted(&Withdrawn {
        member: alice,
        receiver: alice,
        principal: deposit,
        paid
    }));
    assert_eq!(env.balance(alice), deposit);
    assert_eq!(env.principal_of(alice), U256::ZERO);
    assert_eq!(env.principal(), U256::ZERO);
    env.assert_backed();
    // Her credits stay with her beneficiary.
    assert_eq!(env.spendable(alice_ai), claimed);
}

#[test]
fn fixed_beneficiary_gets_minted_at_harvest() {
    let _serial = common::serial();
    let [alice, bob, community, keeper] = ["alice", "bob", "community", "keeper"].map(common::tag);
    let cfg = Config { fixed: community, tip_bps: 0, ..Config::default() };
    let env = Env::deploy(&cfg);
    env.fund(alice, ETH);
    env.fund(bob, ETH);

    // Naming another beneficiary is refused; naming the fixed one is fine.
    let err = env.vault.sender(alice).deposit(ETH, bob, 0).motsu_unwrap_err();
    assert!(matches!(err, vault::Error::BeneficiaryFixed(_)), "{err:?}");
    assert_eq!(env.principal(), U256::ZERO);
    env.vault.sender(alice).deposit(ETH, community, 0).motsu_unwrap();
    env.vault.sender(bob).deposit(ETH, Address::ZERO, 0).motsu_unwrap();
    assert_eq!(env.beneficiary(bob), community);
    let err = env.vault.sender(bob).set_beneficiary(bob).motsu_unwrap_err();
    assert!(matches!(err, vault::Error::BeneficiaryFixed(_)), "{err:?}");

    // With a fixed beneficiary even yield before the first harvest is
    // delivered, straight to the community account.
    env.gain(ETH / U256::from(10));
    let surplus = env.surplus();
    let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
    assert_eq!(tip, U256::ZERO);
    assert!(credits <= surplus && surplus - credits <= U256::from(2));
    assert_eq!(env.spendable(community), credits);
    assert_eq!(env.reserve(), U256::ZERO, "nothing is left in the reserve");
    assert_eq!(env.pending_credits(alice), U256::ZERO);
    assert_eq!(env.vault.sender(keeper).claim(alice).motsu_unwrap(), U256::ZERO);
    env.assert_backed();

    for who in [alice, bob] {
        assert_eq!(env.vault.sender(who).withdraw(ETH, who).motsu_unwrap(), ETH);
        assert_eq!(env.balance(who), ETH);
    }
    env.assert_backed();
}

#[test]
fn share_transfer_keeps_earned_yield_with_the_earner() {
    let _serial = common::serial();
    let [alice, bob, keeper] = ["alice", "bob", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { tip_bps: 0, ..Config::default() });
    let members = [alice, bob];
    env.join(alice, ETH * U256::from(2), 0);
    env.vault.sender(keeper).harvest().motsu_unwrap();

    env.gain(ETH / U256::from(10));
    let (first, _) = env.vault.sender(keeper).harvest().motsu_unwrap();
    // Alice earned the first harvest; she sends half her shares to bob.
    assert!(env.vault.sender(alice).transfer(bob, ETH).motsu_unwrap());
    assert_eq!(env.principal_of(alice), ETH);
    assert_eq!(env.principal_of(bob), ETH);
    env.assert_principal_adds_up(&members);
    let alice_pending = env.pending_credits(alice);
    assert!(first - alice_pending <= U256::from(1));
    assert_eq!(env.pending_credits(bob), U256::ZERO);

    // The next harvest is shared half and half.
    env.gain(ETH / U256::from(10));
    let (second, _) = env.vault.sender(keeper).harvest().motsu_unwrap();
    let a = env.vault.sender(keeper).claim(alice).motsu_unwrap();
    let b = env.vault.sender(keeper).claim(bob).motsu_unwrap();
    let half = second / U256::from(2);
    assert!(b <= half && half - b <= U256::from(1), "bob {b} of {second}");
    assert!(a >= alice_pending + b && a - alice_pending - b <= U256::from(1));
    assert!(a + b <= first + second && first + second - a - b <= U256::from(2));
    assert_eq!(env.reserve(), first + second - a - b);
    env.assert_backed();

    // Bob exits with the principal he received.
    assert_eq!(env.vault.sender(bob).withdraw(ETH, bob).motsu_unwrap(), ETH);
    assert_eq!(env.balance(bob), ETH);
    env.assert_principal_adds_up(&members);
}

#[test]
fn set_beneficiary_pays_accrued_to_the_previous_one() {
    let _serial = common::serial();
    let [alice, ai_one, ai_two, keeper] = ["alice", "ai_one", "ai_two", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { tip_bps: 0, ..Config::default() });
    env.fund(alice, ETH);
    env.vault.sender(alice).deposit(ETH, ai_one, 0).motsu_unwrap();
    env.vault.sender(keeper).harvest().motsu_unwrap();
    env.gain(ETH / U256::from(20));
    let (credits, _) = env.vault.sender(keeper).harvest().motsu_unwrap();

    env.vault.sender(alice).set_beneficiary(ai_two).motsu_unwrap();
    let one = env.spendable(ai_one);
    assert!(credits - one <= U256::from(1), "accrued credits go to the old beneficiary");
    assert_eq!(env.beneficiary(alice), ai_two);

    env.gain(ETH / U256::from(20));
    let (more, _) = env.vault.sender(keeper).harvest().motsu_unwrap();
    env.vault.sender(keeper).claim(alice).motsu_unwrap();
    let two = env.spendable(ai_two);
    assert_eq!(env.spendable(ai_one), one);
    assert!(two <= more + U256::from(1) && more - two <= U256::from(1), "{two} of {more}");
    env.assert_backed();
}

#[test]
fn l3_a_deposit_that_names_a_new_beneficiary_pays_the_old_one_first() {
    let _serial = common::serial();
    let [alice, ai_one, ai_two, keeper] = ["alice", "ai_one", "ai_two", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { tip_bps: 0, ..Config::default() });
    env.fund(alice, ETH * U256::from(2));
    env.vault.sender(alice).deposit(ETH, ai_one, 0).motsu_unwrap();
    env.gain(ETH / U256::from(20));
    let (credits, _) = env.vault.sender(keeper).harvest().motsu_unwrap();
    // A second deposit pledges the yield elsewhere: what accrued under the
    // first pledge still goes to the first beneficiary.
    env.vault.sender(alice).deposit(ETH, ai_two, 0).motsu_unwrap();
    let one = env.spendable(ai_one);
    assert!(credits - one <= U256::from(1), "{one} of {credits} to the old beneficiary");
    assert!(env.vault.emitted(&vault::BeneficiarySet { member: alice, beneficiary: ai_two }));
    assert_eq!(env.beneficiary(alice), ai_two);
    env.vault.sender(keeper).claim(alice).motsu_unwrap();
    assert_eq!(env.spendable(ai_two), U256::ZERO, "nothing of the old pledge moved");
    env.assert_backed();
}

#[test]
fn parameter_changes_wait_for_their_delay() {
    let _serial = common::serial();
    let keeper = common::tag("keeper");
    // The change cannot apply yet (time is frozen under motsu; the change
    // applying after its delay is `offchain/e2e/tests/it/vault_over_rpc.rs`),
    // and members can see it coming; the owner can cancel it.
    let env = Env::deploy(&Config { delay: 86_400, ..Config::default() });
    let eta = env.vault.sender(env.owner).propose_params(1, ETH, 1, U256::ZERO).motsu_unwrap();
    assert_eq!(eta, 1_735_689_600 + 86_400);
    assert_eq!(env.vault.sender(keeper).pending_params(), (1, ETH, 1, U256::ZERO, eta));
    let before = env.params();
    let err = env.vault.sender(env.owner).execute_params().motsu_unwrap_err();
    assert!(matches!(err, vault::Error::ChangeNotReady(_)), "{err:?}");
    assert_eq!(env.params(), before);
    env.vault.sender(env.owner).cancel_params().motsu_unwrap();
    assert_eq!(env.vault.sender(keeper).pending_params().4, 0);
    let err = env.vault.sender(env.owner).cancel_params().motsu_unwrap_err();
    assert!(matches!(err, vault::Error::NoPendingChange(_)), "{err:?}");
}

#[test]
fn a_deposit_first_shares_out_the_yield_of_the_members_already_in() {
    let _serial = common::serial();
    let [alice, bob, keeper] = ["alice", "bob", "keeper"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.join(alice, ETH, 0);
    env.gain(ETH / U256::from(10));
    let surplus = env.surplus();
    assert!(!surplus.is_zero());

    // Bob's deposit shares alice's yield out to her first, without taking
    // it out of the source; a tip of it is held for the next harvester.
    env.join(bob, ETH * U256::from(3), 0);
    let (owed, tips) = env.undelivered();
    assert_eq!(owed + tips, surplus);
    let (tip_bps, max_tip, ..) = env.params();
    assert_eq!(tips, (surplus * U256::from(tip_bps) / U256::from(10_000)).min(max_tip));
    assert_eq!(env.reserve(), U256::ZERO, "nothing delivered yet");
    assert_eq!(env.balance(bob), U256::ZERO);
    assert_eq!(env.pending_credits(alice), owed);
    assert_eq!(env.pending_credits(bob), U256::ZERO);
    assert!(env.value() >= env.principal());

    // From now on they share by principal, 1 : 3; the next harvest delivers
    // alice's yield from before too, and pays the tip held.
    env.gain(ETH / U256::from(10));
    let fresh = env.surplus();
    let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
    assert!(tip >= tips);
    assert_eq!(credits + tip, owed + tips + fresh);
    let a = env.vault.sender(keeper).claim(alice).motsu_unwrap();
    let b = env.vault.sender(keeper).claim(bob).motsu_unwrap();
    let shared = credits - owed;
    assert!((shared / U256::from(4)).abs_diff(a - owed) <= U256::from(2), "{a}");
    assert!((shared * U256::from(3) / U256::from(4)).abs_diff(b) <= U256::from(2), "{b}");
    env.assert_backed();
}
