//! Third-party clients against the devnode: viem (the usual dApp library)
//! through a small Node script, and Foundry's `cast`. Each signs and sends
//! transactions with a dev key, reads contract state and filters logs; viem
//! also reads from the project's Stylus ledger and decodes its typed error.
//! Everything a client reports is checked against the node itself.
//!
//! The clients come from npm, pinned, installed on first use into a cache in
//! cargo's target directory. `node` and `npm` must be on `PATH`: without them
//! the tests fail rather than skip, so that CI cannot pass without running.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol,
    sol_types::{SolEvent, SolValue},
};
use bindings::IComputeCredits;
use devnode::{Config, Node};
use e2e::{
    command::{run, succeeded, Ran},
    fixture,
    rpc::{deploy, deploy_stylus},
    CHAIN_ID,
};
use serde::Deserialize;
use serde_json::Value;

/// The pinned viem release.
const VIEM: &str = "viem@2.57.20";
/// The pinned `cast` release; the npm package carries the binary.
const CAST: &str = "@foundry-rs/cast-linux-amd64@1.7.1";
/// Where `cast` lies inside the cache's `node_modules`.
const CAST_BIN: &str = "node_modules/@foundry-rs/cast-linux-amd64/bin/cast";
/// How long `npm install` may take on a cold cache.
const INSTALL_LIMIT: Duration = Duration::from_mins(5);
/// How long one client command may take before it is killed.
const CLIENT_LIMIT: Duration = Duration::from_mins(2);

sol! {
    #[sol(rpc)]
    interface IToken {
        function balanceOf(address who) external view returns (uint256);
        event Transfer(address indexed from, address indexed to, uint256 value);
    }
}

// ---------------------------------------------------------------------------
// Installing the clients
// ---------------------------------------------------------------------------

/// The directory holding `node_modules` with the pinned clients, installed
/// once per pinned versions and reused by later runs.
fn clients_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(install_clients)
}

/// Installs the pinned clients unless the cache already holds them.
fn install_clients() -> PathBuf {
    require_tool("node");
    require_tool("npm");
    let key = format!("{VIEM}-{CAST}").replace(['@', '/'], "_");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-clients").join(key);
    if dir.join(CAST_BIN).is_file() && dir.join("node_modules/viem/package.json").is_file() {
        return dir;
    }
    // Install beside the cache and rename it into place, so that a killed or
    // concurrent run never leaves a half-filled cache behind that looks done.
    let mut staging = dir.clone().into_os_string();
    staging.push(format!(".staging-{}", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).expect("create the npm staging directory");
    // A package.json of its own keeps npm from adopting a parent project.
    std::fs::write(staging.join("package.json"), r#"{ "private": true }"#).expect("package.json");
    let mut npm = Command::new("npm");
    npm.current_dir(&staging).args([
        "install",
        "--no-audit",
        "--no-fund",
        "--silent",
        "--save-exact",
        // A stalled registry request is retried after a minute instead of
        // npm's default five, which would use up the whole install limit.
        "--fetch-timeout=60000",
        VIEM,
        CAST,
    ]);
    succeeded(&run(npm, INSTALL_LIMIT), &format!("npm install {VIEM} {CAST}"));
    if std::fs::rename(&staging, &dir).is_err() {
        // Another run finished first; its cache is as good as ours.
        let _ = std::fs::remove_dir_all(&staging);
        assert!(dir.join(CAST_BIN).is_file(), "no usable client cache at {}", dir.display());
    }
    dir
}

/// Fails the test, saying what is missing, unless `tool` runs.
fn require_tool(tool: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is not on PATH: tests/clients.rs needs Node.js 20+ with npm (and the npm \
         registry) to install and run viem and cast"
    );
}

// ---------------------------------------------------------------------------
// Running a client with a time limit
// ---------------------------------------------------------------------------

/// Runs a client off the async runtime, so that the in-process node keeps
/// answering while the test waits for the client.
async fn run_client(cmd: Command) -> Ran {
    tokio::task::spawn_blocking(move || run(cmd, CLIENT_LIMIT)).await.expect("client thread")
}

// ---------------------------------------------------------------------------
// The chain both clients talk to
// ---------------------------------------------------------------------------

/// A node with the `TestToken` and the Stylus compute-credits ledger (whose
/// asset is the token) deployed by account 0.
struct Fixture {
    node: Node,
    provider: DynProvider,
    me: Address,
    key: B256,
    token: Address,
    ledger: Address,
}

/// Starts a node on a free port and deploys the [`Fixture`] contracts.
async fn fixture_chain() -> Fixture {
    let node = devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node starts");
    let key = node.accounts()[0].key;
    let signer = PrivateKeySigner::from_bytes(&key).expect("dev key");
    let me = signer.address();
    let url = node.url().parse().expect("url");
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url).erased();
    let token = deploy(&provider, fixture("TestToken")).await;
    let name = B256::right_padding_from(b"Credits");
    let symbol = B256::right_padding_from(b"CC");
    let args = (token, me, name, symbol).abi_encode_params();
    let ledger = deploy_stylus(&provider, "compute-credits", &args).await;
    Fixture { node, provider, me, key, token, ledger }
}

/// The node's receipt of a transaction a client sent: it must exist, have
/// succeeded, and come from `from` to `to`.
async fn assert_mined(provider: &impl Provider, hash: B256, from: Address, to: Address) {
    let receipt = provider
        .get_transaction_receipt(hash)
        .await
        .expect("eth_getTransactionReceipt")
        .unwrap_or_else(|| panic!("the node has no receipt for {hash}"));
    assert!(receipt.status(), "{hash} reverted on the node");
    assert_eq!((receipt.from, receipt.to), (from, Some(to)), "sender and target of {hash}");
}

// ---------------------------------------------------------------------------
// viem
// ---------------------------------------------------------------------------

/// The JSON line viem-smoke.mjs prints.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViemReport {
    chain_id: u64,
    account: Address,
    txs: Vec<ViemTx>,
    balance: String,
    spendable: String,
    history: ViemHistory,
    transfers: Vec<ViemTransfer>,
    topped_up: Vec<ViemToppedUp>,
    revert: ViemRevert,
}

/// What viem read at past blocks.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViemHistory {
    /// The Stylus ledger's `spendableOf` the block before the top-up.
    spendable_before_top_up: String,
    /// The token balance at the mint's block.
    balance_at_mint: String,
    /// The account's ether the block before the mint.
    eth_before_mint: String,
}

/// A transaction viem sent and the status of the receipt viem waited for.
#[derive(Debug, Deserialize)]
struct ViemTx {
    name: String,
    hash: B256,
    status: String,
}

/// A decoded ERC-20 `Transfer` log.
#[derive(Debug, Deserialize, PartialEq)]
struct ViemTransfer {
    from: Address,
    to: Address,
    value: String,
}

/// A decoded `ToppedUp` log of the Stylus ledger.
#[derive(Debug, Deserialize, PartialEq)]
struct ViemToppedUp {
    payer: Address,
    to: Address,
    amount: String,
}

/// The custom error viem decoded from a revert, by name, with its arguments.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ViemRevert {
    error_name: Option<String>,
    args: Vec<String>,
}

/// Runs viem-smoke.mjs from the client cache (an ES module resolves `viem`
/// from its own directory, not from the working directory).
async fn run_viem(args: &[String]) -> ViemReport {
    let dir = clients_dir();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/viem-smoke.mjs");
    // Unique per process, so that concurrent runs never read a half-written copy.
    let script = dir.join(format!("viem-smoke-{}.mjs", std::process::id()));
    std::fs::copy(&source, &script).expect("copy viem-smoke.mjs into the client cache");
    let mut cmd = Command::new("node");
    cmd.arg(&script).args(args);
    let ran = run_client(cmd).await;
    let _ = std::fs::remove_file(&script);
    let stdout = succeeded(&ran, "viem-smoke.mjs");
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("viem printed no report ({e}):\n{stdout}\n{}", ran.stderr))
}

/// viem mints, approves and tops up credits on the Stylus ledger, reads the
/// token balance and the Stylus `spendableOf`, filters Transfer and
/// `ToppedUp` logs, and decodes the ledger's `InsufficientEarned` revert.
#[tokio::test(flavor = "multi_thread")]
async fn viem_signs_reads_filters_and_decodes_stylus_errors() {
    tokio::task::spawn_blocking(clients_dir).await.expect("install clients");
    let Fixture { node, provider, me, key, token, ledger } = fixture_chain().await;
    let recipient = Address::repeat_byte(0xC0);
    let (mint, top_up) = (U256::from(1_000_000u64), U256::from(400_000u64));
    let args = [node.url(), key.to_string(), token.to_string(), ledger.to_string()]
        .into_iter()
        .chain([recipient.to_string(), mint.to_string(), top_up.to_string()])
        .collect::<Vec<_>>();
    let report = run_viem(&args).await;

    assert_eq!(report.chain_id, CHAIN_ID);
    assert_eq!(report.account, me, "viem derived another address from the dev key");
    let names: Vec<&str> = report.txs.iter().map(|tx| tx.name.as_str()).collect();
    assert_eq!(names, ["mint", "approve", "topUp"]);
    for (tx, target) in report.txs.iter().zip([token, token, ledger]) {
        assert_eq!(tx.status, "success", "viem saw {} fail", tx.name);
        assert_mined(&provider, tx.hash, me, target).await;
    }

    // viem's reads agree with the node's state, which moved as intended.
    let left = IToken::new(token, &provider).balanceOf(me).call().await.expect("balanceOf");
    let credits = IComputeCredits::new(ledger, &provider)
        .spendableOf(recipient)
        .call()
        .await
        .expect("spendableOf");
    assert_eq!((left, credits), (mint - top_up, top_up));
    assert_eq!((report.balance, report.spendable), (left.to_string(), credits.to_string()));
    // viem's reads at past blocks: before the top-up nothing was spendable,
    // at the mint the whole mint was there, and gas was paid since.
    assert_eq!(report.history.spendable_before_top_up, "0");
    assert_eq!(report.history.balance_at_mint, mint.to_string());
    let eth_now = provider.get_balance(me).await.expect("balance");
    let eth_before: U256 = report.history.eth_before_mint.parse().expect("a number");
    assert!(eth_before > eth_now, "{eth_before} then {eth_now}");

    let transfers = [(Address::ZERO, me, mint), (me, ledger, top_up)]
        .map(|(from, to, value)| ViemTransfer { from, to, value: value.to_string() });
    assert_eq!(report.transfers, transfers);
    let topped_up = ViemToppedUp { payer: me, to: recipient, amount: top_up.to_string() };
    assert_eq!(report.topped_up, [topped_up]);

    let expected = ViemRevert {
        error_name: Some("InsufficientEarned".into()),
        args: vec![me.to_checksum(None), "0".into(), "1".into()],
    };
    assert_eq!(report.revert, expected, "viem decoded the Stylus revert differently");
    node.stop().await.expect("node stops");
}

// ---------------------------------------------------------------------------
// cast
// ---------------------------------------------------------------------------

/// Runs `cast <args>`, with `--rpc-url` when it talks to `node`.
async fn run_cast(node: Option<&Node>, args: &[&str]) -> Ran {
    let mut cmd = Command::new(clients_dir().join(CAST_BIN));
    cmd.args(args);
    if let Some(node) = node {
        cmd.args(["--rpc-url", &node.url()]);
    }
    run_client(cmd).await
}

/// Runs `cast <args> --rpc-url <url>` and returns its trimmed stdout.
async fn cast(node: &Node, args: &[&str]) -> String {
    succeeded(&run_cast(Some(node), args).await, "cast").trim().to_owned()
}

/// `cast send --json`: the node's receipt as cast printed it.
async fn cast_send(node: &Node, key: B256, to: Address, call: &[&str]) -> Value {
    let (key, to) = (key.to_string(), to.to_string());
    let mut argv = vec!["send", "--json", "--private-key", &key, &to];
    argv.extend(call);
    let out = cast(node, &argv).await;
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("cast send printed no JSON ({e}): {out}"))
}

/// The hash of a receipt cast printed, after checking cast saw it succeed.
fn cast_tx_hash(receipt: &Value) -> B256 {
    assert_eq!(receipt["status"], "0x1", "cast saw the transaction fail: {receipt}");
    receipt["transactionHash"].as_str().and_then(|h| h.parse().ok()).expect("transactionHash")
}

/// `cast call <token> balanceOf(address)(uint256) <who>`.
async fn cast_balance(node: &Node, token: Address, who: Address) -> String {
    let (token, who) = (token.to_string(), who.to_string());
    cast(node, &["call", &token, "balanceOf(address)(uint256)", &who]).await
}

/// The Transfer logs of `token` as `cast logs` filters them: topic 0, the
/// two address topics, and the data, all as hex.
async fn cast_transfer_logs(node: &Node, token: Address) -> Vec<[String; 4]> {
    let token = token.to_string();
    let event = "Transfer(address,address,uint256)";
    let out =
        cast(node, &["logs", "--json", "--from-block", "0", "--address", &token, event]).await;
    let logs: Vec<Value> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("cast logs printed ({e}): {out}"));
    let hex = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    logs.iter()
        .map(|log| {
            let topics = &log["topics"];
            [hex(&topics[0]), hex(&topics[1]), hex(&topics[2]), hex(&log["data"])]
        })
        .collect()
}

/// A Transfer log as [`cast_transfer_logs`] reports it.
fn transfer_log(from: Address, to: Address, value: U256) -> [String; 4] {
    let signature = IToken::Transfer::SIGNATURE_HASH.to_string();
    [
        signature,
        from.into_word().to_string(),
        to.into_word().to_string(),
        B256::from(value).to_string(),
    ]
}

/// The revert data of a `cast call` that must fail, taken from cast's
/// error message (`... execution reverted, data: "0x.."`).
async fn cast_revert_data(node: &Node, args: &[&str]) -> String {
    let ran = run_cast(Some(node), args).await;
    assert!(
        ran.status.is_some_and(|s| !s.success()),
        "cast {args:?} should have reverted:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    let data = ran.stderr.split("data: \"").nth(1).and_then(|rest| rest.split('"').next());
    data.unwrap_or_else(|| panic!("no revert data in cast's error: {}", ran.stderr)).to_owned()
}

/// `cast decode-error --json --sig <signature> <data>`: the error's
/// arguments, after cast checked that the selector matches `signature`.
async fn cast_decode_error(signature: &str, data: &str) -> Value {
    let ran = run_cast(None, &["decode-error", "--json", "--sig", signature, data]).await;
    let out = succeeded(&ran, "cast decode-error");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("cast decode-error printed ({e}): {out}"))
}

/// cast checks the chain, sends signed ERC-20 calls, reads the token and the
/// Stylus ledger, filters the Transfer logs, and decodes the ledger's typed
/// error from the revert data the node returned.
#[tokio::test(flavor = "multi_thread")]
async fn cast_sends_calls_filters_logs_and_decodes_stylus_errors() {
    tokio::task::spawn_blocking(clients_dir).await.expect("install clients");
    let Fixture { node, provider, me, key, token, ledger } = fixture_chain().await;
    let bob = node.accounts()[1].address;

    assert_eq!(cast(&node, &["chain-id"]).await, CHAIN_ID.to_string());
    let height = provider.get_block_number().await.expect("eth_blockNumber");
    assert!(height >= 4, "the fixture mined its deployments");
    assert_eq!(cast(&node, &["block-number"]).await, height.to_string());

    let (mint, sent) = (U256::from(5_000u64), U256::from(1_234u64));
    let (me_text, bob_text) = (me.to_string(), bob.to_string());
    let mint_call = ["mint(address,uint256)", &me_text, &mint.to_string()];
    let minted = cast_send(&node, key, token, &mint_call).await;
    let transfer_call = ["transfer(address,uint256)", &bob_text, &sent.to_string()];
    let transferred = cast_send(&node, key, token, &transfer_call).await;
    for receipt in [&minted, &transferred] {
        assert_mined(&provider, cast_tx_hash(receipt), me, token).await;
    }
    // One block per transaction.
    assert_eq!(cast(&node, &["block-number"]).await, (height + 2).to_string());

    // `cast run` replays the transfer from the state before its block
    // (read at past blocks) and the block's earlier transactions.
    let replay = cast(&node, &["run", &cast_tx_hash(&transferred).to_string()]).await;
    assert!(replay.contains("Transaction successfully executed"), "{replay}");
    assert!(replay.contains("transfer"), "{replay}");

    assert_eq!(cast_balance(&node, token, me).await, (mint - sent).to_string());
    assert_eq!(cast_balance(&node, token, bob).await, sent.to_string());
    let logs = [transfer_log(Address::ZERO, me, mint), transfer_log(me, bob, sent)];
    assert_eq!(cast_transfer_logs(&node, token).await, logs, "Transfer logs as cast filtered them");

    // A read served by the Stylus program: the asset it was constructed with.
    let ledger_text = ledger.to_string();
    let asset = cast(&node, &["call", &ledger_text, "asset()(address)"]).await;
    assert_eq!(asset.parse::<Address>().expect("an address"), token);
    // Nothing earned: redeeming fails with the ledger's typed error, which
    // cast decodes (checking the selector) from the data the node returned.
    let redeem =
        ["call", "--from", &me_text, &ledger_text, "redeem(uint256,address)", "1", &me_text];
    let data = cast_revert_data(&node, &redeem).await;
    let decoded = cast_decode_error("InsufficientEarned(address,uint256,uint256)", &data).await;
    assert_eq!(decoded, serde_json::json!([me.to_checksum(None), 0, 1]));
    node.stop().await.expect("node stops");
}
