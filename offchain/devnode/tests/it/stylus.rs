//! Stylus execution on the devnode, without JSON-RPC: the project's real
//! contracts (vault and credit ledger, built by `cargo xtask wasm`) calling
//! and called by EVM contracts (OpenZeppelin's Solidity ERC-20 and ERC-4626
//! as test doubles).

use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use bindings::{IComputeCredits, IVault};
use devnode::precompiles::{arbwasm::IArbWasm, ARBWASM};
use e2e::{constructor_call, contract_wasm, fixture, stylus_init_code, word, Chain, ALICE, BOB};

sol! {
    interface ITestToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address who) external view returns (uint256);
    }
    interface ITestYieldSource {
        function simulateGain(uint256 amount) external;
        function simulateLoss(uint256 amount) external;
    }
    interface IForwarder {
        function forward(address target, bytes data) external payable returns (bytes);
        function forwardStatic(address target, bytes data) external view returns (bytes);
    }
}

const ETH: u128 = 1_000_000_000_000_000_000;

/// A chain with the asset, the yield source and an initialised ledger.
struct World {
    chain: Chain,
    token: Address,
    source: Address,
    ledger: Address,
}

fn world() -> World {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let mut source_init = fixture("TestYieldSource");
    source_init.extend_from_slice(&token.into_word().0);
    let source = chain.deploy(ALICE, source_init);
    let ledger = chain.deploy_stylus(ALICE, "compute-credits");
    let args = (token, ALICE, word("Compute Credits"), word("CC"));
    let r = chain.send(
        ALICE,
        TxKind::Call(ledger),
        constructor_call(&args.abi_encode_params()),
        U256::ZERO,
    );
    assert!(r.success, "ledger constructor reverted: {}", r.output);
    World { chain, token, source, ledger }
}

#[test]
fn a_program_runs_only_after_activation() {
    let mut chain = Chain::new();
    let program = chain.deploy(ALICE, stylus_init_code(&contract_wasm("compute-credits")));
    let name = IComputeCredits::nameCall {}.abi_encode();
    let err = chain.call(ALICE, program, name.clone()).unwrap_err();
    assert_eq!(err.as_ref(), IArbWasm::ProgramNotActivated {}.abi_encode());

    let code_hash =
        keccak256(chain.db.cache.accounts[&program].info.code.as_ref().unwrap().original_bytes());
    let query = IArbWasm::codehashVersionCall { codehash: code_hash }.abi_encode();
    assert!(chain.call(ALICE, ARBWASM, query.clone()).is_err(), "not active yet");

    let before = chain.balance(ALICE);
    let activate = IArbWasm::activateProgramCall { program }.abi_encode();
    let r = chain.send(ALICE, TxKind::Call(ARBWASM), activate.clone(), U256::from(ETH));
    assert!(r.success, "{}", r.output);
    let ret = IArbWasm::activateProgramCall::abi_decode_returns(&r.output).unwrap();
    assert_eq!(ret.version, devnode::precompiles::arbwasm::STYLUS_VERSION);
    assert!(ret.dataFee > U256::ZERO);
    // Only the data fee is kept; the rest of the 1 ETH came back.
    assert_eq!(chain.balance(ALICE), before - ret.dataFee);
    assert_eq!(r.logs.len(), 1, "ProgramActivated");

    let version = chain.call(ALICE, ARBWASM, query).unwrap();
    assert_eq!(IArbWasm::codehashVersionCall::abi_decode_returns(&version).unwrap(), ret.version);
    // A second activation is refused with Arbitrum's error.
    let again = chain.send(ALICE, TxKind::Call(ARBWASM), activate, U256::from(ETH));
    assert_eq!(again.output.as_ref(), IArbWasm::ProgramUpToDate {}.abi_encode());
    // Constructed or not, the router now answers (an empty name).
    assert!(chain.call(ALICE, program, name).is_ok());
}

/// Every call of a program starts from the module's initial state, although
/// the devnode reuses instances between calls: later calls, and a call after
/// one that grew memory, see exactly what the first call saw.
#[test]
fn every_call_starts_from_the_programs_initial_state() {
    const PROGRAM: &str = r#"(module
      (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
      (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
      (memory (export "memory") 1)
      (global $calls (mut i32) (i32.const 0))
      (data (i32.const 64) "\2a")
      (func (export "user_entrypoint") (param $len i32) (result i32)
        ;; Returns the calls seen so far, the byte at 64 and the memory size,
        ;; then changes all three (memory only when given calldata).
        (i32.store (i32.const 0) (global.get $calls))
        (i32.store (i32.const 4) (i32.load8_u (i32.const 64)))
        (i32.store (i32.const 8) (memory.size))
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (i32.store8 (i32.const 64) (i32.const 0))
        (if (local.get $len)
          (then (call $pay (i32.const 1)) (drop (memory.grow (i32.const 1)))))
        (call $write_result (i32.const 0) (i32.const 12))
        (i32.const 0)))"#;
    let mut chain = Chain::new();
    let program = chain.deploy_program(ALICE, &wat::parse_str(PROGRAM).unwrap());
    let first = [0u8, 0, 0, 0, 0x2a, 0, 0, 0, 1, 0, 0, 0];
    for (step, calldata) in [&b""[..], b"", b"grow", b"", b"grow", b""].into_iter().enumerate() {
        let out = chain.call(ALICE, program, calldata.to_vec()).unwrap();
        assert_eq!(out.as_ref(), first, "call {step}");
    }
    let r = chain.send(ALICE, TxKind::Call(program), b"grow".to_vec(), U256::ZERO);
    assert!(r.success);
    assert_eq!(r.output.as_ref(), first);
    assert_eq!(chain.call(ALICE, program, Vec::new()).unwrap().as_ref(), first);
}

#[test]
fn activation_rejects_code_that_is_not_a_stylus_program() {
    let mut chain = Chain::new();
    let evm = chain.deploy(ALICE, fixture("Forwarder"));
    let activate = IArbWasm::activateProgramCall { program: evm }.abi_encode();
    let r = chain.send(ALICE, TxKind::Call(ARBWASM), activate, U256::from(ETH));
    assert!(!r.success);
    assert_eq!(r.output.as_ref(), IArbWasm::ProgramNotWasm {}.abi_encode());
}

#[test]
fn the_ledger_takes_a_top_up_through_an_evm_erc20() {
    let World { mut chain, token, ledger, .. } = world();
    assert_eq!(chain.view(ledger, &IComputeCredits::nameCall {}), "Compute Credits");
    assert_eq!(chain.view(ledger, &IComputeCredits::decimalsCall {}), 18);

    let amount = U256::from(5 * ETH);
    chain.exec(ALICE, token, &ITestToken::mintCall { to: ALICE, amount });
    chain.exec(ALICE, token, &ITestToken::approveCall { spender: ledger, amount });
    // Stylus -> EVM: the ledger pulls the asset with transferFrom.
    let r = chain.exec(ALICE, ledger, &IComputeCredits::topUpCall { to: BOB, amount });
    assert!(r.logs.iter().any(|l| l.address == token), "the ERC-20's Transfer event");
    assert!(r.logs.iter().any(|l| l.address == ledger), "the ledger's own event");
    assert_eq!(chain.view(ledger, &IComputeCredits::spendableOfCall { account: BOB }), amount);
    assert_eq!(chain.view(token, &ITestToken::balanceOfCall { who: ledger }), amount);
    assert_eq!(chain.view(token, &ITestToken::balanceOfCall { who: ALICE }), U256::ZERO);
    println!("topUp gas: {}", r.gas_used);
}

#[test]
fn evm_contracts_call_stylus_and_see_its_typed_errors() {
    let World { mut chain, ledger, .. } = world();
    let forwarder = chain.deploy(ALICE, fixture("Forwarder"));
    let inner = IComputeCredits::balanceOfCall { account: BOB }.abi_encode();
    let out = chain
        .view(forwarder, &IForwarder::forwardStaticCall { target: ledger, data: inner.into() });
    assert_eq!(U256::from_be_slice(&out), U256::ZERO);

    // A revert inside the Stylus callee reaches the EVM caller byte for byte.
    let bad = IComputeCredits::topUpCall { to: BOB, amount: U256::ZERO }.abi_encode();
    let call = IForwarder::forwardCall { target: ledger, data: bad.into() }.abi_encode();
    let r = chain.send(ALICE, TxKind::Call(forwarder), call, U256::ZERO);
    assert!(!r.success);
    assert_eq!(r.output.as_ref(), IComputeCredits::ZeroAmount {}.abi_encode());
}

#[test]
fn a_static_call_cannot_write_stylus_storage() {
    let World { mut chain, token, ledger, .. } = world();
    let amount = U256::from(ETH);
    chain.exec(ALICE, token, &ITestToken::mintCall { to: ledger, amount });
    let forwarder = chain.deploy(ALICE, fixture("Forwarder"));
    // topUp would write; under STATICCALL the program must fail.
    let write = IComputeCredits::topUpCall { to: BOB, amount }.abi_encode();
    let call = IForwarder::forwardStaticCall { target: ledger, data: write.into() }.abi_encode();
    assert!(chain.call(ALICE, forwarder, call).is_err());
    assert_eq!(chain.view(ledger, &IComputeCredits::spendableOfCall { account: BOB }), U256::ZERO);
}

#[test]
fn the_vault_turns_yield_into_credits_and_returns_exact_principal() {
    let World { mut chain, token, source, ledger } = world();
    let vault = chain.deploy_stylus(ALICE, "vault");
    let community = Address::repeat_byte(0xC0);
    let args = (
        token,
        source,
        ledger,
        ALICE,
        community,
        word("Community Vault"),
        word("cVLT"),
        10u16,
        U256::from(ETH / 100),
        0u16,
        U256::ZERO,
        86_400u64,
    );
    let r = chain.send(
        ALICE,
        TxKind::Call(vault),
        constructor_call(&args.abi_encode_params()),
        U256::ZERO,
    );
    assert!(r.success, "vault constructor reverted: {}", r.output);
    let role = keccak256("VAULT_ROLE");
    chain.exec(ALICE, ledger, &IComputeCredits::grantRoleCall { role, account: vault });

    let stake = U256::from(ETH / 10);
    for member in [ALICE, BOB] {
        chain.exec(ALICE, token, &ITestToken::mintCall { to: member, amount: stake });
        chain.exec(member, token, &ITestToken::approveCall { spender: vault, amount: stake });
        // Stylus -> EVM -> EVM: the vault deposits into the ERC-4626 source.
        chain.exec(
            member,
            vault,
            &IVault::depositCall { assets: stake, beneficiary: community, lockSeconds: 0 },
        );
        assert_eq!(chain.view(vault, &IVault::balanceOfCall { account: member }), stake);
    }

    // The source earns 5 %; harvest skims it to the ledger (Stylus -> Stylus).
    let gain = stake * U256::from(2) / U256::from(20);
    chain.exec(ALICE, source, &ITestYieldSource::simulateGainCall { amount: gain });
    let r = chain.exec(BOB, vault, &IVault::harvestCall {});
    let harvested = IVault::harvestCall::abi_decode_returns(&r.output).unwrap();
    println!("harvest gas: {}", r.gas_used);
    let (skimmed, tip) = (harvested.credits, harvested.tip);
    // All of it but two source shares kept back for the roundings of
    // delivering it and of the next exit (each "one share" is a share's
    // value, here about one unit, plus 3: 8 in all), and the source's own
    // rounding (up to 2).
    assert!(
        skimmed + tip + U256::from(10) >= gain && skimmed + tip <= gain,
        "{skimmed} + {tip} vs {gain}"
    );
    chain.exec(ALICE, vault, &IVault::claimCall { member: ALICE });
    let credits = chain.view(ledger, &IComputeCredits::spendableOfCall { account: community });
    assert_eq!(credits, skimmed, "every harvested unit became the community's credits");
    let backing = chain.view(ledger, &IComputeCredits::backingCall {});
    assert!(backing.held >= backing.owed, "ledger fully backed");

    for member in [ALICE, BOB] {
        let before = chain.view(token, &ITestToken::balanceOfCall { who: member });
        chain.exec(member, vault, &IVault::withdrawCall { principal: stake, receiver: member });
        let after = chain.view(token, &ITestToken::balanceOfCall { who: member });
        assert_eq!(after - before, stake, "exact principal back");
    }
}

/// `cargo xtask wasm` builds every contract, the OpenZeppelin-based ones
/// included, with the `native_keccak256` host call: no contract hashes its
/// mapping slots in WASM (thousands of instructions per slot, paid in ink).
#[test]
fn every_contract_hashes_through_the_host() {
    let mut modules: Vec<_> = std::fs::read_dir(e2e::stylus_dir())
        .expect("contracts are built")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "wasm"))
        .collect();
    modules.sort();
    assert!(modules.len() >= 11, "{modules:?}");
    for path in modules {
        let wasm = std::fs::read(&path).unwrap();
        let imports_keccak = wasmparser::Parser::new(0).parse_all(&wasm).any(|payload| {
            let Ok(wasmparser::Payload::ImportSection(reader)) = payload else { return false };
            reader.into_imports().any(|import| {
                import.is_ok_and(|i| i.module == "vm_hooks" && i.name == "native_keccak256")
            })
        });
        assert!(imports_keccak, "{} hashes in WASM", path.display());
    }
}
