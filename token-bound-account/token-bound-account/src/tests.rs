//! Unit tests of the account on motsu, with the exact proxy bytecode the
//! registry deploys standing in for the account's code (motsu has no
//! account code; the real footer path runs on the devnode, in
//! `offchain/e2e/tests/it/token_bound_account.rs`), plus the pure rules.
#![allow(clippy::unreadable_literal)]

mod doubles;

use std::{
    cell::RefCell,
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use alloy_primitives::{address, aliases::B32, keccak256, uint, Address, B256, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::{eip712_domain, sol, SolStruct};
use doubles::{TestNft, TestTarget};
use erc6551::BoundToken;
use motsu::prelude::*;
use stylus_sdk::abi::Bytes;

use crate::{rules, signature, Error, TokenBoundAccount};

thread_local! {
    static CODE: RefCell<HashMap<Address, Vec<u8>>> = RefCell::new(HashMap::new());
}

/// The code motsu reports for `account` in these tests.
pub(super) fn code_of(account: Address) -> Vec<u8> {
    CODE.with(|c| c.borrow().get(&account).cloned().unwrap_or_default())
}

/// Gives `account` the registry's proxy code bound to `token`.
fn set_code(account: Address, token: &BoundToken) {
    let init =
        erc6551::init_code(address!("00000000000000000000000000000000000000aa"), B256::ZERO, token);
    CODE.with(|c| c.borrow_mut().insert(account, init[erc6551::CONSTRUCTOR_LEN..].to_vec()));
}

/// Serialises the tests of this binary (motsu keeps one global state; see
/// `tests/tests/it/common/mod.rs`).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// motsu's chain id (its default).
const CHAIN: u64 = 42_161;

/// An NFT, an account bound to its token 1 held by `alice`, and a target.
struct Env {
    nft: Contract<TestNft>,
    account: Contract<TokenBoundAccount>,
    target: Contract<TestTarget>,
    alice: Account,
    bob: Account,
    _precompiles: Box<dyn std::any::Any>,
}

impl Env {
    fn new() -> Self {
        let nft = Contract::<TestNft>::new();
        let account = Contract::<TokenBoundAccount>::new();
        let target = Contract::<TestTarget>::new();
        let (alice, bob) = (Account::from_seed("alice"), Account::from_seed("bob"));
        nft.sender(alice).set_owner(U256::from(1), alice.address());
        set_code(account.address(), &bound(nft.address(), 1));
        let precompiles = Box::new(deploy_precompiles());
        Self { nft, account, target, alice, bob, _precompiles: precompiles }
    }

    fn ping(&self, from: Address, operation: u8) -> Result<Bytes, Error> {
        let data = doubles::ping_call(7);
        self.account.sender(from).execute(self.target.address(), U256::ZERO, data, operation)
    }
}

fn bound(token_contract: Address, id: u64) -> BoundToken {
    BoundToken { chain_id: U256::from(CHAIN), token_contract, token_id: U256::from(id) }
}

#[test]
fn token_and_owner_come_from_the_proxy_footer() {
    let _s = serial();
    let env = Env::new();
    let (chain, contract, id) = env.account.sender(env.bob).token();
    assert_eq!((chain, contract, id), (U256::from(CHAIN), env.nft.address(), U256::from(1)));
    assert_eq!(env.account.sender(env.bob).owner(), env.alice.address());
    // The holder changes with the token.
    env.nft.sender(env.alice).set_owner(U256::from(1), env.bob.address());
    assert_eq!(env.account.sender(env.bob).owner(), env.bob.address());

    // Without proxy code (the implementation itself): no token, no owner.
    let bare = Contract::<TokenBoundAccount>::new();
    assert_eq!(bare.sender(env.bob).token(), (U256::ZERO, Address::ZERO, U256::ZERO));
    assert_eq!(bare.sender(env.bob).owner(), Address::ZERO);
    assert!(matches!(bare.sender(env.bob).lock(U256::ZERO), Err(Error::NotAuthorized(_))));

    // A token on another chain has no holder here.
    let foreign = Contract::<TokenBoundAccount>::new();
    let mut other = bound(env.nft.address(), 1);
    other.chain_id = U256::from(1);
    set_code(foreign.address(), &other);
    assert_eq!(foreign.sender(env.bob).owner(), Address::ZERO);
    let data = doubles::ping_call(1);
    let r = foreign.sender(env.alice).execute(env.target.address(), U256::ZERO, data, 0);
    assert_eq!(r, Err(crate::NotAuthorized { caller: env.alice.address() }.into()));
}

#[test]
fn the_holder_executes_calls_and_state_counts_them() {
    let _s = serial();
    let env = Env::new();
    assert_eq!(env.account.sender(env.bob).state(), U256::ZERO);
    let reply = env.ping(env.alice.address(), 0).motsu_unwrap();
    // The target saw the account as caller and returned 7 + 1.
    assert_eq!(U256::from_be_slice(&reply), U256::from(8));
    assert_eq!(env.target.sender(env.bob).last_caller(), env.account.address());
    assert_eq!(env.account.sender(env.bob).state(), U256::from(1));
    env.account.assert_emitted(&crate::Executed {
        to: env.target.address(),
        value: U256::ZERO,
        state: U256::from(1),
    });
}

#[test]
fn strangers_and_other_operations_are_refused() {
    let _s = serial();
    let env = Env::new();
    let bob = env.bob.address();
    assert_eq!(env.ping(bob, 0), Err(crate::NotAuthorized { caller: bob }.into()));
    for op in [1u8, 2, 3, 255] {
        assert_eq!(
            env.ping(env.alice.address(), op),
            Err(crate::InvalidOperation { operation: op }.into())
        );
    }
    assert_eq!(env.account.sender(bob).state(), U256::ZERO, "nothing ran");
    assert_eq!(env.target.sender(bob).last_caller(), Address::ZERO);
}

#[test]
fn a_failing_call_bubbles_its_revert_data() {
    let _s = serial();
    let env = Env::new();
    let data = doubles::fail_call();
    let r = env.account.sender(env.alice).execute(env.target.address(), U256::ZERO, data, 0);
    assert_eq!(r, Err(Error::CallReverted(doubles::FAILURE.to_vec())));
}

#[test]
fn batches_run_all_or_nothing() {
    let _s = serial();
    let env = Env::new();
    let to = env.target.address();
    let ok = vec![
        (to, U256::ZERO, doubles::ping_call(1), 0),
        (to, U256::ZERO, doubles::ping_call(2), 0),
    ];
    let replies = env.account.sender(env.alice).execute_batch(ok).motsu_unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(U256::from_be_slice(&replies[1]), U256::from(3));
    assert_eq!(env.target.sender(env.bob).pings(), U256::from(2));
    assert_eq!(env.account.sender(env.bob).state(), U256::from(1));

    // One bad operation refuses the whole batch before any call.
    let bad = vec![
        (to, U256::ZERO, doubles::ping_call(1), 0),
        (to, U256::ZERO, doubles::ping_call(1), 1),
    ];
    let r = env.account.sender(env.alice).execute_batch(bad);
    assert_eq!(r, Err(crate::InvalidOperation { operation: 1 }.into()));
    let r =
        env.account.sender(env.bob).execute_batch(vec![(to, U256::ZERO, doubles::ping_call(1), 0)]);
    assert_eq!(r, Err(crate::NotAuthorized { caller: env.bob.address() }.into()));
    assert_eq!(env.target.sender(env.bob).pings(), U256::from(2));
    assert_eq!(env.account.sender(env.bob).state(), U256::from(1));
}

#[test]
fn a_lock_stops_execution_signers_and_signatures() {
    let _s = serial();
    let env = Env::new();
    let now = 1_735_689_600u64; // motsu's fixed clock
    let until = U256::from(now + 3_600);
    let bob = env.bob.address();
    assert_eq!(
        env.account.sender(bob).lock(until),
        Err(crate::NotAuthorized { caller: bob }.into())
    );
    let too_long = U256::from(now + rules::MAX_LOCK_SECONDS + 1);
    assert_eq!(
        env.account.sender(env.alice).lock(too_long),
        Err(crate::LockTooLong { until: too_long, max: U256::from(now + rules::MAX_LOCK_SECONDS) }
            .into())
    );

    let hash = B256::repeat_byte(9);
    let signature = sign(&env.alice, env.account.sender(bob).replay_safe_hash(hash));
    assert_eq!(env.account.sender(bob).is_valid_signature(hash, signature.clone()), magic_1271());

    env.account.sender(env.alice).lock(until).motsu_unwrap();
    env.account.assert_emitted(&crate::LockUpdated { until });
    assert!(env.account.sender(bob).is_locked());
    assert_eq!(env.account.sender(bob).locked_until(), until);
    assert_eq!(env.account.sender(bob).state(), U256::from(1), "locking changes state");
    assert_eq!(env.ping(env.alice.address(), 0), Err(crate::Locked { until }.into()));
    assert_eq!(env.account.sender(env.alice).lock(U256::ZERO), Err(crate::Locked { until }.into()));
    assert_eq!(
        env.account.sender(bob).is_valid_signer(env.alice.address(), Bytes::from(Vec::new())),
        B32::ZERO
    );
    assert_ne!(env.account.sender(bob).is_valid_signature(hash, signature), magic_1271());
    assert_eq!(env.target.sender(bob).pings(), U256::ZERO);
}

#[test]
fn lock_rules_hold_at_their_edges() {
    let now = 1_000u64;
    assert!(rules::is_locked(now, now + 1));
    assert!(!rules::is_locked(now, now), "unlocked at `until` itself");
    assert!(!rules::is_locked(now, 0));
    assert_eq!(
        rules::lock_until(now, U256::from(now + rules::MAX_LOCK_SECONDS)),
        Ok(now + rules::MAX_LOCK_SECONDS)
    );
    assert_eq!(rules::lock_until(now, U256::ZERO), Ok(0));
    assert!(matches!(rules::lock_until(now, U256::MAX), Err(Error::LockTooLong(_))));
    assert!(matches!(rules::lock_until(u64::MAX, U256::MAX), Err(Error::LockTooLong(_))));
    assert_eq!(rules::lock_until(u64::MAX, U256::from(u64::MAX)), Ok(u64::MAX));
}

fn magic_1271() -> B32 {
    B32::from(signature::ERC1271_MAGIC)
}

fn sign(who: &Account, digest: B256) -> Bytes {
    let sig = who.signer().sign_hash_sync(&digest).expect("signs");
    Bytes::from(sig.as_bytes().to_vec())
}

#[test]
fn signatures_are_bound_to_the_account_and_chain() {
    let _s = serial();
    let env = Env::new();
    let bob = env.bob.address();
    let hash = keccak256("an order");
    let digest = env.account.sender(bob).replay_safe_hash(hash);
    let good = sign(&env.alice, digest);
    assert_eq!(env.account.sender(bob).is_valid_signature(hash, good.clone()), magic_1271());
    assert_eq!(
        env.account.sender(bob).is_valid_signer(env.alice.address(), Bytes::from(Vec::new())),
        B32::from(erc6551::VALID_SIGNER_MAGIC)
    );
    assert_eq!(env.account.sender(bob).is_valid_signer(bob, Bytes::from(Vec::new())), B32::ZERO);

    // The raw hash, another signer, another message: refused.
    assert_ne!(
        env.account.sender(bob).is_valid_signature(hash, sign(&env.alice, hash)),
        magic_1271()
    );
    assert_ne!(
        env.account.sender(bob).is_valid_signature(hash, sign(&env.bob, digest)),
        magic_1271()
    );
    assert_ne!(env.account.sender(bob).is_valid_signature(B256::ZERO, good.clone()), magic_1271());

    // A second account of the same holder does not accept the first's.
    let second = Contract::<TokenBoundAccount>::new();
    env.nft.sender(env.alice).set_owner(U256::from(2), env.alice.address());
    set_code(second.address(), &bound(env.nft.address(), 2));
    assert_ne!(second.sender(bob).is_valid_signature(hash, good.clone()), magic_1271());
    let digest2 = second.sender(bob).replay_safe_hash(hash);
    assert_eq!(
        second.sender(bob).is_valid_signature(hash, sign(&env.alice, digest2)),
        magic_1271()
    );

    // The malleable twin (s' = n - s, v flipped) of a valid signature.
    let mut twin = good.to_vec();
    let n = uint!(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141_U256);
    let s = U256::from_be_slice(&twin[32..64]);
    twin[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    twin[64] ^= 1; // 27 <-> 28
    assert_ne!(env.account.sender(bob).is_valid_signature(hash, twin.into()), magic_1271());

    // The same account address on another chain: another digest.
    VM::context().set_chain_id(1);
    assert_ne!(env.account.sender(bob).replay_safe_hash(hash), digest);
    VM::context().set_chain_id(CHAIN);
}

/// The digest equals alloy's EIP-712 signing hash of the same typed data.
#[test]
fn replay_safe_hash_is_eip712() {
    sol! {
        struct AccountMessage { bytes32 hash; }
    }
    let account = address!("1111111111111111111111111111111111111111");
    let domain = eip712_domain! {
        name: "Compute-Fi Token Bound Account",
        version: "1",
        chain_id: 42_161,
        verifying_contract: account,
    };
    let hash = B256::repeat_byte(0x42);
    let expected = AccountMessage { hash }.eip712_signing_hash(&domain);
    assert_eq!(signature::replay_safe_hash(hash, 42_161, account), expected);
    assert_ne!(signature::replay_safe_hash(hash, 1, account), expected);
}

#[test]
fn malformed_signatures_never_reach_ecrecover() {
    let digest = B256::repeat_byte(1);
    let mut sig = [0u8; 65];
    sig[31] = 1; // r = 1
    sig[63] = 1; // s = 1
    sig[64] = 27;
    assert!(signature::ecrecover_input(digest, &sig).is_some());
    assert!(signature::ecrecover_input(digest, &sig[..64]).is_none());
    assert!(signature::ecrecover_input(digest, &[sig.as_slice(), &[0]].concat()).is_none());
    assert!(signature::ecrecover_input(digest, &[]).is_none());
    for v in [0u8, 1, 26, 29] {
        let mut bad = sig;
        bad[64] = v;
        assert!(signature::ecrecover_input(digest, &bad).is_none(), "v = {v}");
    }
    let mut zero_r = sig;
    zero_r[31] = 0;
    assert!(signature::ecrecover_input(digest, &zero_r).is_none());
    let mut high_s = sig;
    high_s[32..64].copy_from_slice(&[0xff; 32]);
    assert!(signature::ecrecover_input(digest, &high_s).is_none());
}

#[test]
fn receiving_its_own_token_is_refused() {
    let _s = serial();
    let env = Env::new();
    let (nft, account) = (&env.nft, env.account.address());
    let one = U256::from(1);
    let r = nft.sender(env.alice).safe_transfer(account, one);
    assert_eq!(
        r,
        Err(Vec::from(Error::from(crate::OwnershipCycle {
            tokenContract: nft.address(),
            tokenId: one
        })))
    );
    // (motsu keeps a reverted call's writes; the devnode test checks that
    // the refused transfer leaves the token with its holder.)
    // Any other token of the collection is welcome.
    nft.sender(env.alice).set_owner(U256::from(5), env.alice.address());
    nft.sender(env.alice).safe_transfer(account, U256::from(5)).motsu_unwrap();
    assert_eq!(nft.sender(env.alice).owner_of(U256::from(5)), account);
    // ERC-1155 hooks apply the same rule, batch included.
    assert!(nft.sender(env.alice).send_1155(account, vec![U256::from(9)]).is_ok());
    assert!(nft.sender(env.alice).send_1155(account, vec![U256::from(9), one]).is_err());
    assert!(nft.sender(env.alice).send_1155(account, vec![one]).is_err());
}

#[test]
fn cycles_through_a_chain_of_accounts_are_refused() {
    let _s = serial();
    let env = Env::new();
    let (nft, a) = (&env.nft, &env.account);
    // Account B is bound to token 2 (held by alice); token 1 (A's) is held
    // by B, so B controls A. A receiving token 2 would make A control B.
    let b = Contract::<TokenBoundAccount>::new();
    set_code(b.address(), &bound(nft.address(), 2));
    nft.sender(env.alice).set_owner(U256::from(2), env.alice.address());
    nft.sender(env.alice).set_owner(U256::from(1), b.address());
    assert_eq!(a.sender(env.bob).owner(), b.address());
    let r = nft.sender(env.alice).safe_transfer(a.address(), U256::from(2));
    assert!(r.is_err(), "one hop: refused");

    // Two hops: C bound to token 3 holds token 2, so C controls B controls A.
    let c = Contract::<TokenBoundAccount>::new();
    set_code(c.address(), &bound(nft.address(), 3));
    nft.sender(env.alice).set_owner(U256::from(3), env.alice.address());
    nft.sender(env.alice).set_owner(U256::from(2), c.address());
    assert!(nft.sender(env.alice).safe_transfer(a.address(), U256::from(3)).is_err());
    // A token outside the ancestry is fine.
    nft.sender(env.alice).set_owner(U256::from(4), env.alice.address());
    assert!(nft.sender(env.alice).safe_transfer(a.address(), U256::from(4)).is_ok());
}

#[test]
fn supports_exactly_its_interfaces() {
    let _s = serial();
    let env = Env::new();
    let ids = ["01ffc9a7", "6faff5f1", "51945447", "1626ba7e", "150b7a02", "4e2312e0"];
    for id in ids {
        let id = B32::from_slice(&alloy_primitives::hex::decode(id).unwrap());
        assert!(env.account.sender(env.bob).supports_interface(id), "{id}");
    }
    for id in ["ffffffff", "00000000", "80ac58cd"] {
        let id = B32::from_slice(&alloy_primitives::hex::decode(id).unwrap());
        assert!(!env.account.sender(env.bob).supports_interface(id), "{id}");
    }
}

#[test]
fn receives_eth() {
    let _s = serial();
    let env = Env::new();
    let value = U256::from(1_000u64);
    env.bob.fund(value);
    env.account.sender_and_value(env.bob, value).receive().motsu_unwrap();
    assert_eq!(env.account.balance(), value);
}

#[test]
fn an_executor_named_by_the_holder_executes_until_the_token_moves() {
    let _s = serial();
    let env = Env::new();
    let carol = Account::from_seed("carol");
    // Only the holder names an executor, and naming one changes `state`.
    let r = env.account.sender(env.bob).set_executor(env.bob.address());
    assert_eq!(r, Err(crate::NotAuthorized { caller: env.bob.address() }.into()));
    env.account.sender(env.alice).set_executor(env.bob.address()).motsu_unwrap();
    assert_eq!(env.account.sender(env.bob).executor(), env.bob.address());
    assert_eq!(env.account.sender(env.bob).state(), U256::from(1));
    // The executor may `execute`, and nothing else.
    env.ping(env.bob.address(), 0).motsu_unwrap();
    let not_bob = || Error::from(crate::NotAuthorized { caller: env.bob.address() });
    assert_eq!(env.account.sender(env.bob).lock(U256::ZERO), Err(not_bob()));
    assert_eq!(env.account.sender(env.bob).set_executor(carol.address()), Err(not_bob()));
    let batch = vec![(env.target.address(), U256::ZERO, doubles::ping_call(1), 0u8)];
    assert_eq!(env.account.sender(env.bob).execute_batch(batch), Err(not_bob()));
    // Once the token changes hands, the old holder's executor is void.
    env.nft.sender(env.alice).set_owner(U256::from(1), carol.address());
    assert_eq!(env.account.sender(env.bob).executor(), Address::ZERO);
    assert_eq!(env.ping(env.bob.address(), 0), Err(not_bob()));
}

#[test]
fn h2_an_executor_does_not_come_back_when_the_token_returns_to_its_holder() {
    let _s = serial();
    let env = Env::new();
    let carol = Account::from_seed("carol");
    env.account.sender(env.alice).set_executor(env.bob.address()).motsu_unwrap();
    env.ping(env.bob.address(), 0).motsu_unwrap();
    // Alice sells the token and buys it back: same holder address, new
    // period of ownership; the executor she named before stays void.
    env.nft.sender(env.alice).set_owner(U256::from(1), carol.address());
    env.nft.sender(carol).set_owner(U256::from(1), env.alice.address());
    assert_eq!(env.account.sender(env.bob).executor(), Address::ZERO);
    let refused = Err(Error::from(crate::NotAuthorized { caller: env.bob.address() }));
    assert_eq!(env.ping(env.bob.address(), 0), refused);
    // Named again, it works again.
    env.account.sender(env.alice).set_executor(env.bob.address()).motsu_unwrap();
    env.ping(env.bob.address(), 0).motsu_unwrap();
}
