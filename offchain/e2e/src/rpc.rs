//! JSON-RPC helpers for tests that drive an in-process node with alloy, as
//! a dApp would.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::Provider,
    rpc::types::{TransactionReceipt, TransactionRequest},
};

pub use bindings::IArbWasm;

use super::{constructor_call, contract_wasm, stylus_init_code};

/// Sends `tx` and waits for its successful receipt.
pub async fn mined(provider: &impl Provider, tx: TransactionRequest) -> TransactionReceipt {
    let receipt =
        provider.send_transaction(tx).await.expect("sent").get_receipt().await.expect("receipt");
    assert!(receipt.status(), "transaction reverted: {receipt:?}");
    receipt
}

/// Deploys EVM init code and returns the contract's address.
pub async fn deploy(provider: &impl Provider, init_code: Vec<u8>) -> Address {
    let tx = TransactionRequest::default().with_deploy_code(Bytes::from(init_code));
    mined(provider, tx).await.contract_address.expect("created")
}

/// Deploys, activates (paying the data fee quoted by an `eth_call`) and
/// constructs one of the project's Stylus programs with ABI-encoded `args`.
pub async fn deploy_stylus(provider: &impl Provider, name: &str, args: &[u8]) -> Address {
    let program = deploy(provider, stylus_init_code(&contract_wasm(name))).await;
    let arbwasm = IArbWasm::new(devnode::precompiles::ARBWASM, provider);
    let quote = arbwasm.activateProgram(program).value(U256::from(10u128.pow(18)));
    let fee = quote.call().await.expect("fee quote").dataFee;
    let activate = arbwasm.activateProgram(program).value(fee).into_transaction_request();
    mined(provider, activate).await;
    let construct =
        TransactionRequest::default().with_to(program).with_input(constructor_call(args));
    mined(provider, construct).await;
    program
}
