//! Bad input and unauthorised calls: each is refused with its own typed
//! error and leaves balances, principal and credits unchanged.
#![allow(clippy::too_many_lines, reason = "one test per contract surface reads best")]

use crate::common::{self, word, Config, Env, ETH};
use alloy_primitives::{Address, B256, U256};
use compute_credits::CreditLedger;
use motsu::prelude::*;
use openzeppelin_stylus::{access::control::IAccessControl, token::erc20::IErc20};
use tests::doubles::{MockErc20, MockErc4626};
use vault::{
    params::{MAX_BUFFER_BPS, MAX_DELAY, MAX_LOCK, MAX_TIP_BPS},
    Error as V, Vault,
};

use compute_credits::Error as L;

fn one() -> U256 {
    U256::from(1)
}

#[test]
fn vault_zero_amounts_and_addresses() {
    let _serial = common::serial();
    let [alice, bob] = ["alice", "bob"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.join(alice, ETH, 0);
    env.fund(bob, ETH);
    let who = [alice, bob];

    let err = env.refused(&who, || env.vault.sender(bob).deposit(U256::ZERO, Address::ZERO, 0));
    assert!(matches!(err, V::ZeroAmount(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(alice).withdraw(U256::ZERO, alice));
    assert!(matches!(err, V::ZeroAmount(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(alice).withdraw(ETH, Address::ZERO));
    assert!(matches!(err, V::ZeroAddress(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(alice).set_beneficiary(Address::ZERO));
    assert!(matches!(err, V::ZeroAddress(_)), "{err:?}");
    // Shares cannot be sent to nobody.
    let err = env.refused(&who, || env.vault.sender(alice).transfer(Address::ZERO, one()));
    assert!(matches!(err, V::InvalidReceiver(_)), "{err:?}");

    // Over-withdrawal, of one's own principal or someone else's.
    let err = env.refused(&who, || env.vault.sender(alice).withdraw(ETH + one(), alice));
    match err {
        V::InsufficientPrincipal(e) => {
            assert_eq!((e.member, e.principal, e.needed), (alice, ETH, ETH + one()));
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = env.refused(&who, || env.vault.sender(bob).withdraw(one(), bob));
    assert!(matches!(err, V::InsufficientPrincipal(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(bob).transfer(alice, one()));
    assert!(matches!(err, V::InsufficientBalance(_)), "{err:?}");

    // Depositing more than one holds, or without approval.
    let err = env.refused(&who, || env.vault.sender(bob).deposit(ETH + one(), Address::ZERO, 0));
    assert!(matches!(err, V::ExternalCallFailed(_)), "{err:?}");
    env.asset.sender(bob).approve(env.vault.address(), U256::ZERO).motsu_unwrap();
    let err = env.refused(&who, || env.vault.sender(bob).deposit(ETH, Address::ZERO, 0));
    assert!(matches!(err, V::ExternalCallFailed(_)), "{err:?}");
}

#[test]
fn vault_locks() {
    let _serial = common::serial();
    let [alice, bob] = ["alice", "bob"].map(common::tag);
    let env = Env::deploy(&Config::default());
    let who = [alice, bob];
    env.fund(alice, ETH * U256::from(2));

    let err =
        env.refused(&who, || env.vault.sender(alice).deposit(ETH, Address::ZERO, MAX_LOCK + 1));
    match err {
        V::LockTooLong(e) => assert_eq!((e.lockSeconds, e.max), (MAX_LOCK + 1, MAX_LOCK)),
        other => panic!("unexpected {other:?}"),
    }

    // Lock 0: free to leave now.
    env.vault.sender(alice).deposit(ETH, Address::ZERO, 0).motsu_unwrap();
    assert_eq!(env.vault.sender(alice).withdraw(one(), alice).motsu_unwrap(), one());

    // A lock of an hour holds the whole position, and its shares.
    env.vault.sender(alice).deposit(ETH, Address::ZERO, 3600).motsu_unwrap();
    let now = 1_735_689_600;
    assert_eq!(env.unlock_time(alice), now + 3600);
    let err = env.refused(&who, || env.vault.sender(alice).withdraw(one(), alice));
    match err {
        V::StillLocked(e) => assert_eq!((e.unlockAt, e.now), (now + 3600, now)),
        other => panic!("unexpected {other:?}"),
    }
    let err = env.refused(&who, || env.vault.sender(alice).transfer(bob, one()));
    assert!(matches!(err, V::StillLocked(_)), "{err:?}");
    env.vault.sender(alice).approve(bob, ETH).motsu_unwrap();
    let err = env.refused(&who, || env.vault.sender(bob).transfer_from(alice, bob, one()));
    assert!(matches!(err, V::StillLocked(_)), "{err:?}");

    // A later deposit with a shorter lock never shortens it.
    env.fund(alice, ETH);
    env.vault.sender(alice).deposit(one(), Address::ZERO, 0).motsu_unwrap();
    assert_eq!(env.unlock_time(alice), now + 3600);
    let err = env.refused(&who, || env.vault.sender(alice).withdraw(one(), alice));
    assert!(matches!(err, V::StillLocked(_)), "{err:?}");
}

#[test]
fn pause_blocks_deposits_never_exits() {
    let _serial = common::serial();
    let [alice, bob, keeper, stranger] = ["alice", "bob", "keeper", "stranger"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.join(alice, ETH, 0);
    env.fund(bob, ETH);
    let who = [alice, bob, stranger];

    let err = env.refused(&who, || env.vault.sender(stranger).set_paused(true));
    assert!(matches!(err, V::UnauthorizedAccount(_)), "{err:?}");
    env.vault.sender(env.owner).set_paused(true).motsu_unwrap();
    assert!(env.paused());

    let err = env.refused(&who, || env.vault.sender(bob).deposit(ETH, Address::ZERO, 0));
    assert!(matches!(err, V::DepositsPaused(_)), "{err:?}");

    // Harvests, claims and withdrawals go on.
    env.vault.sender(keeper).harvest().motsu_unwrap();
    env.gain(ETH / U256::from(10));
    env.vault.sender(keeper).harvest().motsu_unwrap();
    assert!(!env.vault.sender(keeper).claim(alice).motsu_unwrap().is_zero());
    assert_eq!(env.vault.sender(alice).withdraw(ETH, alice).motsu_unwrap(), ETH);
    assert_eq!(env.balance(alice), ETH);

    env.vault.sender(env.owner).set_paused(false).motsu_unwrap();
    env.vault.sender(bob).deposit(ETH, Address::ZERO, 0).motsu_unwrap();
    assert_eq!(env.principal(), ETH);
}

#[test]
fn vault_cap_and_parameters() {
    let _serial = common::serial();
    let [alice, stranger] = ["alice", "stranger"].map(common::tag);
    let cap = ETH * U256::from(3);
    let env = Env::deploy(&Config { deposit_cap: cap, ..Config::default() });
    env.fund(alice, ETH * U256::from(4));
    let who = [alice, stranger];

    env.vault.sender(alice).deposit(ETH * U256::from(2), Address::ZERO, 0).motsu_unwrap();
    let err = env.refused(&who, || env.vault.sender(alice).deposit(ETH + one(), Address::ZERO, 0));
    match err {
        V::DepositCapExceeded(e) => assert_eq!((e.cap, e.total), (cap, cap + one())),
        other => panic!("unexpected {other:?}"),
    }
    env.vault.sender(alice).deposit(ETH, Address::ZERO, 0).motsu_unwrap();
    assert_eq!(env.principal(), cap);

    let owner = env.owner;
    let err = env.refused(&who, || {
        env.vault.sender(owner).propose_params(MAX_TIP_BPS + 1, ETH, 0, U256::ZERO)
    });
    assert!(matches!(err, V::TipTooHigh(_)), "{err:?}");
    let err = env.refused(&who, || {
        env.vault.sender(owner).propose_params(0, ETH, MAX_BUFFER_BPS + 1, U256::ZERO)
    });
    assert!(matches!(err, V::BufferTooHigh(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(owner).execute_params());
    assert!(matches!(err, V::NoPendingChange(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(owner).cancel_params());
    assert!(matches!(err, V::NoPendingChange(_)), "{err:?}");

    let err =
        env.refused(&who, || env.vault.sender(stranger).propose_params(0, ETH, 0, U256::ZERO));
    assert!(matches!(err, V::UnauthorizedAccount(_)), "{err:?}");
    env.vault.sender(owner).propose_params(0, ETH, 0, U256::ZERO).motsu_unwrap();
    let err = env.refused(&who, || env.vault.sender(stranger).execute_params());
    assert!(matches!(err, V::UnauthorizedAccount(_)), "{err:?}");
    let err = env.refused(&who, || env.vault.sender(stranger).cancel_params());
    assert!(matches!(err, V::UnauthorizedAccount(_)), "{err:?}");
    // The limits are inclusive (the change applies after its delay:
    // `offchain/e2e/tests/it/vault_over_rpc.rs`, where time moves).
    env.vault
        .sender(owner)
        .propose_params(MAX_TIP_BPS, ETH, MAX_BUFFER_BPS, U256::ZERO)
        .motsu_unwrap();
    let pending = env.vault.sender(owner).pending_params();
    assert_eq!(pending.0, MAX_TIP_BPS);
    assert_eq!(pending.2, MAX_BUFFER_BPS);
    let err = env.refused(&who, || env.vault.sender(owner).execute_params());
    assert!(matches!(err, V::ChangeNotReady(_)), "{err:?}");
}

/// Review L-2: the parameter time-lock cannot be switched off. A vault with
/// a delay under a day is refused, so every change of the tip, the buffer
/// or the cap is on chain for at least a day before it applies.
#[test]
fn l2_a_vault_refuses_a_parameter_delay_under_a_day() {
    let _serial = common::serial();
    let owner = common::tag("owner");
    let env = Env::deploy(&Config::default());
    let build = |delay: u64| {
        let v: Contract<Vault> = Contract::new();
        let res = v
            .sender(owner)
            .constructor(
                env.asset.address(),
                env.source.address(),
                env.ledger.address(),
                owner,
                Address::ZERO,
                word("v"),
                word("v"),
                0,
                ETH,
                0,
                U256::ZERO,
                delay,
            )
            .motsu_res();
        (res, v.sender(owner).params().4)
    };
    let min = vault::params::MIN_DELAY;
    for delay in [0, 1, min - 1] {
        let (res, stored) = build(delay);
        match res {
            Err(V::DelayOutOfRange(e)) => assert_eq!((e.delay, e.min), (delay, min)),
            other => panic!("delay {delay}: unexpected {other:?}"),
        }
        assert_eq!(stored, 0, "nothing was written");
    }
    let (res, stored) = build(min);
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(stored, min);
    // The proposal made now cannot apply before a day has passed.
    let v: Contract<Vault> = Contract::new();
    v.sender(owner)
        .constructor(
            env.asset.address(),
            env.source.address(),
            env.ledger.address(),
            owner,
            Address::ZERO,
            word("v"),
            word("v"),
            0,
            ETH,
            0,
            U256::ZERO,
            min,
        )
        .motsu_unwrap();
    let eta = v.sender(owner).propose_params(100, U256::MAX, 0, U256::ZERO).motsu_unwrap();
    assert_eq!(eta, 1_735_689_600 + min);
    let err = v.sender(owner).execute_params().motsu_unwrap_err();
    assert!(matches!(err, V::ChangeNotReady(_)), "{err:?}");
}

#[test]
fn vault_constructor_checks_its_wiring() {
    let _serial = common::serial();
    let owner = common::tag("owner");
    let env = Env::deploy(&Config::default());
    let (asset, source, ledger) = (env.asset.address(), env.source.address(), env.ledger.address());
    // A second asset, with a source over it.
    let other: Contract<MockErc20> = Contract::new();
    other.sender(owner).constructor("Other".into(), "OTH".into());
    let other_source: Contract<MockErc4626> = Contract::new();
    other_source.sender(owner).constructor(other.address(), "yOTH".into(), "yOTH".into());

    let build_named = |asset, source, ledger, tip: u16, buffer: u16, delay: u64, name: B256| {
        let v: Contract<Vault> = Contract::new();
        let res = v
            .sender(owner)
            .constructor(
                asset,
                source,
                ledger,
                owner,
                Address::ZERO,
                name,
                word("v"),
                tip,
                ETH,
                buffer,
                U256::ZERO,
                delay,
            )
            .motsu_res();
        (res, v.sender(owner).wiring().0)
    };
    let build = |asset, source, ledger, tip, buffer, delay| {
        build_named(asset, source, ledger, tip, buffer, delay, word("v"))
    };

    let day = vault::params::MIN_DELAY;
    let (res, wired) = build(Address::ZERO, source, ledger, 0, 0, day);
    assert!(matches!(res, Err(V::ZeroAddress(_))), "{res:?}");
    assert_eq!(wired, Address::ZERO, "nothing was written");
    let (res, _) = build(asset, Address::ZERO, ledger, 0, 0, day);
    assert!(matches!(res, Err(V::ZeroAddress(_))), "{res:?}");
    let (res, _) = build(asset, source, Address::ZERO, 0, 0, day);
    assert!(matches!(res, Err(V::ZeroAddress(_))), "{res:?}");
    let (res, _) = build(asset, other_source.address(), ledger, 0, 0, day);
    match res {
        Err(V::AssetMismatch(e)) => assert_eq!(e.target, other_source.address()),
        other => panic!("unexpected {other:?}"),
    }
    let (res, _) = build(other.address(), other_source.address(), ledger, 0, 0, day);
    match res {
        Err(V::AssetMismatch(e)) => assert_eq!(e.target, ledger),
        other => panic!("unexpected {other:?}"),
    }
    let (res, _) = build(asset, source, ledger, MAX_TIP_BPS + 1, 0, day);
    assert!(matches!(res, Err(V::TipTooHigh(_))), "{res:?}");
    let (res, _) = build(asset, source, ledger, 0, MAX_BUFFER_BPS + 1, day);
    assert!(matches!(res, Err(V::BufferTooHigh(_))), "{res:?}");
    let (res, _) = build(asset, source, ledger, 0, 0, MAX_DELAY + 1);
    assert!(matches!(res, Err(V::DelayOutOfRange(_))), "{res:?}");
    // Names are text padded with zero bytes.
    let mut garbled = word("ab");
    garbled[5] = b'c';
    let (res, _) = build_named(asset, source, ledger, 0, 0, day, garbled);
    assert!(matches!(res, Err(V::InvalidString(_))), "{res:?}");
    let (res, wired) = build(asset, source, ledger, MAX_TIP_BPS, MAX_BUFFER_BPS, MAX_DELAY);
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(wired, asset);

    // The ledger refuses a zero asset or admin.
    let l: Contract<CreditLedger> = Contract::new();
    let res = l.sender(owner).constructor(Address::ZERO, owner, word("c"), word("c")).motsu_res();
    assert!(matches!(res, Err(L::ZeroAddress(_))), "{res:?}");
    let res = l.sender(owner).constructor(asset, Address::ZERO, word("c"), word("c")).motsu_res();
    assert!(matches!(res, Err(L::ZeroAddress(_))), "{res:?}");
    let res = l.sender(owner).constructor(asset, owner, garbled, word("c")).motsu_res();
    assert!(matches!(res, Err(L::InvalidString(_))), "{res:?}");
    assert_eq!(l.sender(owner).asset(), Address::ZERO);
}

#[test]
fn ledger_inputs_and_roles() {
    let _serial = common::serial();
    let [alice, bridge, rogue, provider] =
        ["alice", "bridge", "rogue", "provider"].map(common::tag);
    let env = Env::deploy(&Config::default());
    env.grant_spender(bridge);
    env.grant_spender(rogue);
    env.fund(alice, ETH);
    env.fund(rogue, ETH);
    let who = [alice, bridge, rogue, provider];
    let ledger = &env.ledger;
    let vault = env.vault.address();

    // Zero amounts and addresses.
    let err = env.refused(&who, || ledger.sender(alice).top_up(alice, U256::ZERO));
    assert!(matches!(err, L::ZeroAmount(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(alice).top_up(Address::ZERO, ETH));
    assert!(matches!(err, L::ZeroAddress(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(alice).top_up(alice, ETH + one()));
    assert!(matches!(err, L::AssetTransferFailed(_)), "{err:?}");

    ledger.sender(alice).top_up(alice, ETH / U256::from(2)).motsu_unwrap();
    let err = env.refused(&who, || ledger.sender(bridge).escrow(alice, U256::ZERO));
    assert!(matches!(err, L::ZeroAmount(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(bridge).escrow(alice, ETH));
    match err {
        L::InsufficientCredits(e) => {
            assert_eq!((e.account, e.available, e.needed), (alice, ETH / U256::from(2), ETH));
        }
        other => panic!("unexpected {other:?}"),
    }

    // Only spenders escrow; only the escrow's own spender releases or closes.
    let err = env.refused(&who, || ledger.sender(alice).escrow(alice, one()));
    assert!(matches!(err, L::UnauthorizedAccount(_)), "{err:?}");
    let id = ledger.sender(bridge).escrow(alice, ETH / U256::from(4)).motsu_unwrap();
    let err = env.refused(&who, || ledger.sender(rogue).release(id, rogue, one()));
    assert!(matches!(err, L::NotEscrowSpender(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(rogue).close(id));
    assert!(matches!(err, L::NotEscrowSpender(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(rogue).settle(id, rogue, one()));
    assert!(matches!(err, L::NotEscrowSpender(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(bridge).release(id, Address::ZERO, one()));
    assert!(matches!(err, L::ZeroAddress(_)), "{err:?}");
    let err = env
        .refused(&who, || ledger.sender(bridge).release(id, provider, ETH / U256::from(4) + one()));
    assert!(matches!(err, L::ExceedsEscrow(_)), "{err:?}");
    let err = env
        .refused(&who, || ledger.sender(bridge).settle(id, provider, ETH / U256::from(4) + one()));
    assert!(matches!(err, L::ExceedsEscrow(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(bridge).close(id + 1));
    assert!(matches!(err, L::EscrowNotOpen(_)), "{err:?}");
    ledger.sender(bridge).settle(id, provider, one()).motsu_unwrap();
    let err = env.refused(&who, || ledger.sender(bridge).close(id));
    assert!(matches!(err, L::EscrowNotOpen(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(bridge).release(id, provider, U256::ZERO));
    assert!(matches!(err, L::EscrowNotOpen(_)), "{err:?}");

    // Redeeming: earned credits only.
    let err = env.refused(&who, || ledger.sender(provider).redeem(U256::ZERO, provider));
    assert!(matches!(err, L::ZeroAmount(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(provider).redeem(one(), Address::ZERO));
    assert!(matches!(err, L::ZeroAddress(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(provider).redeem(U256::from(2), provider));
    assert!(matches!(err, L::InsufficientEarned(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(alice).redeem(one(), alice));
    assert!(matches!(err, L::InsufficientEarned(_)), "spendable credits are not cash: {err:?}");

    // Only vaults deliver yield and mint from their reserve.
    let err = env.refused(&who, || ledger.sender(rogue).deposit_yield(ETH));
    assert!(matches!(err, L::UnauthorizedAccount(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(rogue).mint_credits(rogue, U256::ZERO));
    assert!(matches!(err, L::UnauthorizedAccount(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(vault).mint_credits(rogue, one()));
    match err {
        L::InsufficientReserve(e) => {
            assert_eq!((e.vault, e.available, e.needed), (vault, U256::ZERO, one()));
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = env.refused(&who, || ledger.sender(vault).mint_credits(Address::ZERO, U256::ZERO));
    assert!(matches!(err, L::ZeroAddress(_)), "{err:?}");
    let err = env.refused(&who, || ledger.sender(vault).deposit_yield(U256::ZERO));
    assert!(matches!(err, L::ZeroAmount(_)), "{err:?}");
    // Only the admin grants roles.
    let role = B256::from(contract_kit::roles::SPENDER_ROLE);
    let err = env.refused(&who, || ledger.sender(rogue).grant_role(role, alice));
    assert!(matches!(err, L::UnauthorizedAccount(_)), "{err:?}");
    env.assert_backed();
}

#[test]
fn mint_over_reserve_after_a_harvest() {
    let _serial = common::serial();
    let [alice, keeper] = ["alice", "keeper"].map(common::tag);
    let env = Env::deploy(&Config { tip_bps: 0, ..Config::default() });
    env.join(alice, ETH, 0);
    env.vault.sender(keeper).harvest().motsu_unwrap();
    env.gain(ETH / U256::from(10));
    let (credits, _) = env.vault.sender(keeper).harvest().motsu_unwrap();
    assert_eq!(env.reserve(), credits);
    let vault = env.vault.address();
    let err =
        env.refused(&[alice], || env.ledger.sender(vault).mint_credits(alice, credits + one()));
    assert!(matches!(err, L::InsufficientReserve(_)), "{err:?}");
    // Even the vault's address cannot mint more than it delivered.
    env.ledger.sender(vault).mint_credits(alice, credits).motsu_unwrap();
    assert_eq!(env.reserve(), U256::ZERO);
    env.assert_backed();
}
