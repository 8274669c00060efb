//! State at past blocks (EIP-1898) through JSON-RPC: every read method and
//! `eth_call`/`eth_estimateGas` at a number, a hash object, `earliest` and
//! the tags; clear errors for blocks beyond the head, unknown hashes and
//! pruned history, with the node unharmed.

use alloy::{
    eips::BlockId,
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    transports::http::reqwest,
};
use devnode::{Config, Node};
use serde_json::{json, Value};

/// Runtime: with calldata, `SSTORE(0, word)`; without, return `SLOAD(0)`.
const STORE: [u8; 22] = [
    0x36, 0x15, 0x60, 0x0c, 0x57, // if no calldata, jump to the read
    0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x00, // sstore(0, word); stop
    0x5b, 0x60, 0x00, 0x54, 0x60, 0x00, 0x52, // jumpdest; mstore(0, sload(0))
    0x60, 0x20, 0x60,
];

fn runtime() -> Vec<u8> {
    let mut code = STORE.to_vec();
    code.extend_from_slice(&[0x00, 0xf3]); // return(0, 32)
    code
}

fn init_code() -> Vec<u8> {
    let runtime = runtime();
    let len = u8::try_from(runtime.len()).expect("short runtime");
    let mut code = vec![0x60, len, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    code.extend(runtime);
    code
}

async fn rpc(node: &Node, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = reqwest::Client::new().post(node.url()).json(&body).send().await.expect("post");
    response.json().await.expect("json response")
}

fn hex(n: u64) -> String {
    format!("{n:#x}")
}

fn word(n: u64) -> Bytes {
    Bytes::from(B256::from(U256::from(n)).0.to_vec())
}

/// A node, its first dev account's provider, and the store contract.
async fn world(history_blocks: u64) -> (Node, impl Provider, Address, Address) {
    let node = devnode::spawn(Config { port: 0, history_blocks, ..Config::default() })
        .await
        .expect("node starts");
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("key");
    let me = signer.address();
    let url = node.url().parse().expect("url");
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url);
    let deploy = TransactionRequest::default().with_deploy_code(init_code());
    let receipt = provider.send_transaction(deploy).await.unwrap().get_receipt().await.unwrap();
    let store = receipt.contract_address.expect("deployed");
    (node, provider, me, store)
}

async fn set(provider: &impl Provider, store: Address, n: u64) -> u64 {
    let tx = TransactionRequest::default().with_to(store).with_input(word(n));
    let receipt = provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    receipt.block_number.expect("mined")
}

#[tokio::test]
async fn every_read_and_call_sees_the_state_of_the_block_it_names() {
    let (node, provider, me, store) = world(devnode::chain::DEFAULT_HISTORY_BLOCKS).await;
    let deployed = provider.get_block_number().await.unwrap();
    let one = set(&provider, store, 1).await;
    let two = set(&provider, store, 2).await;
    let friend = Address::repeat_byte(0x42);
    let value = U256::from(12_345u64);
    let tx = TransactionRequest::default().with_to(friend).with_value(value);
    let paid = provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    let paid_at = paid.block_number.unwrap();

    // Storage and eth_call at each block, by number.
    for (block, expected) in [(deployed, 0u64), (one, 1), (two, 2), (paid_at, 2)] {
        let slot = provider.get_storage_at(store, U256::ZERO).number(block).await.unwrap();
        assert_eq!(slot, U256::from(expected), "storage at block {block}");
        let call = TransactionRequest::default().with_to(store);
        let out = provider.call(call).block(BlockId::number(block)).await.unwrap();
        assert_eq!(U256::from_be_slice(&out), U256::from(expected), "eth_call at block {block}");
    }
    // By hash object (EIP-1898), with requireCanonical.
    let header = provider.get_block_by_number(one.into()).await.unwrap().unwrap().header;
    let by_hash = rpc(
        &node,
        "eth_call",
        json!([{"to": store}, {"blockHash": header.hash, "requireCanonical": true}]),
    )
    .await;
    assert_eq!(by_hash["result"], format!("{:#066x}", 1), "{by_hash}");
    let slot =
        rpc(&node, "eth_getStorageAt", json!([store, "0x0", {"blockHash": header.hash}])).await;
    assert_eq!(slot["result"], format!("{:#066x}", 1), "{slot}");

    // Code before and after the deployment; nonces and balances before.
    assert_eq!(provider.get_code_at(store).number(deployed - 1).await.unwrap(), Bytes::new());
    assert_eq!(provider.get_code_at(store).number(deployed).await.unwrap(), Bytes::from(runtime()));
    let nonce_before = provider.get_transaction_count(me).number(deployed - 1).await.unwrap();
    assert_eq!(provider.get_transaction_count(me).await.unwrap(), nonce_before + 4);
    assert_eq!(provider.get_balance(friend).number(paid_at - 1).await.unwrap(), U256::ZERO);
    assert_eq!(provider.get_balance(friend).number(paid_at).await.unwrap(), value);
    let genesis = rpc(&node, "eth_getBalance", json!([me, "earliest"])).await;
    assert_eq!(genesis["result"], "0x21e19e0c9bab2400000", "10,000 ETH at genesis: {genesis}");

    // Gas estimation at a past block runs on that block's state.
    let estimate = rpc(
        &node,
        "eth_estimateGas",
        json!([{"from": me, "to": store, "data": word(7)}, hex(one)]),
    )
    .await;
    assert!(estimate["result"].is_string(), "{estimate}");

    // The tags of a dev chain all name the latest state.
    for tag in ["latest", "pending", "safe", "finalized"] {
        let slot = rpc(&node, "eth_getStorageAt", json!([store, "0x0", tag])).await;
        assert_eq!(slot["result"], format!("{:#066x}", 2), "{tag}: {slot}");
    }
    node.stop().await.unwrap();
}

#[tokio::test]
async fn bad_blocks_get_clear_errors_and_the_node_goes_on() {
    let (node, provider, me, store) = world(devnode::chain::DEFAULT_HISTORY_BLOCKS).await;
    let head = provider.get_block_number().await.unwrap();
    let beyond = rpc(&node, "eth_getBalance", json!([me, hex(head + 10)])).await;
    let message = beyond["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("beyond the head"), "{beyond}");
    let unknown =
        rpc(&node, "eth_call", json!([{"to": store}, {"blockHash": B256::repeat_byte(7)}])).await;
    let message = unknown["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not found"), "{unknown}");
    let garbage = rpc(&node, "eth_getCode", json!([store, "yesterday"])).await;
    assert!(garbage["error"]["code"].as_i64() == Some(-32602), "{garbage}");
    // Still serving.
    assert_eq!(provider.get_block_number().await.unwrap(), head);
    assert_eq!(set(&provider, store, 9).await, head + 1);
    node.stop().await.unwrap();
}

#[tokio::test]
async fn history_beyond_the_limit_is_pruned_with_a_clear_error() {
    let (node, provider, _, store) = world(3).await;
    let first = set(&provider, store, 1).await;
    for n in 2..=6 {
        set(&provider, store, n).await;
    }
    let head = provider.get_block_number().await.unwrap();
    let old = rpc(&node, "eth_getStorageAt", json!([store, "0x0", hex(first)])).await;
    let message = old["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not kept") && message.contains("--history-blocks"), "{old}");
    // The last blocks are still there.
    let slot = provider.get_storage_at(store, U256::ZERO).number(head - 2).await.unwrap();
    assert_eq!(slot, U256::from(4u64));
    node.stop().await.unwrap();
}

#[tokio::test]
async fn edits_between_blocks_belong_to_the_next_block() {
    let (node, provider, _, _) = world(devnode::chain::DEFAULT_HISTORY_BLOCKS).await;
    let who = Address::repeat_byte(0x77);
    let head = provider.get_block_number().await.unwrap();
    let set_balance = rpc(&node, "anvil_setBalance", json!([who, "0x64"])).await;
    assert!(set_balance["error"].is_null(), "{set_balance}");
    assert_eq!(provider.get_balance(who).await.unwrap(), U256::from(100u64));
    // Mine a block: the state of the earlier head did not have the balance.
    let mined = rpc(&node, "evm_mine", json!([])).await;
    assert!(mined["error"].is_null(), "{mined}");
    assert_eq!(provider.get_balance(who).number(head).await.unwrap(), U256::ZERO);
    assert_eq!(provider.get_balance(who).number(head + 1).await.unwrap(), U256::from(100u64));
    node.stop().await.unwrap();
}
