//! Yield sources beyond a plain lending vault: a stablecoin savings vault
//! (sDAI/sUSDS-style ERC-4626 whose rate drips every block) under the
//! `vault` program, and a wstETH-style rate token under the `rate-vault`
//! program (principal and yield in the unit of account, tokens moved; the
//! rate's rise is the yield, its fall a reported loss; rebasing tokens
//! refused).

use crate::common::{self, account, word, Config, Env, ETH};
use alloy_primitives::{uint, Address, U256};
use compute_credits::CreditLedger;
use contract_kit::roles::VAULT_ROLE;
use motsu::prelude::*;
use openzeppelin_stylus::{access::control::IAccessControl, token::erc20::IErc20};
use rate_vault::Vault as RateVault;
use tests::doubles::MockErc20;

/// 1.15 units of account per token, as wstETH at some point.
const RATE: U256 = uint!(1_150_000_000_000_000_000_U256);

struct World {
    token: Contract<MockErc20>,
    ledger: Contract<CreditLedger>,
    vault: Contract<RateVault>,
    owner: Address,
}

fn world(fixed: Address, deposit_cap: U256) -> World {
    let w = World {
        token: Contract::new(),
        ledger: Contract::new(),
        vault: Contract::new(),
        owner: account(0xFFFF_0001),
    };
    w.token.sender(w.owner).constructor("Wrapped staked ETH".into(), "wstETH".into());
    w.token.sender(w.owner).set_rate(RATE);
    let asset = w.token.address();
    w.ledger
        .sender(w.owner)
        .constructor(asset, w.owner, word("Credits"), word("CC"))
        .motsu_unwrap();
    w.vault
        .sender(w.owner)
        .constructor(
            asset,
            asset,
            w.ledger.address(),
            w.owner,
            fixed,
            word("Vault wstETH"),
            word("vETH"),
            10,
            ETH,
            0,
            deposit_cap,
            vault::params::MIN_DELAY,
        )
        .motsu_unwrap();
    w.ledger.sender(w.owner).grant_role(VAULT_ROLE.into(), w.vault.address()).motsu_unwrap();
    w
}

impl World {
    fn join(&self, who: Address, tokens: U256) -> Result<(), rate_vault::Error> {
        self.token.sender(who).mint(who, tokens).motsu_unwrap();
        self.token.sender(who).approve(self.vault.address(), U256::MAX).motsu_unwrap();
        self.vault.sender(who).deposit(tokens, Address::ZERO, 0).motsu_res()
    }

    fn tokens(&self, who: Address) -> U256 {
        self.token.sender(who).balance_of(who)
    }

    fn state(&self) -> (U256, U256, U256, u64, bool) {
        self.vault.sender(self.owner).state().motsu_unwrap()
    }

    fn assert_backed(&self) {
        let (held, owed) = self.ledger.sender(self.owner).backing().motsu_unwrap();
        assert_eq!(held, owed, "the ledger holds exactly what it owes");
    }
}

fn eth(n: u64) -> U256 {
    ETH * U256::from(n)
}

#[test]
fn a_wsteth_style_vault_skims_the_rate_and_returns_the_principals_worth() {
    let _serial = common::serial();
    let [alice, keeper] = ["alice", "keeper"].map(common::tag);
    let w = world(Address::ZERO, U256::ZERO);
    // 10 wstETH at 1.15: 11.5 of principal, in the unit of account.
    w.join(alice, eth(10)).unwrap();
    let principal = eth(115) / U256::from(10);
    assert_eq!(w.vault.sender(alice).balance_of(alice), principal);
    assert_eq!(w.state().0, principal);
    assert_eq!(w.state().1, principal, "value = tokens x rate");
    assert_eq!(w.state().2, U256::ZERO, "no surplus yet");

    // The rate reaches 1.20: the holding is worth 12.0; 0.5 is yield.
    let later = uint!(1_200_000_000_000_000_000_U256);
    w.token.sender(keeper).set_rate(later);
    let surplus = w.state().2;
    let half = ETH / U256::from(2);
    // Two token units' worth (plus the price's rounding) stay back.
    assert!(surplus <= half && half - surplus <= U256::from(9), "surplus {surplus}");
    let (credits, tip) = w.vault.sender(keeper).harvest().motsu_unwrap();
    // Delivered in tokens: about 0.5 / 1.2 = 0.41667 wstETH, tip included.
    let tokens = surplus * ETH / later;
    assert_eq!(credits + tip, tokens);
    assert_eq!(w.tokens(keeper), tip);
    assert!(w.state().1 >= principal, "the harvest left the principal's worth");

    // Claimed credits are wstETH credits for alice (her own beneficiary).
    let claimed = w.vault.sender(keeper).claim(alice).motsu_unwrap();
    assert!(credits - claimed <= U256::from(1));
    assert_eq!(w.ledger.sender(alice).spendable_of(alice), claimed);
    w.assert_backed();

    // Alice leaves with tokens worth her principal at the new rate: fewer
    // tokens, the same 11.5, rounded down to a token unit.
    let paid = w.vault.sender(alice).withdraw(principal, alice).motsu_unwrap();
    assert_eq!(paid, principal * ETH / later);
    assert_eq!(w.tokens(alice), paid);
    let worth = paid * later / ETH;
    assert!(worth <= principal && principal - worth <= U256::from(2), "worth {worth}");
    assert_eq!(w.state().0, U256::ZERO);
    w.assert_backed();
}

#[test]
fn a_rate_drop_is_a_reported_loss_deposits_wait_and_exits_are_pro_rata() {
    let _serial = common::serial();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(common::tag);
    let w = world(Address::ZERO, U256::ZERO);
    w.join(alice, eth(10)).unwrap();
    w.join(bob, eth(30)).unwrap();
    let total = w.state().0;
    // The rate falls 10 %.
    w.token.sender(alice).set_rate(RATE * U256::from(9) / U256::from(10));
    let value = w.state().1;
    assert!(value < total);
    let err = w.join(carol, eth(1)).unwrap_err();
    assert!(matches!(err, rate_vault::Error::SourceAtLoss(_)), "{err:?}");
    assert_eq!(w.tokens(carol), eth(1), "carol kept her tokens");

    // Alice leaves with her pro-rata share: her 10 tokens back (less a
    // unit of rounding), now worth 10 % less; the loss is the rate's.
    let alice_principal = w.vault.sender(alice).balance_of(alice);
    let paid = w.vault.sender(alice).withdraw(alice_principal, alice).motsu_unwrap();
    assert!(paid <= eth(10) && eth(10) - paid <= U256::from(2), "paid {paid}");
    w.assert_backed();
}

#[test]
fn a_rebasing_token_is_refused_and_the_cap_counts_value() {
    let _serial = common::serial();
    let [alice, bob] = ["alice", "bob"].map(common::tag);
    // The cap is in the unit of account: 11 ETH.
    let w = world(Address::ZERO, eth(11));
    let err = w.join(alice, eth(10)).unwrap_err();
    match err {
        rate_vault::Error::DepositCapExceeded(e) => {
            assert_eq!(e.total, eth(115) / U256::from(10), "10 tokens are worth 11.5");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(w.tokens(alice), eth(10));
    // A token whose transfers deliver less than asked (stETH's rebasing
    // shares round a unit or two away) is refused: wrap it first.
    w.token.sender(bob).set_fee_bps(1);
    let err = w.join(bob, eth(1)).unwrap_err();
    assert!(matches!(err, rate_vault::Error::AssetShortfall(_)), "{err:?}");
    assert_eq!(w.state().0, U256::ZERO);
}

/// An sDAI/sUSDS-style savings vault: an ERC-4626 whose value rises a
/// little with every block (here 200 drips of a 5 %/yr rate on 1,000 units
/// between the members' calls). Harvests deliver the drip, every exit pays
/// its principal exactly, and the ledger stays backed.
#[test]
fn a_savings_rate_source_that_drips_every_block_pays_exact_exits() {
    let _serial = common::serial();
    let keeper = common::tag("keeper");
    let env = Env::deploy(&Config::default());
    let members: Vec<Address> = (1..=4).map(account).collect();
    for (i, m) in members.iter().enumerate() {
        env.join(*m, eth(250) + U256::from(i * 13), 0);
    }
    // 5 %/yr on 1,000 is about 1.6e12 units per 1-second block.
    let drip = U256::from(1_585_489_599_188u64);
    let mut delivered = U256::ZERO;
    for block in 0..200u64 {
        env.gain(drip);
        if block % 50 == 49 {
            let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
            delivered += credits + tip;
        }
    }
    let dripped = drip * U256::from(200u64);
    // All of it but two source shares kept back and each harvest's rounding.
    let slack = (env.one_share() * U256::from(2u64) + U256::from(2u64)) * U256::from(5u64);
    assert!(delivered <= dripped && dripped - delivered <= slack, "{delivered} of {dripped}");
    for m in &members {
        let principal = env.principal_of(*m);
        assert_eq!(env.vault.sender(*m).withdraw(principal, *m).motsu_unwrap(), principal);
        assert_eq!(env.balance(*m), principal);
    }
    env.assert_backed();
}
