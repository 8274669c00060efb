//! Call-frame semantics of Stylus programs on the devnode: delegatecall from
//! an EVM proxy, re-entry, gas exhaustion.

use alloy_primitives::{Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use bindings::IComputeCredits;
use e2e::{constructor_call, fixture, word, Chain, ALICE, BOB};

sol! {
    interface IHookToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function setHook(address target, bytes data) external;
        function hookCalled() external view returns (bool);
        function hookSucceeded() external view returns (bool);
    }
}

fn construct_ledger(chain: &mut Chain, at: Address, asset: Address, name: &str) {
    let args = (asset, ALICE, word(name), word("CC")).abi_encode_params();
    let r = chain.send(ALICE, TxKind::Call(at), constructor_call(&args), U256::ZERO);
    assert!(r.success, "constructor reverted: {}", r.output);
}

#[test]
fn a_stylus_implementation_behind_an_evm_proxy_uses_the_proxy_storage() {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let implementation = chain.deploy_stylus(ALICE, "compute-credits");
    let mut init = fixture("DelegateProxy");
    init.extend_from_slice(&implementation.into_word().0);
    let proxy = chain.deploy(ALICE, init);

    construct_ledger(&mut chain, proxy, token, "Proxied");
    assert_eq!(chain.view(proxy, &IComputeCredits::nameCall {}), "Proxied");
    assert_eq!(chain.view(proxy, &IComputeCredits::assetCall {}), token);
    // The implementation's own storage was never written.
    assert_eq!(chain.view(implementation, &IComputeCredits::nameCall {}), "");
    assert_eq!(chain.view(implementation, &IComputeCredits::assetCall {}), Address::ZERO);
}

#[test]
fn re_entering_a_running_program_is_refused_but_other_programs_answer() {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("HookToken"));
    let ledger = chain.deploy_stylus(ALICE, "compute-credits");
    construct_ledger(&mut chain, ledger, token, "Ledger");
    // A second instance of the same code: a different program instance.
    let other = chain.deploy_stylus(BOB, "compute-credits");
    construct_ledger(&mut chain, other, token, "Other");

    let amount = U256::from(1_000u64);
    chain.exec(ALICE, token, &IHookToken::mintCall { to: ALICE, amount: amount * U256::from(2) });
    chain.exec(
        ALICE,
        token,
        &IHookToken::approveCall { spender: ledger, amount: amount * U256::from(2) },
    );

    let probe: alloy_primitives::Bytes =
        IComputeCredits::spendableOfCall { account: BOB }.abi_encode().into();
    chain.exec(ALICE, token, &IHookToken::setHookCall { target: other, data: probe.clone() });
    chain.exec(ALICE, ledger, &IComputeCredits::topUpCall { to: BOB, amount });
    assert!(chain.view(token, &IHookToken::hookCalledCall {}));
    assert!(
        chain.view(token, &IHookToken::hookSucceededCall {}),
        "another program answers mid-call"
    );

    // The token calls back into the ledger while the ledger is running:
    // stylus-sdk refuses re-entry (msg_reentrant) unless built to allow it.
    chain.exec(ALICE, token, &IHookToken::setHookCall { target: ledger, data: probe });
    chain.exec(ALICE, ledger, &IComputeCredits::topUpCall { to: BOB, amount });
    assert!(!chain.view(token, &IHookToken::hookSucceededCall {}), "re-entry refused");
    assert_eq!(
        chain.view(ledger, &IComputeCredits::spendableOfCall { account: BOB }),
        amount * U256::from(2)
    );
}

#[test]
fn running_out_of_gas_in_wasm_fails_the_call_and_keeps_state() {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let ledger = chain.deploy_stylus(ALICE, "compute-credits");
    let args = (token, ALICE, word("Ledger"), word("CC")).abi_encode_params();
    let call = constructor_call(&args);
    // Enough for the intrinsic cost, not for running the program.
    let r = chain.send_with_gas(ALICE, TxKind::Call(ledger), call.clone(), U256::ZERO, 30_000);
    assert!(!r.success);
    assert_eq!(r.gas_used, 30_000, "an out-of-gas halt consumes the whole limit");
    assert_eq!(chain.view(ledger, &IComputeCredits::nameCall {}), "", "nothing was written");
    // With enough gas the same call goes through.
    let r = chain.send(ALICE, TxKind::Call(ledger), call, U256::ZERO);
    assert!(r.success, "{}", r.output);
    assert!(r.gas_used > 30_000);
}
