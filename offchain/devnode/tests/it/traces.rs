//! `debug_traceTransaction` and `debug_traceCall` through JSON-RPC with
//! geth's `callTracer` and `prestateTracer`: the call tree of a transaction
//! into a Stylus program and out of it into a Solidity token, the state it
//! read as it was before, a traced revert, and clear errors for what is not
//! served.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol,
    sol_types::{SolCall, SolError, SolValue},
};
use devnode::{Config, Node};
use e2e::{
    fixture,
    rpc::{deploy, deploy_stylus},
};
use serde_json::{json, Value};

sol! {
    interface IToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address who) external view returns (uint256);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
    interface ILedger {
        function topUp(address to, uint256 amount) external returns (uint256);
        function redeem(uint256 amount, address to) external;
        error InsufficientEarned(address account, uint256 available, uint256 needed);
    }
}

async fn rpc(node: &Node, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let client = alloy::transports::http::reqwest::Client::new();
    client.post(node.url()).json(&body).send().await.unwrap().json().await.unwrap()
}

fn selector_of(input: &Value) -> String {
    input.as_str().unwrap_or_default().chars().take(10).collect()
}

#[tokio::test]
async fn a_transaction_into_a_stylus_program_and_out_again_is_traced() {
    let node = devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node");
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("key");
    let me = signer.address();
    let url = node.url().parse().expect("url");
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url);
    let token = deploy(&provider, fixture("TestToken")).await;
    let args = (token, me, B256::right_padding_from(b"Credits"), B256::right_padding_from(b"CC"))
        .abi_encode_params();
    let ledger = deploy_stylus(&provider, "compute-credits", &args).await;
    let send = |to: Address, data: Vec<u8>| {
        let provider = &provider;
        async move {
            let tx = TransactionRequest::default().with_to(to).with_input(data);
            provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap()
        }
    };
    let amount = U256::from(1_000u64);
    send(token, IToken::mintCall { to: me, amount }.abi_encode()).await;
    send(token, IToken::approveCall { spender: ledger, amount }.abi_encode()).await;
    let receipt = send(ledger, ILedger::topUpCall { to: me, amount }.abi_encode()).await;
    assert!(receipt.status());
    let hash = receipt.transaction_hash;

    // callTracer: the Stylus ledger, and under it its calls to the token.
    let trace = rpc(&node, "debug_traceTransaction", json!([hash, {"tracer": "callTracer"}])).await;
    let top = &trace["result"];
    assert_eq!(top["type"], "CALL", "{trace}");
    assert_eq!(top["from"], json!(me));
    assert_eq!(top["to"], json!(ledger));
    assert_eq!(top["gasUsed"], json!(format!("{:#x}", receipt.gas_used)));
    let calls = top["calls"].as_array().expect("the ledger's calls");
    let kinds: Vec<(&str, String)> =
        calls.iter().map(|c| (c["type"].as_str().unwrap(), selector_of(&c["input"]))).collect();
    let balance_of = format!("0x{}", alloy::hex::encode(IToken::balanceOfCall::SELECTOR));
    let transfer_from = format!("0x{}", alloy::hex::encode(IToken::transferFromCall::SELECTOR));
    assert_eq!(
        kinds,
        [("STATICCALL", balance_of.clone()), ("CALL", transfer_from), ("STATICCALL", balance_of)],
        "{trace}"
    );
    for call in calls {
        assert_eq!(call["from"], json!(ledger));
        assert_eq!(call["to"], json!(token));
        assert!(call["error"].is_null(), "{call}");
    }
    // onlyTopCall drops them.
    let options = json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}});
    let top_only = rpc(&node, "debug_traceTransaction", json!([hash, options])).await;
    assert!(top_only["result"]["calls"].is_null(), "{top_only}");

    // prestateTracer: the accounts it read, as they were: the allowance
    // and balances before the top-up, no credits yet.
    let pre =
        rpc(&node, "debug_traceTransaction", json!([hash, {"tracer": "prestateTracer"}])).await;
    let accounts = pre["result"].as_object().expect("accounts");
    for address in [me, ledger, token] {
        assert!(accounts.contains_key(&format!("{address:#x}")), "{address} missing: {pre}");
    }
    let token_pre = &pre["result"][format!("{token:#x}")];
    assert!(token_pre["code"].as_str().is_some_and(|c| c.len() > 2), "{token_pre}");
    assert!(!token_pre["storage"].as_object().expect("token slots").is_empty());

    // debug_traceCall: a revert with its typed error, at the latest block.
    let redeem = ILedger::redeemCall { amount: U256::from(1u64), to: me }.abi_encode();
    let call = json!({"from": me, "to": ledger, "data": alloy::hex::encode_prefixed(&redeem)});
    let traced =
        rpc(&node, "debug_traceCall", json!([call, "latest", {"tracer": "callTracer"}])).await;
    let result = &traced["result"];
    assert_eq!(result["error"], "execution reverted", "{traced}");
    let expected = ILedger::InsufficientEarned {
        account: me,
        available: U256::ZERO,
        needed: U256::from(1u64),
    };
    assert_eq!(result["output"], json!(alloy::hex::encode_prefixed(expected.abi_encode())));
    node.stop().await.unwrap();
}

#[tokio::test]
async fn what_is_not_served_gets_a_clear_error() {
    let node = devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node");
    let unknown = rpc(
        &node,
        "debug_traceTransaction",
        json!([B256::repeat_byte(1), {"tracer": "callTracer"}]),
    )
    .await;
    assert!(
        unknown["error"]["message"].as_str().unwrap_or_default().contains("not found"),
        "{unknown}"
    );
    let logger = rpc(&node, "debug_traceTransaction", json!([B256::repeat_byte(1)])).await;
    assert_eq!(logger["error"]["code"], -32602, "{logger}");
    let diff = json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}});
    let call = json!({"to": Address::repeat_byte(2)});
    let diff = rpc(&node, "debug_traceCall", json!([call, "latest", diff])).await;
    assert!(diff["error"]["message"].as_str().unwrap_or_default().contains("diffMode"), "{diff}");
    let other =
        rpc(&node, "debug_traceCall", json!([call, "latest", {"tracer": "4byteTracer"}])).await;
    assert!(
        other["error"]["message"].as_str().unwrap_or_default().contains("not supported"),
        "{other}"
    );
    node.stop().await.unwrap();
}
