//! Bad input over JSON-RPC: each gets a clear error and the node keeps
//! serving (checked after every case by a working request).

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, TransactionBuilder, TxSignerSync},
    primitives::{Address, Bytes, Signature, TxKind, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol,
    sol_types::{SolCall, SolError},
    transports::http::reqwest,
};
use devnode::{Config, Node};
use e2e::stylus_init_code;
use serde_json::{json, Value};

sol! {
    interface IArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        error ProgramNotWasm();
    }
}

async fn start() -> Node {
    devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node starts")
}

fn signer(node: &Node) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("dev key")
}

async fn post_raw(node: &Node, body: &str) -> Value {
    let response = reqwest::Client::new()
        .post(node.url())
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("post");
    response.json().await.expect("json answer")
}

async fn rpc(node: &Node, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    post_raw(node, &body.to_string()).await
}

/// The node still answers a well-formed request.
async fn still_serving(node: &Node) {
    let answer = rpc(node, "eth_chainId", json!([])).await;
    assert_eq!(answer["result"], "0x64aba", "node stopped serving: {answer}");
}

/// A signed EIP-1559 transfer of `value` wei with the given nonce, as raw bytes.
fn raw_transfer(signer: &PrivateKeySigner, nonce: u64, value: u64) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id: 412_346,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(Address::repeat_byte(9)),
        value: U256::from(value),
        ..TxEip1559::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
    tx.into_signed(signature).encoded_2718().into()
}

#[tokio::test]
async fn malformed_json_and_unknown_methods_get_json_rpc_errors() {
    let node = start().await;
    let answer = post_raw(&node, "{\"jsonrpc\": \"2.0\", \"method\": ").await;
    assert_eq!(answer["error"]["code"], -32700, "parse error: {answer}");
    still_serving(&node).await;
    let answer = rpc(&node, "eth_noSuchMethod", json!([])).await;
    assert_eq!(answer["error"]["code"], -32601, "method not found: {answer}");
    still_serving(&node).await;
}

#[tokio::test]
async fn transactions_with_bad_signatures_or_bytes_are_refused() {
    let node = start().await;
    let good = raw_transfer(&signer(&node), 0, 1);
    // Flip a byte inside the signature's `s`: it recovers to another
    // address (with no funds) or to nothing; either way it must not mine.
    let mut tampered = good.to_vec();
    let at = tampered.len() - 5;
    tampered[at] ^= 0xFF;
    let answer = rpc(&node, "eth_sendRawTransaction", json!([Bytes::from(tampered)])).await;
    assert!(answer["error"]["code"].is_i64(), "tampered transaction accepted: {answer}");
    let answer = rpc(&node, "eth_sendRawTransaction", json!(["0x02deadbeef"])).await;
    assert!(answer["error"]["message"].as_str().is_some(), "{answer}");
    let zero_sig = Signature::new(U256::ZERO, U256::ZERO, false);
    let unsigned = TxEip1559 { chain_id: 412_346, gas_limit: 21_000, ..TxEip1559::default() };
    let raw: Bytes = unsigned.into_signed(zero_sig).encoded_2718().into();
    let answer = rpc(&node, "eth_sendRawTransaction", json!([raw])).await;
    assert!(answer["error"].is_object(), "zero signature accepted: {answer}");
    assert_eq!(rpc(&node, "eth_blockNumber", json!([])).await["result"], "0x0", "nothing mined");
    still_serving(&node).await;
    // The untampered one still goes through.
    let answer = rpc(&node, "eth_sendRawTransaction", json!([good])).await;
    assert!(answer["result"].is_string(), "{answer}");
}

#[tokio::test]
async fn a_nonce_gap_or_a_reused_nonce_is_refused_in_automine() {
    let node = start().await;
    let signer = signer(&node);
    let answer = rpc(&node, "eth_sendRawTransaction", json!([raw_transfer(&signer, 5, 1)])).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains("nonce"), "nonce gap: {answer}");
    let ok = rpc(&node, "eth_sendRawTransaction", json!([raw_transfer(&signer, 0, 1)])).await;
    assert!(ok["result"].is_string(), "{ok}");
    // A different transaction with the nonce already used.
    let answer = rpc(&node, "eth_sendRawTransaction", json!([raw_transfer(&signer, 0, 2)])).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains("nonce"), "reused nonce: {answer}");
    still_serving(&node).await;
}

/// Deploys `wasm` as Stylus code and asks ArbWasm to activate it; returns
/// the JSON-RPC answer of the activation's `eth_call`.
async fn try_activation(node: &Node, wasm: &[u8]) -> Value {
    let url = node.url().parse().expect("url");
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(signer(node))).connect_http(url);
    let deploy =
        TransactionRequest::default().with_deploy_code(Bytes::from(stylus_init_code(wasm)));
    let receipt = provider.send_transaction(deploy).await.unwrap().get_receipt().await.unwrap();
    let program = receipt.contract_address.expect("deployed");
    let call = IArbWasm::activateProgramCall { program }.abi_encode();
    let tx = json!({"to": devnode::precompiles::ARBWASM, "value": "0xde0b6b3a7640000", "input": Bytes::from(call)});
    rpc(node, "eth_call", json!([tx, "latest"])).await
}

#[tokio::test]
async fn programs_breaking_stylus_rules_are_refused_at_activation() {
    let node = start().await;
    let not_wasm_error = format!("0x{}", alloy::hex::encode(IArbWasm::ProgramNotWasm::SELECTOR));
    let with_float = wat::parse_str(
        r#"(module
          (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
          (memory (export "memory") 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            f32.const 1.5 i32.trunc_f32_s))"#,
    )
    .unwrap();
    let bad_import = wat::parse_str(
        r#"(module
          (import "env" "abort" (func))
          (memory (export "memory") 1)
          (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
    )
    .unwrap();
    // Past the raw limit yet tiny once compressed (zeros), so that it can
    // be deployed at all and only activation refuses it.
    let zeros = "\\00".repeat(140_000);
    let too_large = wat::parse_str(format!(
        r#"(module
          (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
          (memory (export "memory") 4)
          (data (i32.const 0) "{zeros}")
          (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
    ))
    .unwrap();
    for (what, wasm) in
        [("a float", with_float), ("a foreign import", bad_import), ("over 128 KiB", too_large)]
    {
        let answer = try_activation(&node, &wasm).await;
        assert_eq!(answer["error"]["code"], 3, "{what}: {answer}");
        assert_eq!(answer["error"]["data"], not_wasm_error, "{what}: {answer}");
        still_serving(&node).await;
    }
}
