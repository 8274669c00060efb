//! End-to-end tests of the JSON-RPC API: an in-process node on a free port,
//! driven over real HTTP by alloy's provider and by raw JSON requests.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{b256, Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::http::reqwest,
};
use devnode::{Config, Node};
use serde_json::{json, Value};

/// The topic the test contract logs as topic 0.
const TOPIC: B256 = b256!("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");

/// Runtime code: if the first calldata byte is 0xff it reverts with the
/// calldata as revert data; otherwise it logs `LOG2(word, TOPIC, word)` and
/// returns `word`, where `word` is the first calldata word.
fn runtime() -> Vec<u8> {
    let mut code = vec![
        0x60, 0x00, 0x35, 0x80, 0x60, 0xf8, 0x1c, 0x60, 0xff, 0x14, 0x60, 0x3c,
        0x57, // dispatch
        0x80, 0x60, 0x00, 0x52, 0x7f, // mstore(0, word); PUSH32 TOPIC
    ];
    code.extend_from_slice(TOPIC.as_slice());
    code.extend_from_slice(&[
        0x60, 0x20, 0x60, 0x00, 0xa2, // LOG2(0, 32, TOPIC, word)
        0x60, 0x20, 0x60, 0x00, 0xf3, // RETURN(0, 32)
        0x5b, 0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // JUMPDEST; CALLDATACOPY(0, 0, size)
        0x36, 0x60, 0x00, 0xfd, // REVERT(0, size)
    ]);
    code
}

/// Init code that deploys [`runtime`].
fn init_code() -> Vec<u8> {
    let runtime = runtime();
    let len = u8::try_from(runtime.len()).expect("short runtime");
    let mut code = vec![0x60, len, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    code.extend(runtime);
    code
}

async fn start() -> Node {
    devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node starts")
}

fn wallet(node: &Node, index: usize) -> (Address, EthereumWallet) {
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[index].key).expect("key");
    (signer.address(), EthereumWallet::from(signer))
}

fn provider(node: &Node, index: usize) -> (Address, impl Provider) {
    let (address, wallet) = wallet(node, index);
    let url = node.url().parse().expect("url");
    (address, ProviderBuilder::new().wallet(wallet).connect_http(url))
}

async fn send(provider: &impl Provider, tx: TransactionRequest) -> TransactionReceipt {
    let pending = provider.send_transaction(tx).await.expect("sent");
    pending.get_receipt().await.expect("receipt")
}

/// Posts a raw JSON-RPC body and returns the parsed response.
async fn post(node: &Node, body: &Value) -> Value {
    let response = reqwest::Client::new().post(node.url()).json(body).send().await.expect("post");
    response.json().await.expect("json response")
}

async fn rpc(node: &Node, method: &str, params: Value) -> Value {
    post(node, &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).await
}

fn word(n: u8) -> B256 {
    B256::with_last_byte(n)
}

#[tokio::test]
async fn chain_id_block_number_and_accounts() {
    let node = start().await;
    let (_, provider) = provider(&node, 0);
    assert_eq!(provider.get_chain_id().await.unwrap(), 412_346);
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
    let accounts = provider.get_accounts().await.unwrap();
    assert_eq!(accounts.len(), 11, "10 mnemonic accounts and the nitro dev account");
    assert_eq!(
        accounts[0],
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse::<Address>().unwrap()
    );
    let nitro: Address = "0x3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E".parse().unwrap();
    assert_eq!(accounts[10], nitro);
    let ten_k_eth = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
    assert_eq!(provider.get_balance(nitro).await.unwrap(), ten_k_eth);
    assert_eq!(rpc(&node, "net_version", json!([])).await["result"], "412346");
}

#[tokio::test]
async fn eip1559_transfer_is_mined_with_receipt_and_balances() {
    let node = start().await;
    let (from, provider) = provider(&node, 0);
    let to = Address::repeat_byte(0x42);
    let before = provider.get_balance(from).await.unwrap();
    let value = U256::from(1_000_000_000_000_000_000u64);
    let receipt =
        send(&provider, TransactionRequest::default().with_to(to).with_value(value)).await;

    assert!(receipt.status());
    assert_eq!(receipt.transaction_type() as u8, 2);
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.block_number, Some(1));
    assert_eq!(provider.get_balance(to).await.unwrap(), value);
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(provider.get_balance(from).await.unwrap(), before - value - fee);
    assert_eq!(provider.get_transaction_count(from).await.unwrap(), 1);

    let block = provider.get_block_by_number(1.into()).await.unwrap().expect("block 1");
    assert_eq!(Some(block.header.hash), receipt.block_hash);
    assert_eq!(block.header.inner.hash_slow(), block.header.hash, "hash is the RLP header hash");
    assert_eq!(block.transactions.hashes().collect::<Vec<_>>(), vec![receipt.transaction_hash]);
    let tx = provider.get_transaction_by_hash(receipt.transaction_hash).await.unwrap().unwrap();
    assert_eq!(tx.inner.signer(), from);
}

#[tokio::test]
async fn legacy_transfer_is_mined() {
    let node = start().await;
    let (from, provider) = provider(&node, 1);
    let to = Address::repeat_byte(0x43);
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(12_345u64))
        .with_gas_price(200_000_000)
        .with_gas_limit(21_000);
    let receipt = send(&provider, tx).await;
    assert!(receipt.status());
    assert_eq!(receipt.transaction_type() as u8, 0);
    assert_eq!(receipt.from, from);
    assert_eq!(receipt.effective_gas_price, 200_000_000);
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(12_345u64));
}

#[tokio::test]
async fn contract_deploy_call_and_log_filters() {
    let node = start().await;
    let (_, provider) = provider(&node, 0);
    let deploy = TransactionRequest::default().with_deploy_code(init_code());
    let receipt = send(&provider, deploy).await;
    let contract = receipt.contract_address.expect("created");
    assert_eq!(provider.get_code_at(contract).await.unwrap(), Bytes::from(runtime()));

    let call = |n: u8| TransactionRequest::default().with_to(contract).with_input(word(n));
    assert_eq!(provider.call(call(7)).await.unwrap(), Bytes::from(word(7).to_vec()));
    let first = send(&provider, call(1)).await;
    let second = send(&provider, call(2)).await;
    assert_eq!(first.inner.logs().len(), 1);

    let by_topic = Filter::new().address(contract).event_signature(TOPIC).topic1(word(2));
    let logs = provider.get_logs(&by_topic.from_block(0)).await.unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].transaction_hash, Some(second.transaction_hash));
    assert_eq!(logs[0].data().data, Bytes::from(word(2).to_vec()));

    let all = Filter::new().address(contract).from_block(0);
    assert_eq!(provider.get_logs(&all).await.unwrap().len(), 2);
    let from_second = Filter::new().address(contract).from_block(second.block_number.unwrap());
    assert_eq!(provider.get_logs(&from_second).await.unwrap().len(), 1);
    let at_first = Filter::new().at_block_hash(first.block_hash.unwrap());
    assert_eq!(provider.get_logs(&at_first).await.unwrap()[0].topics()[1], word(1));
    let other_address = Filter::new().address(Address::repeat_byte(1)).from_block(0);
    assert!(provider.get_logs(&other_address).await.unwrap().is_empty());
    let other_topic = Filter::new().event_signature(TOPIC).topic1(word(9)).from_block(0);
    assert!(provider.get_logs(&other_topic).await.unwrap().is_empty());
}

#[tokio::test]
async fn reverts_are_code_3_with_data_and_empty_reverts_are_32000() {
    let node = start().await;
    let (_, provider) = provider(&node, 0);
    let contract = send(&provider, TransactionRequest::default().with_deploy_code(init_code()))
        .await
        .contract_address
        .unwrap();
    // Calldata under `input`, no block tag: both as OpenZeppelin's Stylus suite sends.
    let reply = rpc(&node, "eth_call", json!([{"to": contract, "input": "0xff0102"}])).await;
    assert_eq!(reply["error"]["code"], 3, "{reply}");
    assert_eq!(reply["error"]["message"], "execution reverted");
    assert_eq!(reply["error"]["data"], "0xff0102");
    let reply = rpc(&node, "eth_estimateGas", json!([{"to": contract, "data": "0xffaa"}])).await;
    assert_eq!(reply["error"]["data"], "0xffaa", "{reply}");

    let empty_revert = Address::repeat_byte(0xee);
    rpc(&node, "anvil_setCode", json!([empty_revert, "0x60006000fd"])).await;
    let reply = rpc(&node, "eth_call", json!([{"to": empty_revert}, "latest"])).await;
    assert_eq!(reply["error"]["code"], -32000, "{reply}");
    assert_eq!(reply["error"]["message"], "execution reverted");
    assert!(reply["error"].get("data").is_none());
}

#[tokio::test]
async fn call_with_state_override_and_storage_edits() {
    let node = start().await;
    let target = Address::repeat_byte(0x77);
    // SLOAD(0) returned: PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let code = "0x60005460005260206000f3";
    let overrides = json!({ target.to_string(): {"code": code, "stateDiff": {format!("{}", word(0)): word(5)}} });
    let reply = rpc(&node, "eth_call", json!([{"to": target}, "latest", overrides])).await;
    assert_eq!(reply["result"], json!(word(5)), "{reply}");
    // The override was only for that call.
    assert_eq!(rpc(&node, "eth_getCode", json!([target, "latest"])).await["result"], "0x");

    rpc(&node, "anvil_setCode", json!([target, code])).await;
    rpc(&node, "anvil_setStorageAt", json!([target, "0x0", word(9)])).await;
    assert_eq!(
        rpc(&node, "eth_getStorageAt", json!([target, "0x0", "latest"])).await["result"],
        json!(word(9))
    );
    assert_eq!(rpc(&node, "eth_call", json!([{"to": target}])).await["result"], json!(word(9)));

    // Calls run on a layer over the chain's state: `state` replaces the
    // account's whole storage for the call, `stateDiff` only the slots it
    // names, and reads of other slots fall through to the chain.
    let slot = |n: u8| format!("{}", word(n));
    let replaced = json!({ target.to_string(): {"state": {slot(1): word(3)}} });
    let reply = rpc(&node, "eth_call", json!([{"to": target}, "latest", replaced])).await;
    assert_eq!(reply["result"], json!(B256::ZERO), "{reply}");
    let diffed = json!({ target.to_string(): {"stateDiff": {slot(1): word(3)}} });
    let reply = rpc(&node, "eth_call", json!([{"to": target}, "latest", diffed])).await;
    assert_eq!(reply["result"], json!(word(9)), "{reply}");
    // A call that writes (SSTORE(0, 7), then the read above) sees its own
    // write and leaves the chain's slot and code as they were.
    let writer = format!("0x6007600055{}", &code[2..]);
    let overrides = json!({ target.to_string(): {"code": writer} });
    let reply = rpc(&node, "eth_call", json!([{"to": target}, "latest", overrides])).await;
    assert_eq!(reply["result"], json!(word(7)), "{reply}");
    assert_eq!(
        rpc(&node, "eth_getStorageAt", json!([target, "0x0", "latest"])).await["result"],
        json!(word(9))
    );
    assert_eq!(rpc(&node, "eth_getCode", json!([target, "latest"])).await["result"], code);
}

#[tokio::test]
async fn snapshot_and_revert_restore_balances_and_blocks() {
    let node = start().await;
    let (_, provider) = provider(&node, 0);
    let to = Address::repeat_byte(0x55);
    let id = rpc(&node, "evm_snapshot", json!([])).await["result"].clone();
    send(&provider, TransactionRequest::default().with_to(to).with_value(U256::from(5u64))).await;
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(5u64));
    assert_eq!(provider.get_block_number().await.unwrap(), 1);

    assert_eq!(rpc(&node, "evm_revert", json!([id])).await["result"], true);
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::ZERO);
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
    assert_eq!(rpc(&node, "evm_revert", json!([id])).await["result"], false, "used up");

    rpc(&node, "anvil_setBalance", json!([to, "0x64"])).await;
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(100u64));
}

#[tokio::test]
async fn increase_time_moves_the_next_block_timestamp() {
    let node = start().await;
    let (_, provider) = provider(&node, 0);
    let t0 = provider.get_block_by_number(0.into()).await.unwrap().unwrap().header.timestamp;
    rpc(&node, "evm_increaseTime", json!([10_000])).await;
    rpc(&node, "evm_mine", json!([])).await;
    let t1 = provider.get_block_by_number(1.into()).await.unwrap().unwrap().header.timestamp;
    assert!(t1 >= t0 + 10_000, "{t1} < {t0} + 10000");
    assert!(t1 < t0 + 10_100);

    let pinned = t1 + 1_000_000;
    rpc(&node, "evm_setNextBlockTimestamp", json!([pinned])).await;
    rpc(&node, "anvil_mine", json!(["0x2"])).await;
    let t2 = provider.get_block_by_number(2.into()).await.unwrap().unwrap().header.timestamp;
    let t3 = provider.get_block_by_number(3.into()).await.unwrap().unwrap().header.timestamp;
    assert_eq!(t2, pinned);
    assert!((pinned..pinned + 100).contains(&t3), "time continues from the pinned one");
}

#[tokio::test]
async fn batch_requests_get_one_answer_each() {
    let node = start().await;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_nope", "params": []},
    ]);
    let replies = post(&node, &batch).await;
    let replies = replies.as_array().expect("array");
    assert_eq!(replies.len(), 3);
    let by_id = |id: u64| replies.iter().find(|r| r["id"] == id).expect("answered");
    assert_eq!(by_id(1)["result"], "0x64aba");
    assert_eq!(by_id(2)["result"], "0x0");
    assert_eq!(by_id(3)["error"]["code"], -32601);
}

#[tokio::test]
async fn bad_params_are_invalid_params() {
    let node = start().await;
    for (method, params) in [
        ("eth_getBalance", json!(["0xzz", "latest"])),
        ("eth_getBalance", json!([])),
        ("eth_sendRawTransaction", json!(["0x1234"])),
        ("eth_getLogs", json!([{"fromBlock": "0x5", "toBlock": "0x1"}])),
        ("eth_call", json!([{"to": "0x12"}])),
    ] {
        let reply = rpc(&node, method, params.clone()).await;
        assert_eq!(reply["error"]["code"], -32602, "{method} {params}: {reply}");
    }
    // A known method that still answers after the bad calls.
    assert_eq!(rpc(&node, "eth_chainId", json!([])).await["result"], "0x64aba");
}

#[tokio::test]
async fn state_file_round_trip_keeps_balances_code_and_blocks() {
    let path = std::env::temp_dir().join(format!("devnode-state-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = Config { port: 0, state_file: Some(path.clone()), ..Config::default() };
    let node = devnode::spawn(config.clone()).await.unwrap();
    let (from, provider) = provider(&node, 2);
    let to = Address::repeat_byte(0x66);
    send(&provider, TransactionRequest::default().with_to(to).with_value(U256::from(77u64))).await;
    let contract = send(&provider, TransactionRequest::default().with_deploy_code(init_code()))
        .await
        .contract_address
        .unwrap();
    let sender_balance = provider.get_balance(from).await.unwrap();
    let head = provider.get_block_by_number(2.into()).await.unwrap().unwrap().header.hash;
    node.stop().await.unwrap();
    assert!(path.exists());

    let node = devnode::spawn(config).await.unwrap();
    let (_, provider) = self::provider(&node, 2);
    assert_eq!(provider.get_block_number().await.unwrap(), 2);
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(77u64));
    assert_eq!(provider.get_balance(from).await.unwrap(), sender_balance);
    assert_eq!(provider.get_code_at(contract).await.unwrap(), Bytes::from(runtime()));
    let block = provider.get_block_by_number(2.into()).await.unwrap().unwrap();
    assert_eq!(block.header.hash, head);
    // The resumed chain keeps mining on top, with the right nonce.
    send(&provider, TransactionRequest::default().with_to(to).with_value(U256::from(1u64))).await;
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(78u64));
    node.stop().await.unwrap();
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn interval_mining_puts_queued_transactions_in_the_next_block() {
    let block_time = Some(std::time::Duration::from_millis(1500));
    let node = devnode::spawn(Config { port: 0, block_time, ..Config::default() }).await.unwrap();
    let (from, provider) = provider(&node, 3);
    let to = Address::repeat_byte(0x88);
    let tx = TransactionRequest::default().with_to(to).with_value(U256::from(3u64));
    let pending = provider.send_transaction(tx.clone()).await.unwrap();
    // Queued, not mined (the interval is long enough to look before the
    // tick): the pending nonce counts it, the latest does not.
    assert_eq!(provider.get_transaction_count(from).pending().await.unwrap(), 1);
    assert_eq!(provider.get_transaction_count(from).latest().await.unwrap(), 0);
    let receipt = pending.get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(3u64));
}
