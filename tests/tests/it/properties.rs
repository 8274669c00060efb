//! Property tests: random sequences of operations over a few members keep
//! the design's invariants, checked after every operation against a small
//! model of who should earn what.
//!
//! Each case deploys fresh contracts (`Contract::new()` at random addresses);
//! motsu keys its state by test thread and drops a contract's storage with
//! it, so cases do not see each other.
#![allow(clippy::too_many_lines, reason = "the model's step function is one match")]

use crate::common::{self, account, Config, Env, ETH};
use alloy_primitives::{Address, U256};
use compute_credits::Error as L;
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::{extensions::IErc4626, IErc20};
use proptest::prelude::*;
use vault::LossReported;

/// Members of the property tests.
const MEMBERS: usize = 4;

/// One operation on the vault.
#[derive(Clone, Debug)]
enum Op {
    Deposit {
        who: usize,
        amount: u128,
    },
    /// Withdraw `permille` of the member's principal.
    Withdraw {
        who: usize,
        permille: u16,
    },
    /// Send `permille` of `from`'s shares to `to`.
    Transfer {
        from: usize,
        to: usize,
        permille: u16,
    },
    Gain {
        amount: u128,
    },
    /// The source loses `bps` of its assets.
    Loss {
        bps: u16,
    },
    Harvest,
    Claim {
        who: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..MEMBERS;
    prop_oneof![
        4 => (who.clone(), 1u128..=10u128.pow(21)).prop_map(|(who, amount)| Op::Deposit { who, amount }),
        3 => (who.clone(), 1u16..=1000).prop_map(|(who, permille)| Op::Withdraw { who, permille }),
        2 => (who.clone(), who.clone(), 1u16..=1000)
            .prop_map(|(from, to, permille)| Op::Transfer { from, to, permille }),
        3 => (1u128..=10u128.pow(20)).prop_map(|amount| Op::Gain { amount }),
        1 => (1u16..=300).prop_map(|bps| Op::Loss { bps }),
        3 => Just(Op::Harvest),
        2 => who.prop_map(|who| Op::Claim { who }),
    ]
}

/// The sum of per-member amounts.
fn sum(of: &[U256; MEMBERS]) -> U256 {
    of.iter().fold(U256::ZERO, |a, b| a + b)
}

/// Who should have earned what.
#[derive(Default)]
struct Model {
    principal: [U256; MEMBERS],
    /// Credits each member should have earned (each harvest's share rounded
    /// down).
    expected: [U256; MEMBERS],
    claimed: [U256; MEMBERS],
    /// Operations that brought each member's record up to date (each may
    /// round down once).
    touches: [u64; MEMBERS],
    /// Harvests that delivered credits (explicit or run by a deposit).
    harvests: u64,
    delivered: U256,
}

impl Model {
    /// Shares `credits` over the members by principal, as a harvest does.
    fn distribute(&mut self, credits: U256) {
        let total = sum(&self.principal);
        if credits.is_zero() || total.is_zero() {
            return;
        }
        for i in 0..MEMBERS {
            self.expected[i] += credits * self.principal[i] / total;
        }
        self.harvests += 1;
    }
}

/// Per-case configuration.
fn config() -> impl Strategy<Value = (bool, u16, u16, u128)> {
    (
        any::<bool>(),
        prop_oneof![Just(0u16), Just(1), Just(50), Just(500)],
        0u16..=100,
        0u128..=10u128.pow(18),
    )
}

/// `principal` plus the loss buffer of `buffer_bps` (rounded up).
fn floor_of(principal: U256, buffer_bps: u16) -> U256 {
    principal + (principal * U256::from(buffer_bps)).div_ceil(U256::from(10_000))
}

/// Runs `ops` on a fresh deployment and checks the invariants after each.
///
/// With `strict`, a harvest must leave the source worth at least the
/// principal whenever it was worth principal + buffer before. Without it, the
/// check allows what the contract does today: the source's `withdraw` rounds
/// the shares it burns up, so a harvest may take up to one source share's
/// worth (plus one unit) of principal (a known bug, see
/// `harvest_never_touches_principal_strict`).
fn run_vault_case(
    fixed: bool,
    buffer_bps: u16,
    tip_bps: u16,
    max_tip: u128,
    ops: &[Op],
    strict: bool,
) {
    let _serial = common::serial();
    let community = account(0xC0);
    let keeper = account(0x99);
    let cfg = Config {
        fixed: if fixed { community } else { Address::ZERO },
        tip_bps,
        max_tip: U256::from(max_tip),
        buffer_bps,
        ..Config::default()
    };
    let env = Env::deploy(&cfg);
    let members: Vec<Address> = (1..=MEMBERS as u64).map(account).collect();
    for m in &members {
        env.fund(*m, U256::ZERO);
    }
    let mut model = Model::default();
    let mut tipped = U256::ZERO;

    for op in ops {
        // What one source share is worth, rounded up: the most the source's
        // rounding can move in one call.
        let share = env.source.sender(keeper).preview_mint(U256::from(1)).motsu_unwrap();
        match *op {
            Op::Deposit { who, amount } => {
                let m = members[who];
                let amount = U256::from(amount);
                let (value, principal) = (env.value(), env.principal());
                let (surplus, reserve) = (env.surplus(), env.reserve());
                let community_credits = env.spendable(community);
                env.asset.sender(m).mint(m, amount).motsu_unwrap();
                env.vault.sender(m).deposit(amount, Address::ZERO, 0).motsu_unwrap();
                // A deposit first harvests, untipped, for the members
                // already in (when members choose their beneficiaries).
                let skimmable = if fixed || principal.is_zero() { U256::ZERO } else { surplus };
                // It redeems whole source shares worth at most the surplus:
                // what rounding leaves (under one share) stays for later.
                let credits = env.reserve() - reserve;
                assert!(
                    credits <= skimmable,
                    "the deposit's own harvest took {credits} > {skimmable}"
                );
                assert!(
                    skimmable - credits <= share + U256::from(1),
                    "the deposit's own harvest left {credits} of {skimmable}"
                );
                assert_eq!(env.spendable(community), community_credits);
                model.distribute(credits);
                model.delivered += credits;
                model.principal[who] += amount;
                model.touches[who] += 1;
                if !strict && value >= floor_of(principal, buffer_bps) {
                    // The harvest's and the source deposit's rounding, at
                    // most a share each.
                    let slack = share * U256::from(2) + U256::from(2);
                    assert!(env.value() + slack >= env.principal(), "deposit lost principal");
                }
            }
            Op::Withdraw { who, permille } => {
                let m = members[who];
                let amount = env.principal_of(m) * U256::from(permille) / U256::from(1000);
                if amount.is_zero() {
                    continue;
                }
                let (value, total) = (env.value(), env.principal());
                let before = env.balance(m);
                let paid = env.vault.sender(m).withdraw(amount, m).motsu_unwrap();
                let expected = if value >= total { amount } else { amount * value / total };
                assert_eq!(paid, expected, "withdraw paid {paid}, expected {expected}");
                assert_eq!(env.balance(m), before + paid);
                model.principal[who] -= amount;
                model.touches[who] += 1;
            }
            Op::Transfer { from, to, permille } => {
                let (f, t) = (members[from], members[to]);
                let amount = env.principal_of(f) * U256::from(permille) / U256::from(1000);
                assert!(env.vault.sender(f).transfer(t, amount).motsu_unwrap());
                model.principal[from] -= amount;
                model.principal[to] += amount;
                model.touches[from] += 1;
                model.touches[to] += 1;
            }
            Op::Gain { amount } => env.gain(U256::from(amount)),
            Op::Loss { bps } => {
                let loss = env.source_assets() * U256::from(bps) / U256::from(10_000);
                env.lose(loss);
            }
            Op::Harvest => {
                let (value, principal) = (env.value(), env.principal());
                let floor = floor_of(principal, buffer_bps);
                let reserve = env.reserve();
                let (credits, tip) = env.vault.sender(keeper).harvest().motsu_unwrap();
                let after = env.value();
                tipped += tip;
                assert_eq!(env.balance(keeper), tipped, "the tip goes to the caller");
                assert!(tip <= U256::from(max_tip), "tip {tip} over the cap");
                if value < principal {
                    assert!(env.vault.emitted(&LossReported { value, principal }));
                }
                if value <= floor || (!fixed && principal.is_zero()) {
                    assert_eq!((credits, tip), (U256::ZERO, U256::ZERO));
                    assert_eq!(after, value, "a harvest with nothing to skim moved value");
                } else {
                    let surplus = value - floor;
                    // Whole source shares worth at most the surplus; the
                    // rounding (under one share) stays for the next harvest.
                    assert!(credits + tip <= surplus, "harvest skimmed more than the surplus");
                    assert!(
                        surplus - (credits + tip) <= share + U256::from(1),
                        "harvest left too much"
                    );
                    let slack = if strict { U256::ZERO } else { share + U256::from(1) };
                    assert!(
                        after + slack >= principal,
                        "harvest touched principal: {value} -> {after} < {principal} (buffer {buffer_bps})"
                    );
                }
                model.delivered += credits;
                if fixed {
                    assert_eq!(env.reserve(), reserve, "fixed: credits are minted at once");
                } else {
                    assert_eq!(env.reserve(), reserve + credits);
                    model.distribute(credits);
                }
            }
            Op::Claim { who } => {
                let m = members[who];
                let got = env.vault.sender(keeper).claim(m).motsu_unwrap();
                if fixed {
                    assert_eq!(got, U256::ZERO);
                }
                model.claimed[who] += got;
                model.touches[who] += 1;
            }
        }
        check_invariants(&env, &members, &model, fixed, community);
    }

    // Everyone claims: the delivered credits are all accounted for, each
    // member within a unit per rounding of their share.
    for (i, m) in members.iter().enumerate() {
        model.claimed[i] += env.vault.sender(keeper).claim(*m).motsu_unwrap();
        model.touches[i] += 1;
    }
    let claimed = sum(&model.claimed);
    if fixed {
        assert_eq!(env.spendable(community), model.delivered);
        assert_eq!(claimed, U256::ZERO);
    } else {
        assert!(
            claimed <= model.delivered,
            "claims {claimed} exceed delivered {}",
            model.delivered
        );
        assert_eq!(env.reserve(), model.delivered - claimed);
        let mut slack = U256::ZERO;
        for (i, m) in members.iter().enumerate() {
            let tol = U256::from(model.touches[i] + model.harvests + 1);
            let (got, want) = (model.claimed[i], model.expected[i]);
            assert!(
                got.abs_diff(want) <= tol,
                "member {i}: claimed {got}, expected {want} (tol {tol})"
            );
            slack += tol;
            assert_eq!(env.spendable(*m), got);
        }
        assert!(
            model.delivered - claimed <= slack,
            "credits lost to rounding: {claimed} of {}",
            model.delivered
        );
    }
    check_invariants(&env, &members, &model, fixed, community);
}

/// The invariants that hold after every operation.
fn check_invariants(
    env: &Env,
    members: &[Address],
    model: &Model,
    fixed: bool,
    community: Address,
) {
    // Principal adds up, member by member.
    env.assert_principal_adds_up(members);
    for (i, m) in members.iter().enumerate() {
        assert_eq!(env.principal_of(*m), model.principal[i]);
    }
    // Withdrawable never exceeds principal, and equals it without a loss.
    let (value, total) = (env.value(), env.principal());
    for m in members {
        let principal = env.principal_of(*m);
        let w = env.withdrawable(*m);
        assert!(w <= principal);
        if value >= total {
            assert_eq!(w, principal);
        }
    }
    // Credits: the ledger is backed, and what was delivered is either in the
    // reserve or minted to beneficiaries.
    let (held, owed) = env.assert_backed();
    assert_eq!(held, owed, "no asset reaches the ledger except as credits");
    let minted = if fixed { env.spendable(community) } else { sum(&model.claimed) };
    assert_eq!(env.reserve() + minted, model.delivered);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn vault_invariants_hold_under_random_operations(
        (fixed, buffer_bps, tip_bps, max_tip) in config(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        run_vault_case(fixed, buffer_bps, tip_bps, max_tip, &ops, false);
    }

    /// The design's invariant as stated: a harvest never touches principal.
    /// Fails today (e.g. a gain before the first deposit makes the source's
    /// shares coarse; harvest with buffer 0 then takes principal).
    /// Deposits are not checked here: the source rounds the shares a
    /// deposit mints down, which is not the harvest's doing.
    #[test]
    fn harvest_never_touches_principal_strict(
        (fixed, buffer_bps, tip_bps, max_tip) in config(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        run_vault_case(fixed, buffer_bps, tip_bps, max_tip, &ops, true);
    }
}

/// One operation on the ledger alone.
#[derive(Clone, Debug)]
enum LedgerOp {
    TopUp { who: usize, amount: u64 },
    Escrow { spender: usize, payer: usize, amount: u64 },
    Release { spender: usize, escrow: usize, payee: usize, amount: u64 },
    Close { spender: usize, escrow: usize },
    Settle { spender: usize, escrow: usize, payee: usize, amount: u64 },
    Redeem { who: usize, amount: u64 },
}

fn ledger_op() -> impl Strategy<Value = LedgerOp> {
    let who = 0..3usize;
    let spender = 0..2usize;
    let escrow = 0..8usize;
    let amount = 0u64..=2_000;
    prop_oneof![
        2 => (who.clone(), 1u64..=1_000).prop_map(|(who, amount)| LedgerOp::TopUp { who, amount }),
        3 => (spender.clone(), who.clone(), amount.clone())
            .prop_map(|(spender, payer, amount)| LedgerOp::Escrow { spender, payer, amount }),
        3 => (spender.clone(), escrow.clone(), who.clone(), amount.clone())
            .prop_map(|(spender, escrow, payee, amount)| LedgerOp::Release { spender, escrow, payee, amount }),
        2 => (spender.clone(), escrow.clone()).prop_map(|(spender, escrow)| LedgerOp::Close { spender, escrow }),
        2 => (spender, escrow, who.clone(), amount.clone())
            .prop_map(|(spender, escrow, payee, amount)| LedgerOp::Settle { spender, escrow, payee, amount }),
        1 => (who, amount).prop_map(|(who, amount)| LedgerOp::Redeem { who, amount }),
    ]
}

/// The model of one escrow.
struct EscrowModel {
    payer: usize,
    spender: usize,
    escrowed: U256,
    released: U256,
    open: bool,
}

fn run_ledger_case(ops: &[LedgerOp]) {
    let _serial = common::serial();
    let env = Env::deploy(&Config::default());
    let accounts: Vec<Address> = (1..=3u64).map(account).collect();
    let spenders = [account(0xB1), account(0xB2)];
    for s in spenders {
        env.grant_spender(s);
    }
    for a in &accounts {
        env.fund(*a, ETH);
    }
    let ledger = &env.ledger;
    let mut spendable = [U256::ZERO; 3];
    let mut earned = [U256::ZERO; 3];
    let mut escrows: Vec<EscrowModel> = Vec::new();

    for op in ops {
        match *op {
            LedgerOp::TopUp { who, amount } => {
                let amount = U256::from(amount);
                assert_eq!(
                    ledger.sender(accounts[who]).top_up(accounts[who], amount).motsu_unwrap(),
                    amount
                );
                spendable[who] += amount;
            }
            LedgerOp::Escrow { spender, payer, amount } => {
                let amount = U256::from(amount);
                let res =
                    ledger.sender(spenders[spender]).escrow(accounts[payer], amount).motsu_res();
                if amount.is_zero() {
                    assert!(matches!(res, Err(L::ZeroAmount(_))), "{res:?}");
                } else if amount > spendable[payer] {
                    assert!(matches!(res, Err(L::InsufficientCredits(_))), "{res:?}");
                } else {
                    assert_eq!(res.unwrap(), escrows.len() as u64);
                    spendable[payer] -= amount;
                    escrows.push(EscrowModel {
                        payer,
                        spender,
                        escrowed: amount,
                        released: U256::ZERO,
                        open: true,
                    });
                }
            }
            LedgerOp::Release { spender, escrow, payee, amount }
            | LedgerOp::Settle { spender, escrow, payee, amount } => {
                let settle = matches!(op, LedgerOp::Settle { .. });
                let amount = U256::from(amount);
                let mut call = ledger.sender(spenders[spender]);
                let res = if settle {
                    call.settle(escrow as u64, accounts[payee], amount).map(|_| ())
                } else {
                    call.release(escrow as u64, accounts[payee], amount)
                }
                .motsu_res();
                let e = escrows.get_mut(escrow);
                let skip_release = settle && amount.is_zero();
                match e {
                    None => assert!(matches!(res, Err(L::EscrowNotOpen(_))), "{res:?}"),
                    Some(e) if !e.open => {
                        assert!(matches!(res, Err(L::EscrowNotOpen(_))), "{res:?}");
                    }
                    Some(e) if e.spender != spender => {
                        assert!(matches!(res, Err(L::NotEscrowSpender(_))), "{res:?}");
                    }
                    Some(e) if !skip_release && amount > e.escrowed - e.released => {
                        assert!(matches!(res, Err(L::ExceedsEscrow(_))), "{res:?}");
                    }
                    Some(e) => {
                        res.unwrap();
                        e.released += amount;
                        earned[payee] += amount;
                        if settle {
                            e.open = false;
                            spendable[e.payer] += e.escrowed - e.released;
                        }
                    }
                }
            }
            LedgerOp::Close { spender, escrow } => {
                let res = ledger.sender(spenders[spender]).close(escrow as u64).motsu_res();
                match escrows.get_mut(escrow) {
                    None => assert!(matches!(res, Err(L::EscrowNotOpen(_))), "{res:?}"),
                    Some(e) if !e.open => {
                        assert!(matches!(res, Err(L::EscrowNotOpen(_))), "{res:?}");
                    }
                    Some(e) if e.spender != spender => {
                        assert!(matches!(res, Err(L::NotEscrowSpender(_))), "{res:?}");
                    }
                    Some(e) => {
                        let refund = res.unwrap();
                        assert_eq!(refund, e.escrowed - e.released);
                        e.open = false;
                        spendable[e.payer] += refund;
                    }
                }
            }
            LedgerOp::Redeem { who, amount } => {
                let amount = U256::from(amount);
                let a = accounts[who];
                let before = env.balance(a);
                let res = ledger.sender(a).redeem(amount, a).motsu_res();
                if amount.is_zero() {
                    assert!(matches!(res, Err(L::ZeroAmount(_))), "{res:?}");
                } else if amount > earned[who] {
                    assert!(matches!(res, Err(L::InsufficientEarned(_))), "{res:?}");
                } else {
                    res.unwrap();
                    earned[who] -= amount;
                    assert_eq!(env.balance(a), before + amount);
                }
            }
        }

        // The ledger matches the model and stays fully backed.
        let mut open_total = U256::ZERO;
        for (id, e) in escrows.iter().enumerate() {
            assert!(e.released <= e.escrowed);
            let (payer, spender, remaining, open) = ledger.sender(accounts[0]).escrow_of(id as u64);
            assert_eq!((payer, spender, open), (accounts[e.payer], spenders[e.spender], e.open));
            let left = if e.open { e.escrowed - e.released } else { U256::ZERO };
            assert_eq!(remaining, left);
            open_total += left;
        }
        assert_eq!(ledger.sender(accounts[0]).escrow_count(), escrows.len() as u64);
        assert_eq!(ledger.sender(accounts[0]).total_escrowed(), open_total);
        for i in 0..3 {
            assert_eq!(env.spendable(accounts[i]), spendable[i]);
            assert_eq!(env.earned(accounts[i]), earned[i]);
        }
        let owed = spendable.iter().chain(earned.iter()).fold(open_total, |a, b| a + b);
        let (held, ledger_owed) = env.assert_backed();
        assert_eq!(ledger_owed, owed);
        assert_eq!(held, owed, "top-ups and redemptions are the only asset flows");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ledger_escrows_stay_backed_and_end_once(ops in prop::collection::vec(ledger_op(), 1..60)) {
        run_ledger_case(&ops);
    }
}
