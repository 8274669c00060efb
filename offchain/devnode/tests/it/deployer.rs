//! The StylusDeployer system contract: one transaction deploys, activates
//! and constructs a Stylus program, the path `cargo stylus deploy` takes for
//! contracts with a constructor. Exercised with the project's real credit
//! ledger and the `TestToken` fixture as its asset.

use alloy_primitives::{keccak256, Address, Bytes, Log, TxKind, B256, U256};
use alloy_sol_types::{Panic, PanicKind, SolCall, SolError, SolEvent, SolValue};
use bindings::IComputeCredits;
use devnode::{
    exec::{Db, Executor},
    precompiles::{arbwasm::IArbWasm, ARBWASM},
    system::{self, IStylusDeployer, STYLUS_DEPLOYER},
};
use e2e::{
    constructor_call, contract_wasm, fixture, stylus_init_code, word, Chain, Receipt, ALICE,
};
use revm::{state::AccountInfo, DatabaseRef};

const ETH: u128 = 1_000_000_000_000_000_000;

/// A chain with the `TestToken` fixture deployed (the ledger's asset).
fn chain_with_token() -> (Chain, Address) {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    (chain, token)
}

/// `stylus_constructor(asset, ALICE, name, "CC")`, as cargo-stylus encodes it.
fn ledger_constructor(asset: Address, name: &str) -> Vec<u8> {
    constructor_call(&(asset, ALICE, word(name), word("CC")).abi_encode_params())
}

fn ledger_init_code() -> Vec<u8> {
    stylus_init_code(&contract_wasm("compute-credits"))
}

/// Sends `deploy(bytecode, initData, initValue, salt)` with `value` from ALICE.
fn deploy_via(
    chain: &mut Chain,
    bytecode: Vec<u8>,
    init_data: Vec<u8>,
    salt: B256,
    value: u128,
) -> Receipt {
    let call = IStylusDeployer::deployCall {
        bytecode: bytecode.into(),
        initData: init_data.into(),
        initValue: U256::ZERO,
        salt,
    };
    chain.send(ALICE, TxKind::Call(STYLUS_DEPLOYER), call.abi_encode(), U256::from(value))
}

/// The contract a successful deploy created, from its `ContractDeployed`
/// event (where cargo-stylus reads it), checked against the return value.
fn deployed(r: &Receipt) -> Address {
    assert!(r.success, "deploy reverted: {}", r.output);
    let events: Vec<Address> = r
        .logs
        .iter()
        .filter(|l| l.address == STYLUS_DEPLOYER)
        .filter_map(|l| IStylusDeployer::ContractDeployed::decode_log(l).ok())
        .map(|e| e.deployedContract)
        .collect();
    assert_eq!(events.len(), 1, "exactly one ContractDeployed event");
    let returned = IStylusDeployer::deployCall::abi_decode_returns(&r.output).unwrap();
    assert_eq!(events[0], returned, "event and return value agree");
    returned
}

fn activations(logs: &[Log]) -> Vec<IArbWasm::ProgramActivated> {
    logs.iter()
        .filter(|l| l.address == ARBWASM)
        .filter_map(|l| IArbWasm::ProgramActivated::decode_log(l).ok())
        .map(|l| l.data)
        .collect()
}

fn code_hash(chain: &Chain, at: Address) -> B256 {
    chain.db.basic_ref(at).unwrap().map_or(B256::ZERO, |a| a.code_hash)
}

/// The code hash the ledger has once deployed (its init code's output).
fn stylus_code_hash() -> B256 {
    keccak256(stylus_check::deployable_code(&contract_wasm("compute-credits")))
}

fn is_active(chain: &mut Chain, at: Address) -> bool {
    let query = IArbWasm::codehashVersionCall { codehash: code_hash(chain, at) };
    chain.call(ALICE, ARBWASM, query.abi_encode()).is_ok()
}

fn nonce(chain: &Chain, who: Address) -> u64 {
    chain.db.basic_ref(who).unwrap().map_or(0, |a| a.nonce)
}

#[test]
fn one_transaction_deploys_activates_and_constructs_a_program() {
    let (mut chain, token) = chain_with_token();
    let alice_before = chain.balance(ALICE);
    let alice_nonce = nonce(&chain, ALICE);
    // The deployer starts at nonce 1, like any contract created on chain.
    let expected = STYLUS_DEPLOYER.create(1);

    let init_data = ledger_constructor(token, "Compute Credits");
    let r = deploy_via(&mut chain, ledger_init_code(), init_data, B256::ZERO, ETH);
    let ledger = deployed(&r);
    assert_eq!(ledger, expected, "CREATE from the deployer");
    assert_eq!(nonce(&chain, ALICE), alice_nonce + 1, "a single transaction");

    // Activated in the same transaction, at the devnode's Stylus version.
    let activated = activations(&r.logs);
    assert_eq!(activated.len(), 1, "one ProgramActivated");
    assert_eq!(activated[0].program, ledger);
    assert_eq!(activated[0].codehash, code_hash(&chain, ledger));
    assert!(is_active(&mut chain, ledger));
    let requires = IStylusDeployer::requiresActivationCall { program: ledger };
    assert!(!chain.view(STYLUS_DEPLOYER, &requires));

    // The constructor ran with the given arguments.
    assert_eq!(chain.view(ledger, &IComputeCredits::nameCall {}), "Compute Credits");
    assert_eq!(chain.view(ledger, &IComputeCredits::symbolCall {}), "CC");

    // Of the 1 ETH only the data fee was spent (gas is free in the test
    // chain); it sits with ArbWasm and nothing stays in the deployer.
    let fee = activated[0].dataFee;
    assert!(fee > U256::ZERO && fee < U256::from(ETH));
    assert_eq!(chain.balance(ALICE), alice_before - fee, "the excess came back");
    assert_eq!(chain.balance(STYLUS_DEPLOYER), U256::ZERO);
    assert_eq!(chain.balance(ARBWASM), fee);
    assert_eq!(chain.balance(ledger), U256::ZERO);
}

#[test]
fn a_failing_constructor_reverts_the_deploy_with_its_error_inside() {
    let (mut chain, _) = chain_with_token();
    let alice_before = chain.balance(ALICE);
    let would_be = STYLUS_DEPLOYER.create(1);

    // A zero asset: the ledger's constructor reverts with ZeroAddress().
    let init_data = ledger_constructor(Address::ZERO, "Compute Credits");
    let r = deploy_via(&mut chain, ledger_init_code(), init_data, B256::ZERO, ETH);
    assert!(!r.success);
    assert_eq!(&r.output[..4], [0x88, 0xd8, 0xf5, 0x7d], "Arbitrum's selector");
    let err = IStylusDeployer::ContractInitializationError::abi_decode(&r.output).unwrap();
    assert_eq!(err.newContract, would_be);
    assert_eq!(err.data.as_ref(), IComputeCredits::ZeroAddress {}.abi_encode());

    // All of it was undone: no code, no activation, no fee taken.
    assert_eq!(code_hash(&chain, would_be), B256::ZERO, "nothing deployed");
    let query = IArbWasm::codehashVersionCall { codehash: stylus_code_hash() };
    assert!(chain.call(ALICE, ARBWASM, query.abi_encode()).is_err(), "not activated");
    assert_eq!(chain.balance(ALICE), alice_before);
    assert!(r.logs.is_empty());
}

#[test]
fn a_salt_deploys_with_create2_at_the_init_salt_address() {
    let (mut chain, token) = chain_with_token();
    let salt = B256::repeat_byte(0x5a);
    let init_code = ledger_init_code();
    let init_data = ledger_constructor(token, "Salted");

    // The documented rule: CREATE2 with keccak256(salt ++ initData).
    let mut preimage = salt.to_vec();
    preimage.extend_from_slice(&init_data);
    let create2_salt = keccak256(&preimage);
    let expected = STYLUS_DEPLOYER.create2(create2_salt, keccak256(&init_code));
    let on_chain = chain.view(
        STYLUS_DEPLOYER,
        &IStylusDeployer::initSaltCall { salt, initData: init_data.clone().into() },
    );
    assert_eq!(on_chain, create2_salt);

    let r = deploy_via(&mut chain, init_code.clone(), init_data.clone(), salt, ETH);
    let ledger = deployed(&r);
    assert_eq!(ledger, expected);
    assert_ne!(ledger, STYLUS_DEPLOYER.create(1), "not CREATE");
    assert_eq!(chain.view(ledger, &IComputeCredits::nameCall {}), "Salted");

    // The same salt and init data again collide with the first contract.
    let again = deploy_via(&mut chain, init_code.clone(), init_data, salt, ETH);
    assert!(!again.success);
    let err = IStylusDeployer::ContractDeploymentError::abi_decode(&again.output).unwrap();
    assert_eq!(err.bytecode.as_ref(), init_code.as_slice());

    // The same salt with other init data is another address: the salt
    // commits to the constructor call.
    let other = ledger_constructor(token, "Other");
    let r = deploy_via(&mut chain, init_code, other, salt, ETH);
    let second = deployed(&r);
    assert_ne!(second, ledger);
    assert_eq!(chain.view(second, &IComputeCredits::nameCall {}), "Other");
}

#[test]
fn already_active_code_is_not_activated_again() {
    let (mut chain, token) = chain_with_token();
    let first = deployed(&deploy_via(
        &mut chain,
        ledger_init_code(),
        ledger_constructor(token, "First"),
        B256::ZERO,
        ETH,
    ));
    let arbwasm_before = chain.balance(ARBWASM);
    let alice_before = chain.balance(ALICE);

    // Same code, so the same code hash: activation would fail with
    // ProgramUpToDate, so the deployer must skip it, and the whole value
    // comes back.
    let r = deploy_via(
        &mut chain,
        ledger_init_code(),
        ledger_constructor(token, "Second"),
        B256::ZERO,
        ETH,
    );
    let second = deployed(&r);
    assert_ne!(second, first);
    assert_eq!(code_hash(&chain, second), code_hash(&chain, first));
    assert!(activations(&r.logs).is_empty(), "no ProgramActivated");
    assert_eq!(chain.balance(ALICE), alice_before, "all of the value refunded");
    assert_eq!(chain.balance(ARBWASM), arbwasm_before, "no data fee");
    assert_eq!(chain.view(second, &IComputeCredits::nameCall {}), "Second");

    // And it needs no value at all.
    let r = deploy_via(
        &mut chain,
        ledger_init_code(),
        ledger_constructor(token, "Third"),
        B256::ZERO,
        0,
    );
    let third = deployed(&r);
    assert_eq!(chain.view(third, &IComputeCredits::nameCall {}), "Third");
}

#[test]
fn the_value_must_cover_the_data_fee() {
    let (mut chain, token) = chain_with_token();
    let init_data = ledger_constructor(token, "Compute Credits");
    let r = deploy_via(&mut chain, ledger_init_code(), init_data, B256::ZERO, 1);
    assert!(!r.success);
    // ArbWasm's own error reaches the caller.
    let err = IArbWasm::ProgramInsufficientValue::abi_decode(&r.output).unwrap();
    assert_eq!(err.have, U256::from(1));
    assert!(err.want > U256::from(1));
}

/// Sends a deploy that must revert; its revert data.
fn rejected(
    chain: &mut Chain,
    bytecode: Vec<u8>,
    init_data: Vec<u8>,
    init_value: u128,
    value: u128,
) -> Bytes {
    let call = IStylusDeployer::deployCall {
        bytecode: bytecode.into(),
        initData: init_data.into(),
        initValue: U256::from(init_value),
        salt: B256::ZERO,
    };
    let r = chain.send(ALICE, TxKind::Call(STYLUS_DEPLOYER), call.abi_encode(), U256::from(value));
    assert!(!r.success);
    r.output
}

#[test]
fn malformed_requests_are_refused_with_the_documented_errors() {
    let (mut chain, _) = chain_with_token();
    let out = rejected(&mut chain, vec![], vec![1], 0, 0);
    assert_eq!(out.as_ref(), IStylusDeployer::EmptyBytecode {}.abi_encode());
    let out = rejected(&mut chain, ledger_init_code(), vec![], 1, 1);
    assert_eq!(out.as_ref(), IStylusDeployer::InitValueButNotInitData {}.abi_encode());
    // Less value than initValue: checked arithmetic panics.
    let out = rejected(&mut chain, ledger_init_code(), vec![1], 2, 1);
    assert_eq!(out.as_ref(), Panic::from(PanicKind::UnderOverflow).abi_encode());
    // EVM code is no Stylus program: ArbWasm refuses to activate it.
    let out = rejected(&mut chain, fixture("Forwarder"), vec![], 0, ETH);
    assert_eq!(out.as_ref(), IArbWasm::ProgramNotWasm {}.abi_encode());
}

#[test]
fn every_chain_has_the_deployer_and_installing_it_again_changes_nothing() {
    let mut db = Db::default();
    Executor::install_system_accounts(&mut db);
    let info = db.basic_ref(STYLUS_DEPLOYER).unwrap().expect("deployer account");
    let code = info.code.clone().expect("deployer code");
    assert_eq!(code.original_bytes(), system::stylus_deployer_code().original_bytes());
    assert_eq!(info.code_hash, keccak256(code.original_bytes()));
    assert_eq!(info.nonce, 1);
    assert!(db.cache.accounts[&STYLUS_DEPLOYER].storage.is_empty(), "code only");

    // A second install (a chain does one whenever it loads a state) keeps what is there,
    // balance included.
    let with_balance = info.clone().with_balance(U256::from(7));
    db.insert_account_info(STYLUS_DEPLOYER, with_balance.clone());
    Executor::install_system_accounts(&mut db);
    assert_eq!(db.basic_ref(STYLUS_DEPLOYER).unwrap(), Some(with_balance));
    // ArbWasm is still installed alongside.
    assert!(db.basic_ref(ARBWASM).unwrap().is_some_and(|a| !a.is_empty_code_hash()));

    // An account that had only a balance gets the code and keeps the balance.
    let mut db = Db::default();
    db.insert_account_info(STYLUS_DEPLOYER, AccountInfo::default().with_balance(U256::from(9)));
    Executor::install_system_accounts(&mut db);
    let info = db.basic_ref(STYLUS_DEPLOYER).unwrap().unwrap();
    assert_eq!(info.balance, U256::from(9));
    assert!(!info.is_empty_code_hash());
}

#[test]
fn the_interface_matches_arbitrums_selectors() {
    // The selectors tools match on, computed from the documented signatures.
    let selector = keccak256("deploy(bytes,bytes,uint256,bytes32)");
    assert_eq!(IStylusDeployer::deployCall::SELECTOR, selector[..4]);
    assert_eq!(IStylusDeployer::ContractInitializationError::SELECTOR, [0x88, 0xd8, 0xf5, 0x7d]);
    assert_eq!(
        IStylusDeployer::ContractDeployed::SIGNATURE_HASH,
        keccak256("ContractDeployed(address)")
    );
}
