//! motsu tests of minting AIs with their accounts through the real ERC-6551
//! registry program, the record and its views, and updates by the holder.
//!
//! motsu models no CREATE2 (its `create2` host function creates nothing and
//! leaves no return data, which motsu then panics on reading), so each test
//! first places a `TokenBoundAccount` at the address the registry derives,
//! and the registry returns it as it returns any account that already
//! exists. The real CREATE2 of the proxy, and a registry call that fails
//! (`AccountCreationFailed`, the whole mint undone), run on the devnode
//! (`offchain/e2e/tests/it/ai_nft.rs`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy_primitives::{Address, B256, U256};
use erc6551_registry::Erc6551Registry;
use motsu::prelude::*;
use openzeppelin_stylus::token::erc721::IErc721;
use proptest::prelude::*;
use stylus_sdk::abi::Bytes;
use token_bound_account::TokenBoundAccount;

use crate::{
    AiMinted, AiNft, Error, InstructionsSet, KeyCollectionSet, ModelSet, NotTokenOwner, UnknownAi,
    ACCOUNT_SALT, MAX_URI_BYTES,
};

/// motsu's chain id (its default).
const CHAIN: u64 = 42_161;

/// Serialises the tests of this binary (motsu keeps one global state; see
/// `tests/tests/it/common/mod.rs`).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn word(text: &str) -> B256 {
    B256::right_padding_from(text.as_bytes())
}

fn tag(name: &str) -> Address {
    <Address as FromTag>::from_tag(name)
}

fn uri(text: &str) -> Bytes {
    Bytes(text.as_bytes().to_vec())
}

/// The registry program, an account implementation address and the AI
/// collection, constructed; plus the accounts placed so far (kept alive:
/// motsu drops a contract's state with its handle).
struct Env {
    registry: Contract<Erc6551Registry>,
    implementation: Address,
    nft: Contract<AiNft>,
    accounts: Vec<Contract<TokenBoundAccount>>,
}

impl Env {
    fn new() -> Self {
        let registry = Contract::<Erc6551Registry>::new();
        let implementation = tag("implementation");
        let nft = Contract::<AiNft>::new();
        nft.sender(tag("deployer"))
            .constructor(word("Community AIs"), word("AI"), registry.address(), implementation)
            .motsu_unwrap();
        Self { registry, implementation, nft, accounts: Vec::new() }
    }

    /// The registry's own view of AI `id`'s account.
    fn derived(&self, id: U256) -> Address {
        self.registry.sender(tag("anyone")).account(
            self.implementation,
            ACCOUNT_SALT,
            U256::from(CHAIN),
            self.nft.address(),
            id,
        )
    }

    /// Places an account at the address of the next AI's account, so that
    /// the registry finds it (motsu cannot CREATE2 it).
    fn place_next_account(&mut self) -> Address {
        let next = self.nft.sender(tag("anyone")).total_minted() + U256::from(1);
        let at = self.derived(next);
        self.accounts.push(Contract::<TokenBoundAccount>::new_at(at));
        at
    }

    fn mint(&mut self, to: Address, model: u32) -> (U256, Address) {
        self.place_next_account();
        self.nft
            .sender(to)
            .mint(to, model, B256::repeat_byte(0x11), uri("ipfs://values"), Address::ZERO)
            .motsu_unwrap()
    }
}

#[test]
fn minting_creates_the_account_through_the_registry_and_records_the_ai() {
    let _s = serial();
    let mut env = Env::new();
    let (founder, keys) = (tag("founder"), tag("keys"));
    let expected = env.place_next_account();
    let hash = B256::repeat_byte(0xab);
    let (id, account) = env
        .nft
        .sender(founder)
        .mint(founder, 7, hash, uri("ipfs://bafy-values"), keys)
        .motsu_unwrap();
    assert_eq!((id, account), (U256::from(1), expected));
    // The registry's view agrees, and so does the standard's derivation.
    assert_eq!(account, env.derived(id));
    let token = erc6551::BoundToken {
        chain_id: U256::from(CHAIN),
        token_contract: env.nft.address(),
        token_id: id,
    };
    assert_eq!(
        account,
        erc6551::account_address(env.registry.address(), env.implementation, B256::ZERO, &token)
    );

    let reader = tag("reader");
    assert_eq!(env.nft.sender(reader).owner_of(id).motsu_unwrap(), founder);
    assert_eq!(env.nft.sender(reader).ai(id).motsu_unwrap(), (7, hash, keys, account));
    assert_eq!(env.nft.sender(reader).instructions_uri(id).motsu_unwrap().0, b"ipfs://bafy-values");
    assert_eq!(env.nft.sender(reader).account_of(id).motsu_unwrap(), account);
    assert_eq!(env.nft.sender(reader).total_minted(), U256::from(1));
    assert_eq!(env.nft.sender(reader).name(), "Community AIs");
    assert_eq!(env.nft.sender(reader).symbol(), "AI");
    assert_eq!(env.nft.sender(reader).registry(), env.registry.address());
    assert_eq!(env.nft.sender(reader).account_implementation(), env.implementation);
    env.nft.assert_emitted(&AiMinted {
        id,
        owner: founder,
        account,
        model: 7,
        keyCollection: keys,
        instructionsHash: hash,
    });

    // Anyone mints, for themselves or for someone else; ids go on from 1.
    let other = tag("other");
    env.place_next_account();
    let (second, second_account) = env
        .nft
        .sender(other)
        .mint(founder, 2, B256::ZERO, Bytes(Vec::new()), Address::ZERO)
        .motsu_unwrap();
    assert_eq!(second, U256::from(2));
    assert_ne!(second_account, account);
    assert_eq!(env.nft.sender(reader).owner_of(second).motsu_unwrap(), founder);
    assert_eq!(env.nft.sender(reader).balance_of(founder).motsu_unwrap(), U256::from(2));
}

#[test]
fn bad_input_is_refused_with_its_error() {
    let _s = serial();
    let mut env = Env::new();
    let founder = tag("founder");
    // Constructor: zero addresses, a name that is not padded text.
    let fresh = Contract::<AiNft>::new();
    let zero =
        fresh.sender(founder).constructor(word("A"), word("A"), Address::ZERO, founder).motsu_res();
    assert!(matches!(zero, Err(Error::ZeroAddress(_))));
    let zero =
        fresh.sender(founder).constructor(word("A"), word("A"), founder, Address::ZERO).motsu_res();
    assert!(matches!(zero, Err(Error::ZeroAddress(_))));
    let bad = fresh
        .sender(founder)
        .constructor(B256::repeat_byte(0xff), word("A"), founder, founder)
        .motsu_res();
    assert!(matches!(bad, Err(Error::InvalidString(_))));

    // A URI one byte over the cap; exactly the cap is fine.
    env.place_next_account();
    let long = Bytes(vec![b'a'; MAX_URI_BYTES + 1]);
    let err = env
        .nft
        .sender(founder)
        .mint(founder, 1, B256::ZERO, long.clone(), Address::ZERO)
        .motsu_res();
    assert!(matches!(err, Err(Error::InvalidSize(_))));
    let err = env
        .nft
        .sender(founder)
        .mint(Address::ZERO, 1, B256::ZERO, uri(""), Address::ZERO)
        .motsu_res();
    assert!(matches!(err, Err(Error::InvalidReceiver(_))));
    // Both refusals left nothing behind.
    assert_eq!(env.nft.sender(founder).total_minted(), U256::ZERO);
    let max = Bytes(vec![b'a'; MAX_URI_BYTES]);
    let (id, _) = env
        .nft
        .sender(founder)
        .mint(founder, 1, B256::ZERO, max.clone(), Address::ZERO)
        .motsu_unwrap();
    assert_eq!(env.nft.sender(founder).instructions_uri(id).motsu_unwrap(), max);
    let err = env.nft.sender(founder).set_instructions(id, B256::ZERO, long).motsu_res();
    assert!(matches!(err, Err(Error::InvalidSize(_))));

    // Unknown ids: 0 and the next one, in every view and update.
    for unknown in [U256::ZERO, U256::from(2), U256::MAX] {
        let is_unknown =
            |e: &Error| matches!(e, Error::UnknownAi(UnknownAi { id }) if *id == unknown);
        let nft = env.nft.sender(founder);
        assert!(is_unknown(&nft.ai(unknown).motsu_unwrap_err()));
        let nft = env.nft.sender(founder);
        assert!(is_unknown(&nft.instructions_uri(unknown).motsu_unwrap_err()));
        assert!(is_unknown(&env.nft.sender(founder).account_of(unknown).motsu_unwrap_err()));
        assert!(is_unknown(&env.nft.sender(founder).set_model(unknown, 3).motsu_unwrap_err()));
        let mut nft = env.nft.sender(founder);
        assert!(is_unknown(&nft.set_key_collection(unknown, founder).motsu_unwrap_err()));
        let mut nft = env.nft.sender(founder);
        assert!(is_unknown(&nft.set_instructions(unknown, B256::ZERO, uri("")).motsu_unwrap_err()));
    }
}

#[test]
fn only_the_holder_updates_and_control_follows_the_token() {
    let _s = serial();
    let mut env = Env::new();
    let (founder, stranger, heir, operator) =
        (tag("founder"), tag("stranger"), tag("heir"), tag("operator"));
    let (id, account) = env.mint(founder, 1);
    let not_owner = |caller: Address| move |e: Error| matches!(e, Error::NotTokenOwner(NotTokenOwner { caller: c, id: i }) if c == caller && i == id);

    // Strangers, and even an approved operator, are refused.
    env.nft.sender(founder).set_approval_for_all(operator, true).motsu_unwrap();
    for who in [stranger, operator, account] {
        let mut nft = env.nft.sender(who);
        assert!(not_owner(who)(nft.set_model(id, 9).motsu_unwrap_err()));
        let mut nft = env.nft.sender(who);
        assert!(not_owner(who)(nft.set_key_collection(id, who).motsu_unwrap_err()));
        let mut nft = env.nft.sender(who);
        let err = nft.set_instructions(id, B256::ZERO, uri("evil")).motsu_unwrap_err();
        assert!(not_owner(who)(err));
    }
    assert_eq!(env.nft.sender(stranger).ai(id).motsu_unwrap().0, 1, "nothing changed");

    // The holder updates every field, each with its event.
    let keys = tag("keys");
    env.nft.sender(founder).set_model(id, 9).motsu_unwrap();
    env.nft.assert_emitted(&ModelSet { id, model: 9 });
    env.nft.sender(founder).set_key_collection(id, keys).motsu_unwrap();
    env.nft.assert_emitted(&KeyCollectionSet { id, keyCollection: keys });
    let hash = B256::repeat_byte(0x22);
    env.nft.sender(founder).set_instructions(id, hash, uri("ar://tuning-v2")).motsu_unwrap();
    env.nft.assert_emitted(&InstructionsSet {
        id,
        instructionsHash: hash,
        instructionsUri: b"ar://tuning-v2".to_vec().into(),
    });
    assert_eq!(env.nft.sender(stranger).ai(id).motsu_unwrap(), (9, hash, keys, account));
    assert_eq!(env.nft.sender(stranger).instructions_uri(id).motsu_unwrap().0, b"ar://tuning-v2");

    // The token moves (by the approved operator): control moves with it,
    // the account stays the AI's.
    env.nft.sender(operator).transfer_from(founder, heir, id).motsu_unwrap();
    assert!(not_owner(founder)(env.nft.sender(founder).set_model(id, 4).motsu_unwrap_err()));
    env.nft.sender(heir).set_model(id, 4).motsu_unwrap();
    env.nft.sender(heir).set_key_collection(id, Address::ZERO).motsu_unwrap();
    assert_eq!(env.nft.sender(stranger).ai(id).motsu_unwrap(), (4, hash, Address::ZERO, account));
    assert_eq!(env.nft.sender(stranger).account_of(id).motsu_unwrap(), account);
}

#[test]
fn h2_every_transfer_starts_a_new_ownership_epoch_even_back_to_a_former_holder() {
    let _s = serial();
    let mut env = Env::new();
    let (founder, buyer) = (tag("founder"), tag("buyer"));
    let (id, _) = env.mint(founder, 1);
    let epoch = |env: &Env| env.nft.sender(founder).ownership_epoch(id);
    assert_eq!(epoch(&env), 0, "minted: the first holder's period");
    env.nft.sender(founder).transfer_from(founder, buyer, id).motsu_unwrap();
    assert_eq!(epoch(&env), 1);
    // Back to the founder: the same address, but a new period, so rights it
    // granted before the sale do not come back (review H-2).
    env.nft.sender(buyer).safe_transfer_from(buyer, founder, id).motsu_unwrap();
    assert_eq!(epoch(&env), 2);
    // A refused transfer changes nothing.
    assert!(env.nft.sender(buyer).transfer_from(founder, buyer, id).is_err());
    assert_eq!(epoch(&env), 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whoever mints, ids are 1, 2, 3, ... with no gap or repeat, and each
    /// AI's account is the registry's derivation for its id (so all differ).
    #[test]
    fn ids_are_sequential_and_accounts_are_the_registry_derivation(
        mints in prop::collection::vec((0u8..4, any::<u32>(), any::<[u8; 32]>()), 1..8),
    ) {
        let _s = serial();
        let mut env = Env::new();
        let mut accounts = Vec::new();
        for (n, (who, model, hash)) in mints.iter().enumerate() {
            let to = tag(&format!("member-{who}"));
            env.place_next_account();
            let hash = B256::from(*hash);
            let (id, account) = env
                .nft
                .sender(to)
                .mint(to, *model, hash, uri("ipfs://i"), Address::ZERO)
                .motsu_unwrap();
            prop_assert_eq!(id, U256::from(n + 1));
            prop_assert_eq!(account, env.derived(id));
            prop_assert_eq!(env.nft.sender(to).ai(id).motsu_unwrap(), (*model, hash, Address::ZERO, account));
            prop_assert_eq!(env.nft.sender(to).owner_of(id).motsu_unwrap(), to);
            prop_assert!(!accounts.contains(&account));
            accounts.push(account);
        }
        prop_assert_eq!(env.nft.sender(tag("x")).total_minted(), U256::from(mints.len()));
    }
}
