//! The credit ledger end to end: top-ups and vault credits, escrows that end
//! exactly once (per request and per session), provider redemption, the
//! ERC-20 view surface and the backing invariant.
#![allow(clippy::too_many_lines, reason = "end-to-end scenarios read best in one piece")]

use crate::common::{self, Config, Env, ETH};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError};
use compute_credits::{Error as L, EscrowClosed, Escrowed, Redeemed, Released};
use contract_kit::{guard::ReentrantCall, roles::SPENDER_ROLE};
use motsu::prelude::*;
use openzeppelin_stylus::{access::control::IAccessControl, token::erc20::IErc20};
use stylus_sdk::abi::Bytes;

sol! {
    interface ILedgerReenter {
        function redeem(uint256 amount, address to) external;
    }
}

fn eth_frac(num: u64, den: u64) -> U256 {
    ETH * U256::from(num) / U256::from(den)
}

#[test]
fn escrows_settle_refund_and_end_exactly_once() {
    let _serial = common::serial();
    let [payer, bridge, provider, provider2] =
        ["payer", "bridge", "provider", "provider2"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.grant_spender(bridge);
    assert!(env.ledger.sender(payer).has_role(B256::from(SPENDER_ROLE), bridge));
    env.fund(payer, ETH);
    let ledger = &env.ledger;

    // Top-up: one credit per base unit of the asset.
    assert_eq!(ledger.sender(payer).top_up(payer, ETH).motsu_unwrap(), ETH);
    assert_eq!(env.spendable(payer), ETH);
    assert_eq!(env.balance(payer), U256::ZERO);
    assert_eq!(env.balance(ledger.address()), ETH);
    assert_eq!(env.assert_backed(), (ETH, ETH));

    // A request: escrow the maximum cost, settle the exact cost.
    let max_cost = eth_frac(3, 10);
    let id = ledger.sender(bridge).escrow(payer, max_cost).motsu_unwrap();
    assert_eq!(id, 0);
    assert!(ledger.emitted(&Escrowed { id, payer, spender: bridge, amount: max_cost }));
    assert_eq!(ledger.sender(payer).escrow_of(id), (payer, bridge, max_cost, true));
    assert_eq!(env.spendable(payer), ETH - max_cost);
    assert_eq!(ledger.sender(payer).total_escrowed(), max_cost);
    assert_eq!(env.assert_backed(), (ETH, ETH));

    let cost = eth_frac(1, 10);
    let refund = ledger.sender(bridge).settle(id, provider, cost).motsu_unwrap();
    assert_eq!(refund, max_cost - cost);
    assert!(ledger.emitted(&Released { id, payee: provider, amount: cost }));
    assert!(ledger.emitted(&EscrowClosed { id, refunded: refund }));
    assert_eq!(ledger.sender(payer).escrow_of(id), (payer, bridge, U256::ZERO, false));
    assert_eq!(env.earned(provider), cost);
    assert_eq!(env.spendable(provider), U256::ZERO);
    assert_eq!(env.spendable(payer), ETH - cost);
    assert_eq!(ledger.sender(payer).total_escrowed(), U256::ZERO);
    // The request ended; it cannot end again, by settle or by close.
    let err = ledger.sender(bridge).settle(id, provider, U256::ZERO).motsu_unwrap_err();
    assert!(matches!(err, L::EscrowNotOpen(_)), "{err:?}");
    let err = ledger.sender(bridge).close(id).motsu_unwrap_err();
    assert!(matches!(err, L::EscrowNotOpen(_)), "{err:?}");
    assert_eq!(env.earned(provider), cost);
    assert_eq!(env.spendable(payer), ETH - cost);

    // A session: one budget, several partial payments, one close.
    let budget = eth_frac(5, 10);
    let session = ledger.sender(bridge).escrow(payer, budget).motsu_unwrap();
    assert_eq!(session, 1);
    ledger.sender(bridge).release(session, provider, eth_frac(1, 10)).motsu_unwrap();
    ledger.sender(bridge).release(session, provider, eth_frac(1, 10)).motsu_unwrap();
    ledger.sender(bridge).release(session, provider2, eth_frac(5, 100)).motsu_unwrap();
    let left = budget - eth_frac(25, 100);
    assert_eq!(ledger.sender(payer).escrow_of(session), (payer, bridge, left, true));
    assert_eq!(ledger.sender(payer).total_escrowed(), left);
    assert_eq!(env.assert_backed(), (ETH, ETH));
    // Releasing more than is left is refused; all of it is fine.
    let err =
        ledger.sender(bridge).release(session, provider, left + U256::from(1)).motsu_unwrap_err();
    assert!(matches!(err, L::ExceedsEscrow(_)), "{err:?}");
    let refund = ledger.sender(bridge).close(session).motsu_unwrap();
    assert_eq!(refund, left);
    let err = ledger.sender(bridge).close(session).motsu_unwrap_err();
    assert!(matches!(err, L::EscrowNotOpen(_)), "{err:?}");
    assert_eq!(ledger.sender(payer).escrow_count(), 2);

    let provider_earned = cost + eth_frac(2, 10);
    assert_eq!(env.earned(provider), provider_earned);
    assert_eq!(env.earned(provider2), eth_frac(5, 100));
    let spent = provider_earned + eth_frac(5, 100);
    assert_eq!(env.spendable(payer), ETH - spent);
    // ERC-20 views: balance = spendable + earned; supply = all of them.
    assert_eq!(ledger.sender(payer).balance_of(payer), ETH - spent);
    assert_eq!(ledger.sender(payer).balance_of(provider), provider_earned);
    assert_eq!(ledger.sender(payer).total_supply(), ETH);
    assert_eq!(ledger.sender(payer).decimals(), 18);
    assert_eq!(ledger.sender(payer).symbol(), "CC");

    // The provider cashes out: the asset moves from the ledger.
    ledger.sender(provider).redeem(provider_earned, provider).motsu_unwrap();
    assert!(ledger.emitted(&Redeemed { account: provider, to: provider, amount: provider_earned }));
    assert_eq!(env.balance(provider), provider_earned);
    assert_eq!(env.earned(provider), U256::ZERO);
    assert_eq!(env.balance(ledger.address()), ETH - provider_earned);
    assert_eq!(ledger.sender(payer).total_supply(), ETH - provider_earned);
    let (held, owed) = env.assert_backed();
    assert_eq!((held, owed), (ETH - provider_earned, ETH - provider_earned));
    // Redeeming to another address works too.
    ledger.sender(provider2).redeem(eth_frac(5, 100), provider).motsu_unwrap();
    assert_eq!(env.balance(provider), provider_earned + eth_frac(5, 100));
    assert_eq!(env.balance(provider2), U256::ZERO);
    assert_eq!(env.assert_backed(), (ETH - spent, ETH - spent));
}

#[test]
fn harvested_credits_pay_for_compute() {
    let _serial = common::serial();
    let [alice, community, bridge, provider, keeper] =
        ["alice", "community", "bridge", "provider", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { fixed: community, tip_bps: 0, ..Config::default() });
    env.grant_spender(bridge);
    env.join(alice, ETH, 0);
    env.gain(eth_frac(1, 10));
    let (credits, _) = env.vault.sender(keeper).harvest().motsu_unwrap();
    assert_eq!(env.spendable(community), credits);

    let id = env.ledger.sender(bridge).escrow(community, credits).motsu_unwrap();
    let refund =
        env.ledger.sender(bridge).settle(id, provider, credits / U256::from(2)).motsu_unwrap();
    assert_eq!(refund, credits - credits / U256::from(2));
    assert_eq!(env.spendable(community), refund);
    env.ledger.sender(provider).redeem(credits / U256::from(2), provider).motsu_unwrap();
    assert_eq!(env.balance(provider), credits / U256::from(2));
    env.assert_backed();
    // The community's spendable credits cannot be cashed out.
    let err = env.ledger.sender(community).redeem(U256::from(1), community).motsu_unwrap_err();
    assert!(matches!(err, L::InsufficientEarned(_)), "{err:?}");
    // The member's principal was never touched.
    assert_eq!(env.vault.sender(alice).withdraw(ETH, alice).motsu_unwrap(), ETH);
}

#[test]
fn revoked_spender_can_still_end_its_escrows() {
    let _serial = common::serial();
    let [payer, bridge, provider] = ["payer", "bridge", "provider"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.grant_spender(bridge);
    env.fund(payer, ETH);
    env.ledger.sender(payer).top_up(payer, ETH).motsu_unwrap();
    let id = env.ledger.sender(bridge).escrow(payer, ETH).motsu_unwrap();
    env.ledger.sender(env.owner).revoke_role(B256::from(SPENDER_ROLE), bridge).motsu_unwrap();

    let err = env.ledger.sender(bridge).escrow(payer, U256::from(1)).motsu_unwrap_err();
    assert!(matches!(err, L::UnauthorizedAccount(_)), "{err:?}");
    // Open escrows still end, so the payer's credits are never stuck.
    env.ledger.sender(bridge).settle(id, provider, U256::from(7)).motsu_unwrap();
    assert_eq!(env.spendable(payer), ETH - U256::from(7));
    assert_eq!(env.earned(provider), U256::from(7));
    env.assert_backed();
}

#[test]
fn reentrant_redeem_is_refused() {
    let _serial = common::serial();
    let [payer, bridge, provider] = ["payer", "bridge", "provider"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.grant_spender(bridge);
    env.fund(payer, ETH);
    env.ledger.sender(payer).top_up(payer, ETH).motsu_unwrap();
    // The asset contract itself earns credits, so that its reentrant redeem
    // passes the balance checks and meets the guard.
    let asset = env.asset.address();
    let id = env.ledger.sender(bridge).escrow(payer, ETH).motsu_unwrap();
    env.ledger.sender(bridge).release(id, asset, eth_frac(1, 10)).motsu_unwrap();
    env.ledger.sender(bridge).settle(id, provider, eth_frac(2, 10)).motsu_unwrap();

    let call = ILedgerReenter::redeemCall { amount: eth_frac(1, 10), to: asset }.abi_encode();
    env.asset.sender(provider).set_hook(env.ledger.address(), Bytes(call));
    env.ledger.sender(provider).redeem(eth_frac(2, 10), provider).motsu_unwrap();
    env.asset.sender(provider).set_hook(Address::ZERO, Bytes(Vec::new()));

    assert!(!env.asset.sender(provider).last_hook_ok());
    assert_eq!(env.asset.sender(provider).last_hook_data().0, ReentrantCall {}.abi_encode());
    assert_eq!(env.balance(provider), eth_frac(2, 10));
    assert_eq!(env.earned(asset), eth_frac(1, 10));
    let (held, owed) = env.assert_backed();
    assert_eq!((held, owed), (ETH - eth_frac(2, 10), ETH - eth_frac(2, 10)));
}

#[test]
fn an_escrow_of_2_pow_96_credits_or_more_is_refused_and_moves_nothing() {
    let _serial = common::serial();
    let [payer, bridge] = ["payer", "bridge"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.grant_spender(bridge);
    // More credits than an escrow's 96-bit remainder holds (a token with a
    // supply above 7.9e28 base units).
    let huge = U256::from(1) << 96;
    env.fund(payer, huge);
    env.ledger.sender(payer).top_up(payer, huge).motsu_unwrap();
    let err = env.ledger.sender(bridge).escrow(payer, huge).motsu_unwrap_err();
    assert!(
        matches!(err, L::EscrowTooLarge(compute_credits::EscrowTooLarge { amount }) if amount == huge)
    );
    assert_eq!(env.spendable(payer), huge);
    assert_eq!(env.ledger.sender(payer).total_escrowed(), U256::ZERO);
    let id = env.ledger.sender(bridge).escrow(payer, huge - U256::ONE).motsu_unwrap();
    assert_eq!(env.ledger.sender(payer).escrow_of(id).2, huge - U256::ONE);
}

/// Review I-8: asset sent straight to the ledger was stuck. Anyone sweeps
/// what it holds above what it owes (`backing()`) into spendable credits of
/// the stray beneficiary the admin names; only the admin renames it; the
/// ledger stays exactly backed, and a second sweep finds nothing.
#[test]
fn i8_asset_sent_straight_to_the_ledger_is_swept_to_the_communitys_credits() {
    let _serial = common::serial();
    let [donor, community, keeper, stranger] =
        ["donor", "community", "keeper", "stranger"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.fund(donor, ETH);
    env.ledger.sender(donor).top_up(donor, eth_frac(1, 4)).motsu_unwrap();
    assert_eq!(env.ledger.sender(keeper).stray_beneficiary(), env.owner, "the admin by default");
    let err = env.ledger.sender(stranger).set_stray_beneficiary(stranger).motsu_unwrap_err();
    assert!(matches!(err, L::UnauthorizedAccount(_)), "{err:?}");
    let err = env.ledger.sender(env.owner).set_stray_beneficiary(Address::ZERO).motsu_unwrap_err();
    assert!(matches!(err, L::ZeroAddress(_)), "{err:?}");
    env.ledger.sender(env.owner).set_stray_beneficiary(community).motsu_unwrap();

    assert!(env.asset.sender(donor).transfer(env.ledger.address(), eth_frac(1, 2)).motsu_unwrap());
    let (held, owed) = env.assert_backed();
    assert_eq!(held - owed, eth_frac(1, 2));
    let swept = env.ledger.sender(keeper).sweep().motsu_unwrap();
    assert_eq!(swept, eth_frac(1, 2));
    assert!(env.ledger.emitted(&compute_credits::StraySwept { to: community, amount: swept }));
    assert_eq!(env.spendable(community), swept);
    assert_eq!(env.spendable(donor), eth_frac(1, 4), "nobody else's credits moved");
    let (held, owed) = env.assert_backed();
    assert_eq!(held, owed);
    assert_eq!(env.ledger.sender(keeper).sweep().motsu_unwrap(), U256::ZERO);
    assert_eq!(env.spendable(community), swept);
}
