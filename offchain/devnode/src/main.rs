//! The `devnode` binary: parses the command line, starts a node, prints the
//! dev accounts and runs until ctrl-c, then saves the state file.

use clap::Parser;
use devnode::{accounts::DevAccount, config, Config};
use std::{net::IpAddr, path::PathBuf, time::Duration};

/// A local Arbitrum-Stylus-capable development chain.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "DEVNODE_HOST")]
    host: IpAddr,
    /// The JSON-RPC port.
    #[arg(long, default_value_t = config::DEFAULT_PORT, env = "DEVNODE_PORT")]
    port: u16,
    /// The chain id.
    #[arg(long, default_value_t = config::DEFAULT_CHAIN_ID, env = "DEVNODE_CHAIN_ID")]
    chain_id: u64,
    /// Load the chain from this file at start (if it exists) and save it on exit.
    #[arg(long, env = "DEVNODE_STATE")]
    state: Option<PathBuf>,
    /// Mine a block every this many seconds instead of one per transaction.
    #[arg(long, value_parser = parse_block_time)]
    block_time: Option<Duration>,
    /// How many accounts of the test mnemonic to fund.
    #[arg(long, default_value_t = config::DEFAULT_ACCOUNTS)]
    accounts: usize,
    /// The balance of each funded account, in ether.
    #[arg(long, default_value_t = config::DEFAULT_BALANCE_ETH)]
    balance: u64,
    /// The ERC-6551 registry's WASM, served at the canonical registry
    /// address; by default the one `cargo xtask wasm` built, when present.
    #[arg(long, env = "DEVNODE_ERC6551_REGISTRY")]
    erc6551_registry: Option<PathBuf>,
    /// Blocks whose state stays readable (`eth_getBalance`, `eth_call`, ...
    /// at a past block); 0 keeps every block's.
    #[arg(long, default_value_t = devnode::chain::DEFAULT_HISTORY_BLOCKS)]
    history_blocks: u64,
    /// Fork the chain of this JSON-RPC node (state read lazily, as anvil's
    /// `--fork-url`); the chain id becomes the upstream's.
    #[arg(long)]
    fork_url: Option<String>,
    /// The upstream block to fork at (default: its latest).
    #[arg(long, requires = "fork_url")]
    fork_block: Option<u64>,
}

/// Where `cargo xtask wasm` puts the registry in this repository.
fn built_registry() -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/stylus/erc6551-registry.wasm"
    ));
    path.exists().then_some(path)
}

fn parse_block_time(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "block time must be a positive number of seconds".to_owned())
}

impl From<Cli> for Config {
    fn from(cli: Cli) -> Self {
        Self {
            host: cli.host,
            port: cli.port,
            chain_id: cli.chain_id,
            state_file: cli.state,
            block_time: cli.block_time,
            accounts: cli.accounts,
            balance_eth: cli.balance,
            erc6551_registry: cli.erc6551_registry.or_else(built_registry),
            history_blocks: cli.history_blocks,
            fork_url: cli.fork_url,
            fork_block: cli.fork_block,
        }
    }
}

fn main() -> anyhow::Result<()> {
    // Requests execute on the runtime's threads; with this stack they need
    // no stack segment of their own (see `devnode::exec`).
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(devnode::exec::THREAD_STACK)
        .build()?
        .block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::from(Cli::parse());
    let node = devnode::spawn(config.clone()).await?;
    print_banner(&config, node.accounts(), &node.url());
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    node.stop().await
}

/// Prints the accounts and keys, as anvil does, so they can be pasted into tools.
fn print_banner(config: &Config, accounts: &[DevAccount], url: &str) {
    println!("Available accounts ({} ETH each)", config.balance_eth);
    println!("==================");
    for (i, account) in accounts.iter().enumerate() {
        println!("({i}) {}  key {}", account.address, account.key);
    }
    println!();
    println!("Chain id: {}", config.chain_id);
    match config.block_time {
        Some(interval) => println!("Mining: a block every {interval:?}"),
        None => println!("Mining: one block per transaction"),
    }
    println!("Listening on {url}");
}
