//! `debug_traceTransaction` and `debug_traceCall` through JSON-RPC with
//! geth's `callTracer` and `prestateTracer` and Stylus's `stylusTracer`:
//! the call tree of a transaction into a Stylus program and out of it into
//! a Solidity token, the state it read as it was before, the program's host
//! calls, a traced revert, and clear errors for what is not served.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
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
        function spendableOf(address account) external view returns (uint256);
        error InsufficientEarned(address account, uint256 available, uint256 needed);
    }
    interface IForwarder {
        function forwardStatic(address target, bytes calldata data) external view returns (bytes memory);
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

/// A node where the first account topped up the Stylus ledger with credits
/// bought with a Solidity token: the node, that account, the token, the
/// ledger and the top-up's receipt.
async fn topped_up() -> (Node, Address, Address, Address, TransactionReceipt) {
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
    (node, me, token, ledger, receipt)
}

#[tokio::test]
async fn a_transaction_into_a_stylus_program_and_out_again_is_traced() {
    let (node, me, token, ledger, receipt) = topped_up().await;
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

    // diffMode: what changed, before and after. The sender paid gas and
    // used a nonce; the ledger's credits and the token's balances changed;
    // code did not.
    let options = json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}});
    let diff = rpc(&node, "debug_traceTransaction", json!([hash, options])).await;
    let (pre, post) = (&diff["result"]["pre"], &diff["result"]["post"]);
    let sender = format!("{me:#x}");
    let nonce = |v: &Value| v.as_u64().unwrap_or_default();
    assert_eq!(nonce(&post[&sender]["nonce"]), nonce(&pre[&sender]["nonce"]) + 1, "{diff}");
    assert!(post[&sender]["balance"].is_string(), "gas was paid: {diff}");
    for contract in [ledger, token] {
        let key = format!("{contract:#x}");
        assert!(pre[&key]["code"].is_string(), "pre holds the whole account: {diff}");
        assert!(post[&key]["code"].is_null(), "the code did not change: {diff}");
        let after = post[&key]["storage"].as_object().expect("changed slots");
        assert!(!after.is_empty(), "{diff}");
        for (slot, value) in after {
            assert_ne!(pre[&key]["storage"][slot], *value, "{slot} did change");
        }
    }
    // The ledger's credits for `me` were zero before: that slot is in
    // `post` alone.
    let ledger_key = format!("{ledger:#x}");
    let new_slots = post[&ledger_key]["storage"].as_object().unwrap().keys();
    assert!(new_slots.into_iter().any(|slot| pre[&ledger_key]["storage"][slot].is_null()));

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

/// The bytes of a hex field.
fn bytes_of(field: &Value) -> Vec<u8> {
    alloy::hex::decode(field.as_str().unwrap_or_default()).expect("hex")
}

#[tokio::test]
async fn stylus_tracer_shows_each_host_call_with_its_bytes_and_ink() {
    let (node, me, token, ledger, receipt) = topped_up().await;
    let options = json!({"tracer": "stylusTracer"});
    let trace =
        rpc(&node, "debug_traceTransaction", json!([receipt.transaction_hash, options])).await;
    let steps = trace["result"].as_array().expect("the ledger's host calls");
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let calldata = ILedger::topUpCall { to: me, amount: U256::from(1_000u64) }.abi_encode();

    // The run opens with the calldata's length and ends with status 0.
    assert_eq!(names.first(), Some(&"user_entrypoint"), "{names:?}");
    assert_eq!(bytes_of(&steps[0]["args"]), u32::try_from(calldata.len()).unwrap().to_be_bytes());
    assert_eq!(names.last(), Some(&"user_returned"), "{names:?}");
    assert_eq!(bytes_of(&steps[steps.len() - 1]["outs"]), [0; 4]);
    let read_args = steps.iter().find(|s| s["name"] == "read_args").expect("read_args");
    assert_eq!(bytes_of(&read_args["outs"]), calldata);

    // Its calls to the token, in order, each with the callee and the
    // callee's own host calls (none: the token is EVM code).
    let calls: Vec<&Value> =
        steps.iter().filter(|s| s["name"].as_str().unwrap().ends_with("call_contract")).collect();
    let kinds: Vec<&str> = calls.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["static_call_contract", "call_contract", "static_call_contract"]);
    let pull = IToken::transferFromCall { from: me, to: ledger, amount: U256::from(1_000u64) };
    let args = bytes_of(&calls[1]["args"]);
    assert_eq!(&args[..20], token.as_slice(), "the callee first");
    assert_eq!(&args[28..60], [0; 32], "no value sent");
    assert_eq!(&args[60..], pull.abi_encode(), "then the calldata");
    assert_eq!(bytes_of(&calls[1]["outs"]), [0, 0, 0, 32, 0], "32 bytes back, success");
    for call in calls {
        assert_eq!(call["address"], json!(token));
        assert_eq!(call["steps"], json!([]), "{call}");
    }
    // Storage: what was loaded is a 32-byte key and value; the top-up
    // writes and logs.
    let load = steps.iter().find(|s| s["name"] == "storage_load_bytes32").expect("a load");
    assert_eq!((bytes_of(&load["args"]).len(), bytes_of(&load["outs"]).len()), (32, 32));
    for name in ["storage_cache_bytes32", "storage_flush_cache", "emit_log", "msg_sender"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // Ink only goes down, within each step and from one to the next.
    let ink = |s: &Value, k: &str| s[k].as_u64().expect("ink");
    for pair in steps.windows(2) {
        assert!(ink(&pair[0], "startInk") >= ink(&pair[0], "endInk"), "{}", pair[0]);
        assert!(ink(&pair[0], "endInk") >= ink(&pair[1], "startInk"), "{} {}", pair[0], pair[1]);
    }
    assert!(ink(&steps[0], "startInk") > ink(&steps[steps.len() - 1], "endInk"));

    // A plain EVM call has no host calls; a call into the ledger through
    // debug_traceCall has them.
    let evm_only = json!({"from": me, "to": token,
        "data": alloy::hex::encode_prefixed(IToken::balanceOfCall { who: me }.abi_encode())});
    let traced = rpc(&node, "debug_traceCall", json!([evm_only, "latest", options])).await;
    assert_eq!(traced["result"], json!([]), "{traced}");
    // EVM code calling the ledger: the ledger's host calls sit under the
    // step that names the EVM's call.
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("key");
    let url = node.url().parse().expect("url");
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url);
    let forwarder = deploy(&provider, fixture("Forwarder")).await;
    let read = ILedger::spendableOfCall { account: me }.abi_encode();
    let forward = IForwarder::forwardStaticCall { target: ledger, data: read.into() };
    let via_evm = json!({"from": me, "to": forwarder,
        "data": alloy::hex::encode_prefixed(forward.abi_encode())});
    let traced = rpc(&node, "debug_traceCall", json!([via_evm, "latest", options])).await;
    let outer = traced["result"].as_array().expect("one step");
    assert_eq!(outer.len(), 1, "{traced}");
    assert_eq!(outer[0]["name"], "evm_static_call_contract");
    assert_eq!(outer[0]["address"], json!(ledger));
    let inner = outer[0]["steps"].as_array().expect("the ledger's steps");
    assert_eq!(inner.first().map(|s| &s["name"]), Some(&json!("user_entrypoint")), "{traced}");
    assert_eq!(inner.last().map(|s| &s["name"]), Some(&json!("user_returned")), "{traced}");
    node.stop().await.unwrap();
}

#[tokio::test]
async fn the_default_opcode_logger_lists_every_evm_instruction() {
    let (node, me, token, _ledger, receipt) = topped_up().await;
    // The top-up runs in the Stylus ledger (no EVM instructions of its
    // own) and calls the Solidity token three times, one frame deeper.
    let trace = rpc(&node, "debug_traceTransaction", json!([receipt.transaction_hash])).await;
    let result = &trace["result"];
    assert_eq!(result["failed"], false, "{trace}");
    assert_eq!(result["gas"], json!(receipt.gas_used));
    let logs = result["structLogs"].as_array().expect("structLogs");
    assert!(logs.len() > 100, "{} steps", logs.len());
    assert!(logs.iter().all(|l| l["depth"] == 2), "only the token's frames run EVM code");
    let ops: Vec<&str> = logs.iter().map(|l| l["op"].as_str().unwrap()).collect();
    for op in ["PUSH1", "CALLDATALOAD", "SLOAD", "SSTORE", "LOG3", "RETURN"] {
        assert!(ops.contains(&op), "{op} missing");
    }
    // Each frame starts at pc 0 with an empty stack; gas only goes down
    // within a frame, by what each step cost.
    assert_eq!(
        (logs[0]["pc"].as_u64(), logs[0]["stack"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    for pair in logs.windows(2).filter(|p| p[1]["pc"] != 0) {
        let (a, b) = (&pair[0], &pair[1]);
        let gas = |l: &Value, k: &str| l[k].as_u64().unwrap();
        assert_eq!(gas(a, "gas") - gas(a, "gasCost"), gas(b, "gas"), "{a} then {b}");
    }
    // PUSH1 0x80 first: the stack after it holds 0x80.
    assert_eq!(logs[1]["stack"], json!(["0x80"]));

    // A plain EVM call at depth 1, and disableStack.
    let mint = IToken::mintCall { to: me, amount: U256::from(1u64) }.abi_encode();
    let call = json!({"from": me, "to": token, "data": alloy::hex::encode_prefixed(&mint)});
    let options = json!({"disableStack": true});
    let traced = rpc(&node, "debug_traceCall", json!([call, "latest", options])).await;
    let logs = traced["result"]["structLogs"].as_array().expect("structLogs");
    assert_eq!(logs[0]["depth"], 1);
    assert!(logs.iter().all(|l| l.get("stack").is_none()), "disableStack");
    assert_eq!(logs.last().unwrap()["op"], "STOP", "mint returns nothing");
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
    assert!(logger["error"]["message"].as_str().unwrap_or_default().contains("not found"));
    let call = json!({"to": Address::repeat_byte(2)});
    let other =
        rpc(&node, "debug_traceCall", json!([call, "latest", {"tracer": "4byteTracer"}])).await;
    assert!(
        other["error"]["message"].as_str().unwrap_or_default().contains("not supported"),
        "{other}"
    );
    // cargo-stylus's default JavaScript tracer gets pointed at the native one.
    let js = json!({"tracer": "{ hostio: function(info) {}, result: function() { return []; } }"});
    let js = rpc(&node, "debug_traceCall", json!([call, "latest", js])).await;
    let message = js["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("--use-native-tracer"), "{js}");
    node.stop().await.unwrap();
}
