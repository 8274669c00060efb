//! Shared setup for the cross-contract motsu tests: deploys the asset
//! (`MockErc20`), the yield source (`MockErc4626`), the credit ledger and the
//! vault, wires them, and offers snapshots of the state that the tests
//! compare before and after a call.

use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy_primitives::{uint, Address, B256, U256};
use compute_credits::CreditLedger;
use contract_kit::roles::{SPENDER_ROLE, VAULT_ROLE};
use motsu::prelude::*;
use openzeppelin_stylus::{
    access::control::IAccessControl,
    token::erc20::{extensions::IErc4626, IErc20},
};
use tests::doubles::{MockErc20, MockErc4626};
use vault::Vault;

/// Serialises the tests of one test binary.
///
/// motsu keeps every test thread's chain state in one global `DashMap` and
/// copies a thread's whole state, under the map's shard lock, on every call;
/// a thread that finds its shard locked for more than ~10 ms panics ("storage
/// is locked") inside an `extern "C"` shim, which aborts the whole binary.
/// Two tests on threads whose states share a shard can hit that (seen under
/// load), so each test is a plain `#[test]` that takes this lock before it
/// touches motsu at all (`#[motsu::test]` would deploy and drop its
/// precompile outside it). The tests take seconds in total.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A test account named `name` (motsu shows the name in its messages).
pub(crate) fn tag(name: &str) -> Address {
    <Address as FromTag>::from_tag(name)
}

/// One whole token of an 18-decimals asset (1 ETH in wei).
pub(crate) const ETH: U256 = uint!(1_000_000_000_000_000_000_U256);

/// A deterministic account address from a number (never a contract).
pub(crate) fn account(n: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xAC;
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    Address::from(bytes)
}

/// A name or symbol as the contracts take it: text padded to 32 bytes.
pub(crate) fn word(text: &str) -> B256 {
    let mut w = B256::ZERO;
    w[..text.len()].copy_from_slice(text.as_bytes());
    w
}

/// Vault parameters for one test.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    /// Fixed beneficiary (zero: each member picks).
    pub fixed: Address,
    pub tip_bps: u16,
    pub max_tip: U256,
    pub buffer_bps: u16,
    pub deposit_cap: U256,
    pub delay: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            fixed: Address::ZERO,
            tip_bps: 10,
            max_tip: ETH / U256::from(100),
            buffer_bps: 0,
            deposit_cap: U256::ZERO,
            delay: vault::params::MIN_DELAY,
        }
    }
}

/// The deployed system.
pub(crate) struct Env {
    pub asset: Contract<MockErc20>,
    pub source: Contract<MockErc4626>,
    pub ledger: Contract<CreditLedger>,
    pub vault: Contract<Vault>,
    /// Owner of the vault and admin of the ledger.
    pub owner: Address,
}

impl Env {
    /// Deploys and wires everything with `cfg`.
    pub(crate) fn deploy(cfg: &Config) -> Self {
        let env = Self {
            asset: Contract::new(),
            source: Contract::new(),
            ledger: Contract::new(),
            vault: Contract::new(),
            owner: account(0xFFFF_0001),
        };
        env.wire(cfg);
        env
    }

    fn wire(&self, cfg: &Config) {
        let owner = self.owner;
        self.asset.sender(owner).constructor("Wrapped Ether".into(), "WETH".into());
        self.source.sender(owner).constructor(
            self.asset.address(),
            "Yield WETH".into(),
            "yWETH".into(),
        );
        self.ledger
            .sender(owner)
            .constructor(self.asset.address(), owner, word("Compute Credits"), word("CC"))
            .motsu_unwrap();
        self.vault
            .sender(owner)
            .constructor(
                self.asset.address(),
                self.source.address(),
                self.ledger.address(),
                owner,
                cfg.fixed,
                word("Vault WETH"),
                word("vWETH"),
                cfg.tip_bps,
                cfg.max_tip,
                cfg.buffer_bps,
                cfg.deposit_cap,
                cfg.delay,
            )
            .motsu_unwrap();
        self.ledger
            .sender(owner)
            .grant_role(VAULT_ROLE.into(), self.vault.address())
            .motsu_unwrap();
    }

    /// Grants the spender role on the ledger to `spender` (the bridge).
    pub(crate) fn grant_spender(&self, spender: Address) {
        self.ledger.sender(self.owner).grant_role(SPENDER_ROLE.into(), spender).motsu_unwrap();
    }

    /// Mints `amount` of the asset to `who` and approves the vault and the
    /// ledger for everything.
    pub(crate) fn fund(&self, who: Address, amount: U256) {
        self.asset.sender(who).mint(who, amount).motsu_unwrap();
        self.asset.sender(who).approve(self.vault.address(), U256::MAX).motsu_unwrap();
        self.asset.sender(who).approve(self.ledger.address(), U256::MAX).motsu_unwrap();
    }

    /// Mints `amount` of the asset to `who` and approves only the vault (two
    /// calls: cheaper when there are thousands of members).
    pub(crate) fn fund_for_vault(&self, who: Address, amount: U256) {
        self.asset.sender(who).mint(who, amount).motsu_unwrap();
        self.asset.sender(who).approve(self.vault.address(), U256::MAX).motsu_unwrap();
    }

    /// Funds `who` with `amount` and deposits it for itself with `lock`.
    pub(crate) fn join(&self, who: Address, amount: U256, lock: u64) {
        self.fund(who, amount);
        self.vault.sender(who).deposit(amount, Address::ZERO, lock).motsu_unwrap();
    }

    /// Asset balance of `who`.
    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.asset.sender(who).balance_of(who)
    }

    // The vault's views, in one place: the contract's view surface is being
    // merged to save code size, so the tests read it only through these.

    /// The vault's figures: `(principal, value, surplus, last_harvest,
    /// paused)`.
    fn state(&self) -> (U256, U256, U256, u64, bool) {
        self.vault.sender(self.owner).state().motsu_unwrap()
    }

    /// `who`'s position: `(principal, withdrawable, credits, unlock_at,
    /// beneficiary)`.
    fn position(&self, who: Address) -> (U256, U256, U256, u64, Address) {
        self.vault.sender(who).position_of(who).motsu_unwrap()
    }

    /// Total principal of the vault.
    pub(crate) fn principal(&self) -> U256 {
        self.state().0
    }

    /// What the vault's source shares are worth.
    pub(crate) fn value(&self) -> U256 {
        self.state().1
    }

    /// The surplus a harvest would skim now.
    pub(crate) fn surplus(&self) -> U256 {
        self.state().2
    }

    /// Time of the last harvest that skimmed something (zero: none yet).
    pub(crate) fn last_harvest(&self) -> u64 {
        self.state().3
    }

    /// Whether deposits are paused.
    pub(crate) fn paused(&self) -> bool {
        self.state().4
    }

    /// Principal of `who`.
    pub(crate) fn principal_of(&self, who: Address) -> U256 {
        // One share is one asset unit of principal.
        let principal = self.vault.sender(who).balance_of(who);
        assert_eq!(principal, self.position(who).0, "share balance != principal");
        principal
    }

    /// What `who` would receive for all their principal now.
    pub(crate) fn withdrawable(&self, who: Address) -> U256 {
        self.position(who).1
    }

    /// Credits `who` has accrued and not yet claimed.
    pub(crate) fn pending_credits(&self, who: Address) -> U256 {
        self.position(who).2
    }

    /// When `who` may withdraw or transfer.
    pub(crate) fn unlock_time(&self, who: Address) -> u64 {
        self.position(who).3
    }

    /// Where `who`'s yield goes.
    pub(crate) fn beneficiary(&self, who: Address) -> Address {
        self.position(who).4
    }

    /// The vault's parameters: tip (bps), tip cap, buffer (bps), deposit cap.
    pub(crate) fn params(&self) -> (u16, U256, u16, U256) {
        let p = self.vault.sender(self.owner).params();
        (p.0, p.1, p.2, p.3)
    }

    /// Spendable credits of `who` on the ledger.
    pub(crate) fn spendable(&self, who: Address) -> U256 {
        self.ledger.sender(who).spendable_of(who)
    }

    /// Earned credits of `who` on the ledger.
    pub(crate) fn earned(&self, who: Address) -> U256 {
        self.ledger.sender(who).earned_of(who)
    }

    /// Yield delivered by the vault and not yet minted as credits.
    pub(crate) fn reserve(&self) -> U256 {
        self.ledger.sender(self.owner).reserve_of(self.vault.address())
    }

    /// Raises the source's exchange rate by `amount` of the asset.
    pub(crate) fn gain(&self, amount: U256) {
        self.source.sender(self.owner).simulate_gain(amount).motsu_unwrap();
    }

    /// Lowers the source's exchange rate by `amount` of the asset.
    pub(crate) fn lose(&self, amount: U256) {
        self.source.sender(self.owner).simulate_loss(amount).motsu_unwrap();
    }

    /// The most one rounding of the source can move: one source share's
    /// value plus three units. The vault keeps two of these back when it
    /// shares yield out (the vault's documented rule,
    /// `vault::accrual::Holding`).
    pub(crate) fn one_share(&self) -> U256 {
        let shares = self.source.sender(self.owner).balance_of(self.vault.address());
        // What the vault's source shares are worth in all, owed yield too.
        let (owed, tips) = self.undelivered();
        vault::accrual::Holding::new(self.value() + owed + tips, shares).one_share
    }

    /// Yield shared out and not yet delivered, and tips held.
    pub(crate) fn undelivered(&self) -> (U256, U256) {
        self.vault.sender(self.owner).undelivered()
    }

    /// Asset held by the source (its total assets).
    pub(crate) fn source_assets(&self) -> U256 {
        self.source.sender(self.owner).total_assets().motsu_unwrap()
    }

    /// Asserts the ledger's backing invariant and returns `(held, owed)`.
    #[track_caller]
    pub(crate) fn assert_backed(&self) -> (U256, U256) {
        let (held, owed) = self.ledger.sender(self.owner).backing().motsu_unwrap();
        assert!(held >= owed, "ledger under-backed: held {held} < owed {owed}");
        (held, owed)
    }

    /// Asserts that the vault's principal adds up over `members` (who must
    /// be all members): the sum of their principal equals the total.
    #[track_caller]
    pub(crate) fn assert_principal_adds_up(&self, members: &[Address]) {
        let sum = members.iter().fold(U256::ZERO, |acc, m| acc + self.principal_of(*m));
        assert_eq!(sum, self.principal(), "sum of member principal != total principal");
    }

    /// Runs `call`, which must fail, reverts it, and checks that it changed
    /// nothing seen from `accounts`; returns the error.
    #[track_caller]
    pub(crate) fn refused<T, E: core::fmt::Debug>(
        &self,
        accounts: &[Address],
        call: impl FnOnce() -> Result<T, E>,
    ) -> E {
        let before = self.snapshot(accounts);
        let err = call().motsu_unwrap_err();
        assert_eq!(self.snapshot(accounts), before, "a refused call changed state ({err:?})");
        err
    }

    /// Everything a failed call must leave unchanged, seen from `accounts`.
    pub(crate) fn snapshot(&self, accounts: &[Address]) -> Snapshot {
        let mut who: Vec<Address> = accounts.to_vec();
        who.extend([
            self.vault.address(),
            self.source.address(),
            self.ledger.address(),
            self.owner,
        ]);
        let per_account = who
            .iter()
            .map(|a| {
                (
                    self.balance(*a),
                    self.principal_of(*a),
                    self.pending_credits(*a),
                    self.unlock_time(*a),
                    self.spendable(*a),
                    self.earned(*a),
                )
            })
            .collect();
        Snapshot {
            per_account,
            total_principal: self.principal(),
            value: self.value(),
            source_shares: self.source.sender(self.owner).balance_of(self.vault.address()),
            last_harvest: self.last_harvest(),
            params: format!("{:?}", self.vault.sender(self.owner).params()),
            pending_params: format!("{:?}", self.vault.sender(self.owner).pending_params()),
            paused: self.paused(),
            backing: self.ledger.sender(self.owner).backing().motsu_unwrap(),
            reserve: self.reserve(),
            escrow_count: self.ledger.sender(self.owner).escrow_count(),
            total_escrowed: self.ledger.sender(self.owner).total_escrowed(),
            ledger_supply: self.ledger.sender(self.owner).total_supply(),
        }
    }
}

/// State compared before and after a call that must fail without effect.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Per account: asset balance, principal, pending credits, unlock time,
    /// spendable and earned credits.
    per_account: Vec<(U256, U256, U256, u64, U256, U256)>,
    total_principal: U256,
    value: U256,
    source_shares: U256,
    last_harvest: u64,
    /// Current and pending parameters, as printed (robust to the views'
    /// exact shape).
    params: String,
    pending_params: String,
    paused: bool,
    backing: (U256, U256),
    reserve: U256,
    escrow_count: u64,
    total_escrowed: U256,
    ledger_supply: U256,
}
