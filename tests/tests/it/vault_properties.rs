//! Property tests of the vault: random sequences of deposits (flash deposits
//! included), withdrawals, share transfers, gains, losses, harvests and
//! claims keep the design's invariants, checked after every operation
//! against a small model of who should earn what.
//!
//! Each case deploys fresh contracts (`Contract::new()` at random addresses);
//! motsu keys its state by test thread and drops a contract's storage with
//! it, so cases do not see each other.
#![allow(clippy::too_many_lines, reason = "the model's step function is one match")]

use crate::common::{self, account, Config, Env};
use alloy_primitives::{Address, U256};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::IErc20;
use proptest::prelude::*;
use vault::{Error as V, LossReported};

/// Members of the property tests.
const MEMBERS: usize = 4;

/// One operation on the vault.
#[derive(Clone, Debug)]
enum Op {
    Deposit {
        who: usize,
        amount: u128,
    },
    /// Deposit `amount`, harvest and withdraw it all again at once.
    FlashDeposit {
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
        1 => (who.clone(), 1u128..=10u128.pow(23)).prop_map(|(who, amount)| Op::FlashDeposit { who, amount }),
        3 => (who.clone(), 1u16..=1000).prop_map(|(who, permille)| Op::Withdraw { who, permille }),
        3 => (who.clone(), who.clone(), 1u16..=1000)
            .prop_map(|(from, to, permille)| Op::Transfer { from, to, permille }),
        3 => (1u128..=10u128.pow(20)).prop_map(|amount| Op::Gain { amount }),
        1 => (1u16..=300).prop_map(|bps| Op::Loss { bps }),
        3 => Just(Op::Harvest),
        2 => who.prop_map(|who| Op::Claim { who }),
    ]
}

/// Per-case configuration: fixed beneficiary, buffer, tip, tip cap.
fn config() -> impl Strategy<Value = (bool, u16, u16, u128)> {
    (
        any::<bool>(),
        prop_oneof![Just(0u16), Just(1), Just(50), Just(500)],
        0u16..=100,
        0u128..=10u128.pow(18),
    )
}

/// The sum of per-member amounts.
fn sum(of: &[U256; MEMBERS]) -> U256 {
    of.iter().fold(U256::ZERO, |a, b| a + b)
}

/// Who should have earned what.
#[derive(Default)]
struct Model {
    principal: [U256; MEMBERS],
    /// Credits each member should have earned: each harvest shared by the
    /// principal held when it ran, rounded down.
    expected: [U256; MEMBERS],
    claimed: [U256; MEMBERS],
    /// Operations that brought each member's record up to date (each may
    /// round down once).
    touches: [u64; MEMBERS],
    /// Times credits were shared out (by a harvest, or before a deposit,
    /// withdrawal or transfer).
    harvests: u64,
    /// Credits delivered to the ledger.
    delivered: U256,
}

impl Model {
    /// Shares `credits` over the members by principal, as the vault's
    /// accumulator does.
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

/// One case: the deployment, its members and the model.
struct Case {
    env: Env,
    members: Vec<Address>,
    model: Model,
    fixed: bool,
    community: Address,
    keeper: Address,
}

impl Case {
    fn new(fixed: bool, buffer_bps: u16, tip_bps: u16, max_tip: u128) -> Self {
        let community = account(0xC0);
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
        Self { env, members, model: Model::default(), fixed, community, keeper: account(0x99) }
    }

    /// Credits a deposit, withdrawal or transfer shared out before it
    /// moved principal (`before` is what was undelivered and `surplus` what
    /// was harvestable, read before the call), shared by the principal
    /// before the call moved any. Nothing is delivered: the reserve stays.
    ///
    /// Review M-2 as an invariant: in vaults whose members choose their
    /// beneficiaries, principal never moves while harvestable yield waits
    /// (all of the surplus is shared out first), so no yield reaches a
    /// holder that did not hold while it accrued.
    fn pre_harvest(&mut self, before: (U256, U256, U256), surplus: U256) {
        let (owed, tips, reserve) = before;
        let (owed_now, tips_now) = self.env.undelivered();
        assert_eq!(self.env.reserve(), reserve, "sharing out delivered something");
        if self.fixed {
            assert_eq!((owed_now, tips_now), (owed, tips), "a fixed vault shares out at harvests");
            return;
        }
        let (shared, tipped) = (owed_now - owed, tips_now - tips);
        if sum(&self.model.principal).is_zero() {
            assert_eq!(shared + tipped, U256::ZERO, "shared out with nobody holding");
        } else {
            assert_eq!(shared + tipped, surplus, "principal moved with yield waiting");
        }
        self.model.distribute(shared);
    }

    /// What [`Self::pre_harvest`] compares with.
    fn undelivered(&self) -> (U256, U256, U256) {
        let (owed, tips) = self.env.undelivered();
        (owed, tips, self.env.reserve())
    }

    /// Whether a deposit or an exit now can be exact: the value above
    /// principal, once the surplus is shared out, covers one rounding of the
    /// source, and a second one while anything is owed (its delivery's).
    fn can_be_exact(&self, share: U256) -> bool {
        let env = &self.env;
        let (value, principal, surplus) = (env.value(), env.principal(), env.surplus());
        let (owed, tips) = env.undelivered();
        if value < principal {
            return false;
        }
        let shared = if self.fixed { U256::ZERO } else { surplus };
        let room = if (owed + tips + shared).is_zero() { share } else { share * U256::from(2) };
        value - principal - shared >= room
    }

    fn deposit(&mut self, who: usize, amount: U256, share: U256) -> bool {
        let exact = self.can_be_exact(share);
        let (env, m) = (&self.env, self.members[who]);
        let (value, principal) = (env.value(), env.principal());
        let (surplus, undelivered) = (env.surplus(), self.undelivered());
        env.asset.sender(m).mint(m, amount).motsu_unwrap();
        let before = env.snapshot(&self.members);
        let res = env.vault.sender(m).deposit(amount, Address::ZERO, 0).motsu_res();
        match res {
            Err(V::SourceAtLoss(e)) => {
                // Review M-1: new principal never absorbs a loss.
                assert!(value < principal, "refused at value {value} >= {principal}");
                assert_eq!((e.value, e.principal), (value, principal));
                assert_eq!(env.snapshot(&self.members), before, "a refused deposit moved state");
                return false;
            }
            Err(V::SourceShortfall(e)) => {
                // Review L-4: the source credited less than rounding allows.
                assert!(!vault::accrual::credited_enough(amount, e.credited), "{e:?}");
                assert_eq!(env.snapshot(&self.members), before, "a refused deposit moved state");
                return false;
            }
            Err(other) => panic!("deposit of {amount} refused: {other:?}"),
            Ok(()) => {}
        }
        assert!(value >= principal, "a deposit went in at a loss");
        self.pre_harvest(undelivered, surplus);
        let minted = self.env.principal_of(m) - self.model.principal[who];
        // Exact when the value above principal covers the source's
        // rounding; otherwise the dust is the depositor's.
        assert!(minted <= amount);
        if exact {
            assert_eq!(minted, amount, "an exact deposit minted {minted} of {amount}");
        } else {
            assert!(vault::accrual::credited_enough(amount, minted), "minted {minted} of {amount}");
        }
        self.model.principal[who] += minted;
        self.model.touches[who] += 1;
        true
    }

    fn withdraw(&mut self, who: usize, amount: U256, share: U256) -> U256 {
        let exact = self.can_be_exact(share);
        let (env, m) = (&self.env, self.members[who]);
        let (value, total) = (env.value(), env.principal());
        let (surplus, undelivered) = (env.surplus(), self.undelivered());
        let before = env.balance(m);
        let paid = env.vault.sender(m).withdraw(amount, m).motsu_unwrap();
        assert_eq!(env.balance(m), before + paid);
        let owed = if value >= total { amount } else { amount * value / total };
        // Review I-4: each leaver bears at most one source share of the
        // source's rounding, and only when nothing above principal covers
        // it; nobody ever gets more than owed.
        assert!(paid <= owed, "paid {paid} > owed {owed}");
        if exact {
            assert_eq!(paid, owed, "an exit with room for rounding was not exact");
        } else {
            assert!(owed - paid <= share, "exit paid {paid} of {owed} (one share {share})");
        }
        self.pre_harvest(undelivered, surplus);
        self.model.principal[who] -= amount;
        self.model.touches[who] += 1;
        paid
    }

    fn step(&mut self, op: &Op) {
        let env = &self.env;
        let share = env.one_share();
        let whole = env.value() >= env.principal();
        match *op {
            Op::Deposit { who, amount } => {
                self.deposit(who, U256::from(amount), share);
            }
            Op::FlashDeposit { who, amount } => {
                let m = self.members[who];
                let (pending, expected) = (self.env.pending_credits(m), self.model.expected[who]);
                let principal = self.model.principal[who];
                if !self.deposit(who, U256::from(amount), share) {
                    return;
                }
                let added = self.model.principal[who] - principal;
                self.harvest();
                let share = self.env.one_share();
                self.withdraw(who, added, share);
                // The flash principal took only what the model gives it:
                // yield shared while it was held, which is rounding here.
                let gained = self.env.pending_credits(m) - pending;
                let modelled = self.model.expected[who] - expected;
                assert!(gained <= modelled + U256::from(3), "flash deposit earned {gained}");
            }
            Op::Withdraw { who, permille } => {
                let amount =
                    env.principal_of(self.members[who]) * U256::from(permille) / U256::from(1000);
                if !amount.is_zero() {
                    self.withdraw(who, amount, share);
                }
            }
            Op::Transfer { from, to, permille } => {
                let (f, t) = (self.members[from], self.members[to]);
                let amount = env.principal_of(f) * U256::from(permille) / U256::from(1000);
                let (surplus, undelivered) = (env.surplus(), self.undelivered());
                assert!(env.vault.sender(f).transfer(t, amount).motsu_unwrap());
                self.pre_harvest(undelivered, surplus);
                self.model.principal[from] -= amount;
                self.model.principal[to] += amount;
                self.model.touches[from] += 1;
                self.model.touches[to] += 1;
            }
            Op::Gain { amount } => env.gain(U256::from(amount)),
            Op::Loss { bps } => {
                let loss = env.source_assets() * U256::from(bps) / U256::from(10_000);
                env.lose(loss);
            }
            Op::Harvest => self.harvest(),
            Op::Claim { who } => self.claim(who),
        }
        // Only the source's own loss takes the vault below its principal.
        if whole && !matches!(op, Op::Loss { .. }) {
            let (value, principal) = (self.env.value(), self.env.principal());
            assert!(value >= principal, "{op:?} took principal: {value} < {principal}");
        }
        self.check_invariants();
    }

    /// A harvest shares out the surplus and delivers all that is owed, the
    /// tips held to the caller (at most the tip cap).
    fn harvest(&mut self) {
        let env = &self.env;
        let (value, principal, surplus) = (env.value(), env.principal(), env.surplus());
        let (owed, tips) = env.undelivered();
        let (reserve, tipped) = (env.reserve(), env.balance(self.keeper));
        let (credits, tip) = env.vault.sender(self.keeper).harvest().motsu_unwrap();
        assert_eq!(env.balance(self.keeper), tipped + tip, "the tip goes to the caller");
        assert!(tip <= env.params().1, "tip {tip} over the cap");
        if value < principal {
            assert!(env.vault.emitted(&LossReported { value, principal }));
        }
        let fresh = if !self.fixed && principal.is_zero() { U256::ZERO } else { surplus };
        assert_eq!(credits + tip, fresh + owed + tips, "a harvest delivers all there is");
        assert_eq!(env.undelivered(), (U256::ZERO, U256::ZERO));
        if self.fixed {
            assert_eq!(env.reserve(), reserve, "fixed: credits are minted at once");
        } else {
            assert_eq!(env.reserve(), reserve + credits);
            self.model.distribute(credits - owed);
        }
        self.model.delivered += credits;
    }

    /// A claim mints the member's credits, delivering what is owed first
    /// when the reserve is short.
    fn claim(&mut self, who: usize) {
        let m = self.members[who];
        let (owed, tips, reserve) = self.undelivered();
        let tipped = self.env.balance(self.keeper);
        let got = self.env.vault.sender(self.keeper).claim(m).motsu_unwrap();
        if self.fixed {
            assert_eq!(got, U256::ZERO);
        }
        let (owed_now, tips_now) = self.env.undelivered();
        let delivered = self.env.reserve() + got - reserve;
        assert_eq!(delivered, owed - owed_now, "a claim delivers only what was owed");
        // A claim that delivers takes the tips held out with it (one
        // withdrawal, one rounding) and pays them to its caller.
        let tip = if owed_now < owed { tips } else { U256::ZERO };
        assert_eq!(tips_now, tips - tip, "a delivering claim left tips behind");
        assert_eq!(self.env.balance(self.keeper), tipped + tip, "the tip goes to the caller");
        self.model.delivered += delivered;
        self.model.claimed[who] += got;
        self.model.touches[who] += 1;
    }

    /// The invariants that hold after every operation.
    fn check_invariants(&self) {
        let env = &self.env;
        env.assert_principal_adds_up(&self.members);
        for (i, m) in self.members.iter().enumerate() {
            assert_eq!(env.principal_of(*m), self.model.principal[i]);
        }
        // Withdrawable never exceeds principal, and equals it without a loss.
        let (value, total) = (env.value(), env.principal());
        for m in &self.members {
            let (principal, w) = (env.principal_of(*m), env.withdrawable(*m));
            assert!(w <= principal);
            if value >= total {
                assert_eq!(w, principal);
            }
        }
        // The ledger is backed, and what was delivered is either in the
        // reserve or minted to beneficiaries.
        let (held, owed) = env.assert_backed();
        assert_eq!(held, owed, "no asset reaches the ledger except as credits");
        let minted =
            if self.fixed { env.spendable(self.community) } else { sum(&self.model.claimed) };
        assert_eq!(env.reserve() + minted, self.model.delivered);
    }

    /// Everyone claims: the delivered credits are all accounted for, each
    /// member within a unit per rounding of their share.
    fn finish(mut self) {
        for i in 0..MEMBERS {
            self.claim(i);
        }
        let (env, model) = (&self.env, &self.model);
        let claimed = sum(&model.claimed);
        if self.fixed {
            assert_eq!(env.spendable(self.community), model.delivered);
            assert_eq!(claimed, U256::ZERO);
        } else {
            assert!(claimed <= model.delivered, "claims {claimed} > delivered {}", model.delivered);
            assert_eq!(env.reserve(), model.delivered - claimed);
            let mut slack = U256::ZERO;
            for (i, m) in self.members.iter().enumerate() {
                let tol = U256::from(model.touches[i] + model.harvests + 1);
                let (got, want) = (model.claimed[i], model.expected[i]);
                assert!(got.abs_diff(want) <= tol, "member {i}: claimed {got}, expected {want}");
                slack += tol;
                assert_eq!(env.spendable(*m), got);
            }
            assert!(model.delivered - claimed <= slack, "credits lost to rounding");
        }
        self.check_invariants();
    }
}

/// Runs `ops` on a fresh deployment and checks the invariants after each.
fn run_vault_case(fixed: bool, buffer_bps: u16, tip_bps: u16, max_tip: u128, ops: &[Op]) {
    let _serial = common::serial();
    let mut case = Case::new(fixed, buffer_bps, tip_bps, max_tip);
    for op in ops {
        case.step(op);
    }
    case.finish();
}

/// Cases of the vault's property test: `PROPTEST_CASES` when set, else the
/// share of the 10,000-case suite that CI runs.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(VAULT_CASES)
}

/// The vault's share of the property suite's cases.
const VAULT_CASES: u32 = 1_500;

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// The design's invariants: a member gets their principal back except
    /// pro rata under a reported loss (or one source share of the source's
    /// own rounding); no operation but the source's loss takes the vault
    /// below its principal; yield is shared by the principal held while it
    /// accrued; the ledger stays backed.
    #[test]
    fn vault_invariants_hold_under_random_operations(
        (fixed, buffer_bps, tip_bps, max_tip) in config(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        run_vault_case(fixed, buffer_bps, tip_bps, max_tip, &ops);
    }
}
