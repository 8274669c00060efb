//! Property tests of the ledger: random sequences of top-ups, escrows,
//! releases, settlements and redemptions keep every credit backed and end
//! every escrow exactly once, checked after every operation against a model.
//!
//! Each case deploys fresh contracts (`Contract::new()` at random addresses);
//! motsu keys its state by test thread and drops a contract's storage with
//! it, so cases do not see each other.
#![allow(clippy::too_many_lines, reason = "the model's step function is one match")]

use crate::common::{self, account, Config, Env, ETH};
use alloy_primitives::{Address, U256};
use compute_credits::Error as L;
use motsu::prelude::*;
use proptest::prelude::*;

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
    #![proptest_config(ProptestConfig { cases: 7_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ledger_escrows_stay_backed_and_end_once(ops in prop::collection::vec(ledger_op(), 1..60)) {
        run_ledger_case(&ops);
    }
}
