//! In-process latency of a Stylus view call, without JSON-RPC: how long the
//! devnode's executor takes to run `balanceOf` on one of the project's
//! contracts as `eth_call` does (a layer over the state, a program instance
//! taken from the pool). Run from `offchain/devnode/` after `cargo xtask wasm`:
//!
//! ```text
//! cargo run --release --example stylus_call -- [CONTRACT] [CALLS]
//! ```
//!
//! `CONTRACT` is a module in `target/stylus` with an ERC-20 `balanceOf`
//! (default `vault`); `CALLS` defaults to 20,000.

use std::time::{Duration, Instant};

use alloy_primitives::{address, Address, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{sol, SolCall};
use anyhow::Context as _;
use devnode::{chain::Chain, exec::Executor};

sol! {
    function balanceOf(address who) external view returns (uint256);
}

/// Where the program is installed.
const PROGRAM: Address = address!("0000000000000000000000000000000000005717");
/// Whose balance is asked for.
const WHO: Address = address!("00000000000000000000000000000000000a11ce");
/// Calls made before timing starts (compilation, the first instances).
const WARM_UP: usize = 200;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let contract = args.next().unwrap_or_else(|| "vault".into());
    let calls: usize = args.next().map_or(Ok(20_000), |n| n.parse()).context("CALLS")?;
    // The node's runtime threads have the execution stack; so does this one.
    std::thread::Builder::new()
        .stack_size(devnode::exec::THREAD_STACK)
        .spawn(move || measure(&contract, calls.max(1)))?
        .join()
        .map_err(|_| anyhow::anyhow!("the measuring thread panicked"))?
}

fn measure(contract: &str, calls: usize) -> anyhow::Result<()> {
    let path = format!("{}/../../target/stylus/{contract}.wasm", env!("CARGO_MANIFEST_DIR"));
    let wasm = std::fs::read(&path).with_context(|| format!("{path} (run `cargo xtask wasm`)"))?;
    let mut chain =
        Chain::genesis(Executor::new(412_346), &[WHO], U256::from(10).pow(U256::from(21)));
    chain.install_program(PROGRAM, &wasm)?;
    let call = TransactionRequest::default()
        .from(WHO)
        .to(PROGRAM)
        .input(balanceOfCall { who: WHO }.abi_encode().into());
    for _ in 0..WARM_UP {
        chain.call(&call, None, None)?;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        chain.call(&call, None, None)?;
        times.push(started.elapsed());
    }
    times.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = times.iter().sum::<Duration>() / u32::try_from(calls).unwrap_or(u32::MAX);
    println!(
        "{contract} balanceOf, {calls} in-process calls: mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
        micros(mean),
        micros(times[calls / 2]),
        micros(times[calls * 99 / 100]),
    );
    Ok(())
}
