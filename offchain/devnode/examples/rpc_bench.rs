//! JSON-RPC throughput and latency of the devnode next to anvil, printed as
//! one table: ERC-20 transfers per second (a Stylus token, the vault's
//! shares, and a Solidity token on the devnode; the same Solidity token on
//! anvil) and `eth_call` latency of `balanceOf`, plus how long each node
//! takes from process start until it answers `eth_chainId`, and, with
//! `RPC_BENCH_MEMORY_TXS=N`, each node's resident memory before and after N
//! more transfers.
//!
//! Both nodes run as separate release processes (`target/release/devnode`,
//! built by this example, and anvil from npm) and are driven by the same
//! client code, so neither gets an in-process shortcut. Run from `offchain/devnode/`:
//!
//! ```text
//! cargo xtask wasm   # once, builds target/stylus/{vault,compute-credits}.wasm
//! cargo run --release --example rpc_bench
//! ```

#[path = "rpc_bench/load.rs"]
mod load;
#[path = "rpc_bench/procs.rs"]
mod procs;
#[path = "rpc_bench/setup.rs"]
mod setup;

use alloy::{
    primitives::{address, Address, U256},
    providers::RootProvider,
    signers::local::PrivateKeySigner,
};
use anyhow::Context as _;
use load::Throughput;
use procs::{Binaries, Kind, NodeProcess};
use std::time::Duration;

/// Transfers per throughput run.
const TRANSFERS: usize = 500;
/// Throughput runs per cell; the table shows the median.
const RUNS: usize = 3;
/// Requests in flight in the concurrent runs (one sender each).
const LANES: usize = 8;
/// `eth_call`s per latency measurement.
const CALLS: usize = 1_000;
/// How many times each node is started to time its startup.
const STARTS: usize = 5;
/// Transfers sent to measure how memory grows with the chain, unless
/// `RPC_BENCH_MEMORY_TXS` says otherwise: none, since 100,000 take anvil
/// about four minutes (and anvil no longer serves most of their receipts
/// afterwards, which the table counts).
const MEMORY_TXS: usize = 0;
/// Who receives every transfer: an address no setup step touches.
const RECIPIENT: Address = address!("00000000000000000000000000000000000beef0");
/// Tokens (and so vault shares) each sender gets: one whole token, far more
/// than the one-unit transfers need.
const FUNDING: u128 = 1_000_000_000_000_000_000;

/// One line of the table.
struct Row {
    node: Kind,
    contract: &'static str,
    sequential: Throughput,
    concurrent: Throughput,
    call_p50: Duration,
    call_p99: Duration,
}

// One client thread: the client shares the machine's cores with the node, and
// a single thread keeps its share the same for both nodes.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let binaries = Binaries::prepare()?;
    // The dev mnemonic's first accounts, funded by both nodes alike.
    let signers = devnode::accounts::dev_accounts(LANES)?[..LANES]
        .iter()
        .map(|a| PrivateKeySigner::from_bytes(&a.key))
        .collect::<Result<Vec<_>, _>>()?;
    let senders: Vec<Address> = signers.iter().map(PrivateKeySigner::address).collect();

    let mut startups = Vec::new();
    for kind in [Kind::Devnode, Kind::Anvil] {
        let mut times = Vec::with_capacity(STARTS);
        for _ in 0..STARTS {
            times.push(NodeProcess::start(&binaries, kind).await?.startup);
        }
        times.sort_unstable();
        startups.push((kind, times));
    }

    let memory_txs = std::env::var("RPC_BENCH_MEMORY_TXS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MEMORY_TXS);
    let mut rows = Vec::new();
    let mut memory = Vec::new();
    {
        let node = NodeProcess::start(&binaries, Kind::Devnode).await?;
        let wallet = setup::wallet(&node.url, &signers)?;
        let funding = U256::from(FUNDING);
        let vault = setup::stylus_vault(&wallet, &senders, funding).await.context("vault setup")?;
        let token = setup::solidity_token(&wallet, &senders, funding).await?;
        let stylus = "Stylus ERC-20 (vault shares)";
        rows.push(measure(&node, &signers, Kind::Devnode, stylus, vault).await?);
        let solidity = "Solidity ERC-20 (TestToken)";
        rows.push(measure(&node, &signers, Kind::Devnode, solidity, token).await?);
        memory.push(grow(&node, &signers, Kind::Devnode, token, memory_txs).await?);
    }
    {
        let node = NodeProcess::start(&binaries, Kind::Anvil).await?;
        let wallet = setup::wallet(&node.url, &signers)?;
        let token = setup::solidity_token(&wallet, &senders, U256::from(FUNDING)).await?;
        let solidity = "Solidity ERC-20 (TestToken)";
        rows.push(measure(&node, &signers, Kind::Anvil, solidity, token).await?);
        memory.push(grow(&node, &signers, Kind::Anvil, token, memory_txs).await?);
    }
    print_report(&startups, &rows);
    print_memory(&memory, memory_txs);
    Ok(())
}

/// A node's resident memory before and after a long run of transfers.
struct Memory {
    node: Kind,
    before: Option<f64>,
    after: Option<f64>,
    run: Option<Throughput>,
}

/// Sends `count` more transfers of `token` with [`LANES`] in flight and
/// reads the node's memory before and after.
async fn grow(
    node: &NodeProcess,
    signers: &[PrivateKeySigner],
    kind: Kind,
    token: Address,
    count: usize,
) -> anyhow::Result<Memory> {
    let before = node.rss_mib();
    if count == 0 {
        return Ok(Memory { node: kind, before, after: before, run: None });
    }
    let client = RootProvider::new_http(node.url.parse()?);
    let run = load::transfers(&client, signers, token, RECIPIENT, count).await?;
    Ok(Memory { node: kind, before, after: node.rss_mib(), run: Some(run) })
}

/// Prints the memory table.
fn print_memory(rows: &[Memory], count: usize) {
    if count == 0 {
        return;
    }
    println!();
    println!(
        "| {:<7} | {:>22} | {:>26} | {:>22} |",
        "node",
        "RSS before (MiB)",
        format!("RSS after {count} txs (MiB)"),
        "those txs: TPS"
    );
    println!("|{:-<9}|{:->24}|{:->28}|{:->24}|", "", "", "", "");
    let mib = |m: Option<f64>| m.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.1}"));
    for row in rows {
        let rate = row.run.as_ref().map_or_else(|| "n/a".to_owned(), tps);
        println!(
            "| {:<7} | {:>22} | {:>26} | {:>22} |",
            row.node.name(),
            mib(row.before),
            mib(row.after),
            rate
        );
    }
    println!();
    println!(
        "memory: resident set (VmRSS) of each node's process after its table runs, then after {count} \
         more transfers from {LANES} senders (the devnode keeps the last 500 blocks' state changes, \
         as anvil keeps 500 states by default)"
    );
}

/// Warms up, then times [`TRANSFERS`] transfers of `token` sent sequentially
/// from one sender and with [`LANES`] in flight, and `balanceOf` latency.
async fn measure(
    node: &NodeProcess,
    signers: &[PrivateKeySigner],
    kind: Kind,
    contract: &'static str,
    token: Address,
) -> anyhow::Result<Row> {
    let senders: Vec<Address> = signers.iter().map(PrivateKeySigner::address).collect();
    // A fresh wallet: an older one caches nonces that earlier raw sends used.
    let wallet = setup::wallet(&node.url, signers)?;
    setup::warm_up(&wallet, &senders, token, RECIPIENT).await.context("warm-up transfers")?;
    // A provider without fillers: the benchmark only sends what it pre-signed.
    let client = RootProvider::new_http(node.url.parse()?);
    let sequential = median_run(&client, &signers[..1], token).await?;
    let concurrent = median_run(&client, signers, token).await?;
    let (call_p50, call_p99) = load::call_latency(&client, token, senders[0], CALLS).await?;
    Ok(Row { node: kind, contract, sequential, concurrent, call_p50, call_p99 })
}

/// The median by TPS of [`RUNS`] runs of [`TRANSFERS`] transfers from
/// `signers`, with the reverts of all runs, so one run disturbed by another
/// process on the machine does not decide the row.
async fn median_run(
    client: &RootProvider,
    signers: &[PrivateKeySigner],
    token: Address,
) -> anyhow::Result<Throughput> {
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        runs.push(load::transfers(client, signers, token, RECIPIENT, TRANSFERS).await?);
    }
    let missing: usize = runs.iter().map(|r| r.missing).sum();
    if missing > 0 {
        anyhow::bail!("{missing} accepted transfers never got a receipt");
    }
    let reverted = runs.iter().map(|r| r.reverted).sum();
    runs.sort_by(|a, b| a.tps.total_cmp(&b.tps));
    let mut median = runs.swap_remove(RUNS / 2);
    median.reverted = reverted;
    Ok(median)
}

/// Prints the setup, the startup times and the table.
fn print_report(startups: &[(Kind, Vec<Duration>)], rows: &[Row]) {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!();
    // Other work on the machine skews every number, so show how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    println!("machine: {cores} cores shared by client and node; load average at the end: {load}");
    println!(
        "method: N = {TRANSFERS} pre-signed EIP-1559 transfers per run via eth_sendRawTransaction \
         from one HTTP client (current-thread tokio), TPS = N / (first send .. last receipt)"
    );
    println!(
        "nodes: separate processes on 127.0.0.1, automine (one block per transaction on the \
         devnode): target/release/devnode and {}",
        procs::ANVIL_PACKAGE
    );
    println!();
    for (kind, times) in startups {
        let ms: Vec<String> = times.iter().map(|t| format!("{:.1}", millis(*t))).collect();
        println!(
            "startup of {:<7} until eth_chainId answers, {STARTS} runs: median {:.1} ms  (all, ms: {})",
            kind.name(),
            millis(times[times.len() / 2]),
            ms.join(", ")
        );
    }
    println!();
    println!(
        "| {:<7} | {:<28} | {:>20} | {:>20} | {:>13} | {:>13} |",
        "node",
        "contract",
        "TPS sequential",
        format!("TPS {LANES} in flight"),
        "call p50 (ms)",
        "call p99 (ms)"
    );
    println!("|{:-<9}|{:-<30}|{:->22}|{:->22}|{:->15}|{:->15}|", "", "", "", "", "", "");
    for row in rows {
        println!(
            "| {:<7} | {:<28} | {:>20} | {:>20} | {:>13.3} | {:>13.3} |",
            row.node.name(),
            row.contract,
            tps(&row.sequential),
            tps(&row.concurrent),
            millis(row.call_p50),
            millis(row.call_p99)
        );
    }
    println!();
    println!(
        "TPS sequential: 1 sender, 1 request in flight; TPS {LANES} in flight: {LANES} senders, \
         one lane each (N split evenly), all from the same client; each TPS cell is the median \
         of {RUNS} runs (elapsed time of that run in parentheses); calls: {CALLS} sequential \
         eth_call balanceOf of a sender"
    );
}

/// A throughput cell: the rate, flagged if any transfer reverted or never
/// got a receipt.
fn tps(run: &Throughput) -> String {
    let mut cell = format!("{:.0} ({:.2} s)", run.tps, run.elapsed.as_secs_f64());
    if run.reverted > 0 {
        cell = format!("{cell}, {} reverted", run.reverted);
    }
    if run.missing > 0 {
        cell = format!("{cell}, {} without receipt", run.missing);
    }
    cell
}

/// A duration in milliseconds.
fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
