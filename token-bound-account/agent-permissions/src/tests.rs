//! motsu tests of agent permissions with a stand-in account (the real
//! account behind the registry's proxy runs on the devnode, in
//! `offchain/e2e/tests/it/agent.rs`) and a stand-in credit ledger; proptests of the
//! period caps.
#![allow(clippy::unreadable_literal)]

use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy_primitives::{aliases::B32, Address, U256};
use alloy_sol_types::{sol, SolCall};
use motsu::prelude::*;
use proptest::prelude::*;
use stylus_sdk::{
    abi::Bytes,
    call::RawCall,
    msg,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256, StorageU64},
};

use crate::{rules, rules::Usage, *};

mod ownership;

sol! {
    interface ILedgerDouble {
        function spend(uint256 amount) external;
        function ping() external returns (uint256);
    }
}

/// A stand-in account: `owner()`, and `execute` for the owner or the
/// executor the owner named (as the real account does). It is also its own
/// token's collection: `token()` names itself, and `ownershipEpoch` counts
/// changes of owner, as the AI NFT counts transfers.
#[storage]
struct TestAccount {
    owner: StorageAddress,
    executor: StorageAddress,
    epoch: StorageU64,
}

// SAFETY: a test double used only as a motsu contract.
unsafe impl TopLevelStorage for TestAccount {}

#[public]
impl TestAccount {
    fn set_owner(&mut self, owner: Address) {
        if !self.owner.get().is_zero() {
            let next = self.epoch.get() + alloy_primitives::U64::from(1);
            self.epoch.set(next);
        }
        self.owner.set(owner);
    }

    #[allow(clippy::unused_self, reason = "a view of the router")]
    fn token(&self) -> (U256, Address, U256) {
        (U256::from(1), stylus_sdk::contract::address(), U256::ZERO)
    }

    fn ownership_epoch(&self, token_id: U256) -> u64 {
        let _ = token_id;
        self.epoch.get().to()
    }

    fn set_executor(&mut self, executor: Address) {
        self.executor.set(executor);
    }

    fn owner(&self) -> Address {
        self.owner.get()
    }

    #[allow(clippy::needless_pass_by_value)]
    fn execute(
        &mut self,
        to: Address,
        value: U256,
        data: Bytes,
        operation: u8,
    ) -> Result<Bytes, Vec<u8>> {
        let _ = operation;
        let caller = msg::sender();
        if caller != self.owner.get() && caller != self.executor.get() {
            return Err(b"not authorized".to_vec());
        }
        // SAFETY: a test double; nothing is read after the call.
        let reply =
            unsafe { RawCall::new_with_value(value).flush_storage_cache().call(to, &data) }?;
        Ok(reply.into())
    }
}

/// A stand-in credit ledger: `spendableOf`, and `spend` that burns the
/// caller's credits (as a bridge request escrows them).
#[storage]
struct TestLedger {
    spendable: StorageMap<Address, StorageU256>,
    pings: StorageU256,
}

// SAFETY: a test double used only as a motsu contract.
unsafe impl TopLevelStorage for TestLedger {}

#[public]
impl TestLedger {
    fn set_spendable(&mut self, account: Address, amount: U256) {
        self.spendable.setter(account).set(amount);
    }

    fn spendable_of(&self, account: Address) -> U256 {
        self.spendable.get(account)
    }

    fn spend(&mut self, amount: U256) -> Result<(), Vec<u8>> {
        let mut balance = self.spendable.setter(msg::sender());
        let left = balance.get().checked_sub(amount).ok_or(b"insufficient".to_vec())?;
        balance.set(left);
        Ok(())
    }

    fn ping(&mut self) -> U256 {
        let n = self.pings.get() + U256::from(1);
        self.pings.set(n);
        n
    }
}

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One day.
const DAY: u64 = 86_400;

struct Env {
    perms: Contract<AgentPermissions>,
    account: Contract<TestAccount>,
    ledger: Contract<TestLedger>,
    alice: Account,
    agent: Account,
    mallory: Account,
}

fn spend_call(amount: u64) -> Bytes {
    ILedgerDouble::spendCall { amount: U256::from(amount) }.abi_encode().into()
}

fn ping_call() -> Bytes {
    ILedgerDouble::pingCall {}.abi_encode().into()
}

fn sel(selector: [u8; 4]) -> B32 {
    B32::from(selector)
}

impl Env {
    /// Alice holds the account, names the permissions contract as its
    /// executor and grants `agent` (credit cap 100 a day, value cap 0,
    /// until far in the future) `ping` and `spend` on the ledger.
    fn new() -> Self {
        let perms = Contract::<AgentPermissions>::new();
        let account = Contract::<TestAccount>::new();
        let ledger = Contract::<TestLedger>::new();
        let (alice, agent, mallory) = (
            Account::from_seed("alice"),
            Account::from_seed("agent"),
            Account::from_seed("mallory"),
        );
        account.sender(alice).set_owner(alice.address());
        account.sender(alice).set_executor(perms.address());
        ledger.sender(alice).set_spendable(account.address(), U256::from(1_000));
        let env = Self { perms, account, ledger, alice, agent, mallory };
        env.grant(u64::MAX, U256::ZERO, U256::from(100)).motsu_unwrap();
        for s in [ILedgerDouble::pingCall::SELECTOR, ILedgerDouble::spendCall::SELECTOR] {
            env.perms
                .sender(alice)
                .allow(
                    env.account.address(),
                    agent.address(),
                    env.ledger.address(),
                    sel(s),
                    true,
                    false,
                )
                .motsu_unwrap();
        }
        env
    }

    fn grant(&self, expiry: u64, value_cap: U256, credit_cap: U256) -> Result<u64, Error> {
        self.perms.sender(self.alice).grant(
            self.account.address(),
            self.agent.address(),
            expiry,
            DAY,
            value_cap,
            credit_cap,
            self.ledger.address(),
        )
    }

    fn run(&self, who: Account, data: Bytes) -> Result<Bytes, Error> {
        self.perms.sender(who).execute(
            self.account.address(),
            self.ledger.address(),
            U256::ZERO,
            data,
        )
    }
}

#[test]
fn an_agent_executes_within_its_rights_and_credits_are_counted() {
    let _s = serial();
    let env = Env::new();
    let reply = env.run(env.agent, ping_call()).motsu_unwrap();
    assert_eq!(U256::from_be_slice(&reply), U256::from(1));
    env.run(env.agent, spend_call(60)).motsu_unwrap();
    assert_eq!(env.ledger.sender(env.alice).spendable_of(env.account.address()), U256::from(940));
    let (value, credits) =
        env.perms.sender(env.alice).remaining(env.account.address(), env.agent.address());
    assert_eq!((value, credits), (U256::ZERO, U256::from(40)));
    env.run(env.agent, spend_call(40)).motsu_unwrap();
    env.perms.assert_emitted(&AgentExecuted {
        account: env.account.address(),
        agent: env.agent.address(),
        target: env.ledger.address(),
        selector: sel(ILedgerDouble::spendCall::SELECTOR),
        value: U256::ZERO,
        credits: U256::from(40),
    });
}

#[test]
fn credits_over_the_cap_are_refused() {
    let _s = serial();
    let env = Env::new();
    env.run(env.agent, spend_call(70)).motsu_unwrap();
    let err = env.run(env.agent, spend_call(31)).unwrap_err();
    assert_eq!(
        err,
        CreditCapExceeded { credits: U256::from(31), remaining: U256::from(30) }.into()
    );
    // The refused call recorded nothing (on chain its revert also undoes
    // the ledger's spend; motsu keeps a callee's writes, so the devnode
    // test checks that part).
    let (_, credits) =
        env.perms.sender(env.alice).remaining(env.account.address(), env.agent.address());
    assert_eq!(credits, U256::from(30));
}

#[test]
fn value_over_the_cap_is_refused() {
    let _s = serial();
    let env = Env::new();
    env.grant(u64::MAX, U256::from(10), U256::from(100)).motsu_unwrap();
    env.perms
        .sender(env.alice)
        .allow(
            env.account.address(),
            env.agent.address(),
            env.ledger.address(),
            sel(ILedgerDouble::pingCall::SELECTOR),
            true,
            false,
        )
        .motsu_unwrap();
    let err = env
        .perms
        .sender(env.agent)
        .execute(env.account.address(), env.ledger.address(), U256::from(11), ping_call())
        .unwrap_err();
    assert_eq!(err, ValueCapExceeded { value: U256::from(11), remaining: U256::from(10) }.into());
}

#[test]
fn anyone_without_a_grant_is_refused() {
    let _s = serial();
    let env = Env::new();
    let err = env.run(env.mallory, ping_call()).unwrap_err();
    assert_eq!(
        err,
        AgentNotAllowed { account: env.account.address(), agent: env.mallory.address() }.into()
    );
    // Nor may anyone but the holder manage grants.
    let err = env
        .perms
        .sender(env.mallory)
        .grant(
            env.account.address(),
            env.mallory.address(),
            u64::MAX,
            DAY,
            U256::MAX,
            U256::MAX,
            Address::ZERO,
        )
        .unwrap_err();
    assert_eq!(
        err,
        NotAccountOwner { caller: env.mallory.address(), owner: env.alice.address() }.into()
    );
    let err =
        env.perms.sender(env.agent).revoke(env.account.address(), env.agent.address()).unwrap_err();
    assert_eq!(
        err,
        NotAccountOwner { caller: env.agent.address(), owner: env.alice.address() }.into()
    );
    // And the agent cannot call the account directly.
    let direct =
        env.account.sender(env.agent).execute(env.ledger.address(), U256::ZERO, ping_call(), 0);
    assert!(direct.is_err());
}

#[test]
fn wrong_selector_and_wrong_target_are_refused() {
    let _s = serial();
    let env = Env::new();
    let data: Bytes = vec![0xde, 0xad, 0xbe, 0xef].into();
    let err = env.run(env.agent, data).unwrap_err();
    assert_eq!(
        err,
        TargetNotAllowed { target: env.ledger.address(), selector: sel([0xde, 0xad, 0xbe, 0xef]) }
            .into()
    );
    let other = env.mallory.address();
    let err = env
        .perms
        .sender(env.agent)
        .execute(env.account.address(), other, U256::ZERO, ping_call())
        .unwrap_err();
    assert_eq!(
        err,
        TargetNotAllowed { target: other, selector: sel(ILedgerDouble::pingCall::SELECTOR) }.into()
    );
    // A plain transfer is selector zero, and not allowed either.
    let err = env.run(env.agent, Bytes::from(Vec::new())).unwrap_err();
    assert_eq!(err, TargetNotAllowed { target: env.ledger.address(), selector: B32::ZERO }.into());
    // Disallowing works.
    env.perms
        .sender(env.alice)
        .allow(
            env.account.address(),
            env.agent.address(),
            env.ledger.address(),
            sel(ILedgerDouble::pingCall::SELECTOR),
            false,
            false,
        )
        .motsu_unwrap();
    assert!(matches!(env.run(env.agent, ping_call()), Err(Error::TargetNotAllowed(_))));
}

#[test]
fn revocation_applies_at_once_and_a_new_grant_starts_empty() {
    let _s = serial();
    let env = Env::new();
    env.perms.sender(env.alice).revoke(env.account.address(), env.agent.address()).motsu_unwrap();
    let err = env.run(env.agent, ping_call()).unwrap_err();
    assert_eq!(
        err,
        AgentRevoked { account: env.account.address(), agent: env.agent.address() }.into()
    );
    // A new grant has no allowed targets of the old one.
    assert_eq!(env.grant(u64::MAX, U256::ZERO, U256::from(100)), Ok(2));
    assert!(matches!(env.run(env.agent, ping_call()), Err(Error::TargetNotAllowed(_))));
}

#[test]
fn an_expired_grant_is_refused() {
    let _s = serial();
    let env = Env::new();
    let now = stylus_sdk::block::timestamp();
    env.grant(now, U256::ZERO, U256::from(100)).motsu_unwrap();
    env.perms
        .sender(env.alice)
        .allow(
            env.account.address(),
            env.agent.address(),
            env.ledger.address(),
            sel(ILedgerDouble::pingCall::SELECTOR),
            true,
            false,
        )
        .motsu_unwrap();
    let err = env.run(env.agent, ping_call()).unwrap_err();
    assert_eq!(
        err,
        AgentExpired { account: env.account.address(), agent: env.agent.address(), expiry: now }
            .into()
    );
    assert!(rules::expired(now, now) && !rules::expired(now - 1, now));
}

#[test]
fn a_grant_dies_with_a_transfer_of_the_token() {
    let _s = serial();
    let env = Env::new();
    env.account.sender(env.alice).set_owner(env.mallory.address());
    let err = env.run(env.agent, ping_call()).unwrap_err();
    assert_eq!(
        err,
        OwnerChanged { granter: env.alice.address(), owner: env.mallory.address() }.into()
    );
    assert_eq!(
        env.perms.sender(env.alice).remaining(env.account.address(), env.agent.address()),
        (U256::ZERO, U256::ZERO)
    );
}

#[test]
fn h2_a_grant_does_not_come_back_when_the_token_returns_to_its_granter() {
    let _s = serial();
    let env = Env::new();
    env.run(env.agent, ping_call()).motsu_unwrap();
    // Alice sells the token and buys it back (or a parking releases it and
    // parks it again): her old grant stays ended.
    env.account.sender(env.alice).set_owner(env.mallory.address());
    env.account.sender(env.mallory).set_owner(env.alice.address());
    let err = env.run(env.agent, ping_call()).unwrap_err();
    assert_eq!(err, OwnershipEnded { granted: 0, current: 2 }.into());
    assert_eq!(
        env.perms.sender(env.alice).remaining(env.account.address(), env.agent.address()),
        (U256::ZERO, U256::ZERO)
    );
    // A grant made now belongs to this period of ownership.
    env.grant(u64::MAX, U256::ZERO, U256::from(100)).motsu_unwrap();
    let (account, agent, ledger) =
        (env.account.address(), env.agent.address(), env.ledger.address());
    let ping = sel(ILedgerDouble::pingCall::SELECTOR);
    env.perms.sender(env.alice).allow(account, agent, ledger, ping, true, false).motsu_unwrap();
    env.run(env.agent, ping_call()).motsu_unwrap();
}

#[test]
fn h2_a_holder_resets_every_grant_of_an_account_at_once() {
    let _s = serial();
    let env = Env::new();
    let account = env.account.address();
    let err = env.perms.sender(env.mallory).reset_account(account).unwrap_err();
    assert!(matches!(err, Error::NotAccountOwner(_)));
    assert_eq!(env.perms.sender(env.alice).reset_account(account).motsu_unwrap(), 1);
    env.perms.assert_emitted(&AccountReset { account, generation: 1 });
    assert_eq!(env.perms.sender(env.alice).generation(account), 1);
    // The grant stays behind under the old generation: the agent has none.
    let err = env.run(env.agent, ping_call()).unwrap_err();
    assert_eq!(err, AgentNotAllowed { account, agent: env.agent.address() }.into());
}

#[test]
fn l6_calldata_of_one_to_three_bytes_is_refused() {
    let _s = serial();
    let env = Env::new();
    // Even with plain ETH transfers (selector zero) to the target allowed.
    let (account, agent, ledger) =
        (env.account.address(), env.agent.address(), env.ledger.address());
    env.perms
        .sender(env.alice)
        .allow(account, agent, ledger, B32::ZERO, true, false)
        .motsu_unwrap();
    for short in [vec![1u8], vec![1, 2], vec![1, 2, 3]] {
        let len = short.len();
        let err = env.run(env.agent, short.into()).unwrap_err();
        assert_eq!(err, ShortCalldata { length: U256::from(len) }.into());
    }
}

/// Review M-5: allowing an agent to issue keys, approve requesters, set
/// policies, name an executor or give an approval hands over spending that
/// no cap measures. Each needs the explicit `dangerous` flag; without it the
/// allowance is refused and nothing is stored. Disallowing never needs it.
#[test]
fn m5_configuration_selectors_need_the_dangerous_flag() {
    let _s = serial();
    let env = Env::new();
    let (account, agent, keys) = (env.account.address(), env.agent.address(), env.ledger.address());
    let signatures = [
        "issue(address)",
        "setMinter(address,bool)",
        "transferIssuer(address)",
        "approveRequester(address,bool)",
        "setPolicy(address,uint256,uint64,bool)",
        "setPolicyModel(address,uint32,bool)",
        "setExecutor(address)",
        "approve(address,uint256)",
        "setApprovalForAll(address,bool)",
        "setBeneficiary(address)",
    ];
    assert_eq!(signatures.len(), rules::DANGEROUS.len());
    for signature in signatures {
        let selector = B32::from_slice(&alloy_primitives::keccak256(signature)[..4]);
        assert!(rules::is_dangerous(selector), "{signature} is not in the list");
        let err = env.perms.sender(env.alice).allow(account, agent, keys, selector, true, false);
        assert_eq!(err.unwrap_err(), DangerousSelector { selector }.into(), "{signature}");
        assert!(!env.perms.sender(env.alice).is_allowed(account, agent, keys, selector));
        env.perms
            .sender(env.alice)
            .allow(account, agent, keys, selector, true, true)
            .motsu_unwrap();
        assert!(env.perms.sender(env.alice).is_allowed(account, agent, keys, selector));
        env.perms
            .sender(env.alice)
            .allow(account, agent, keys, selector, false, false)
            .motsu_unwrap();
        assert!(!env.perms.sender(env.alice).is_allowed(account, agent, keys, selector));
    }
    // Spending calls measured by the caps need no flag.
    let ping = sel(ILedgerDouble::pingCall::SELECTOR);
    assert!(!rules::is_dangerous(ping));
    assert!(!rules::is_dangerous(B32::ZERO));
}

#[test]
fn the_accounts_revert_data_passes_unchanged() {
    let _s = serial();
    let env = Env::new();
    let err = env.run(env.agent, spend_call(5_000)).unwrap_err();
    assert_eq!(err, Error::CallReverted(b"insufficient".to_vec()));
}

#[test]
fn windows_and_selectors() {
    assert_eq!(rules::window_start(0, DAY), 0);
    assert_eq!(rules::window_start(DAY - 1, DAY), 0);
    assert_eq!(rules::window_start(DAY, DAY), DAY);
    assert_eq!(rules::window_start(12_345, 0), 0);
    assert_eq!(rules::selector_of(&[]), Some(B32::ZERO));
    assert_eq!(rules::selector_of(&[1, 2, 3]), None);
    assert_eq!(rules::selector_of(&[1, 2, 3, 4, 5]), Some(sel([1, 2, 3, 4])));
    let mut u = Usage::default();
    assert_eq!(u.spend(10, DAY, U256::from(5), U256::from(6)), Err(U256::from(5)));
    u.spend(10, DAY, U256::from(5), U256::from(5)).unwrap();
    assert_eq!(u.spend(DAY - 1, DAY, U256::from(5), U256::from(1)), Err(U256::ZERO));
    u.spend(DAY, DAY, U256::from(5), U256::from(5)).unwrap();
    // Period zero: one window for the grant's life.
    let mut life = Usage::default();
    life.spend(5, 0, U256::from(3), U256::from(3)).unwrap();
    assert_eq!(life.spend(u64::MAX, 0, U256::from(3), U256::from(1)), Err(U256::ZERO));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_500, ..ProptestConfig::default() })]

    /// Whatever the sequence of spends, what is spent in one window never
    /// exceeds the cap, a refused spend changes nothing, and a new window
    /// starts with the whole cap.
    #[test]
    fn spending_never_exceeds_the_cap_per_window(
        period in 1u64..10_000,
        cap in 0u64..1_000,
        steps in proptest::collection::vec((0u64..5_000, 0u64..600), 1..60),
    ) {
        let cap = U256::from(cap);
        let mut usage = Usage::default();
        let mut now = 1_700_000_000u64;
        let mut spent_in: std::collections::HashMap<u64, U256> = std::collections::HashMap::new();
        for (dt, amount) in steps {
            let before = usage;
            let window = rules::window_start(now, period);
            if before.window != window {
                prop_assert_eq!(usage.remaining(now, period, cap), cap);
            }
            let amount = U256::from(amount);
            match usage.spend(now, period, cap, amount) {
                Ok(()) => {
                    let total = spent_in.entry(window).or_default();
                    *total += amount;
                    prop_assert!(*total <= cap);
                    prop_assert_eq!(usage.used, *total);
                }
                Err(remaining) => {
                    prop_assert_eq!(usage, before);
                    prop_assert!(amount > remaining);
                    prop_assert_eq!(remaining, cap - spent_in.get(&window).copied().unwrap_or_default());
                }
            }
            now += dt;
        }
    }
}
