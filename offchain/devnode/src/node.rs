//! A running node: the chain, its JSON-RPC server and (optionally) the
//! interval miner. Tests start one in-process with [`spawn`].

use crate::{
    accounts::{dev_accounts, ether, DevAccount},
    chain::{lock, Chain, ChainState, ForkPoint, SharedChain, Upstream},
    config::Config,
    exec::Executor,
    rpc::{self, RpcContext},
};
use anyhow::Context as _;
use jsonrpsee::server::{Server, ServerHandle};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::task::JoinHandle;

/// A running devnode. Dropping it stops the server without saving; call
/// [`Node::stop`] to save the state file.
#[derive(Debug)]
pub struct Node {
    config: Config,
    addr: SocketAddr,
    chain: SharedChain,
    accounts: Vec<DevAccount>,
    server: ServerHandle,
    miner: Option<JoinHandle<()>>,
}

/// Starts a node: loads the state file (or creates genesis), binds the
/// JSON-RPC server and starts interval mining if configured.
pub async fn spawn(config: Config) -> anyhow::Result<Node> {
    let accounts = dev_accounts(config.accounts)?;
    let chain = Arc::new(Mutex::new(load_chain(&config, &accounts)?));
    let ctx = RpcContext {
        chain: chain.clone(),
        accounts: accounts.iter().map(|a| a.address).collect(),
        automine: config.block_time.is_none(),
    };
    let server = Server::builder()
        .build(SocketAddr::new(config.host, config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.host, config.port))?;
    let addr = server.local_addr()?;
    let server = server.start(rpc::module(&ctx)?);
    let miner = config.block_time.map(|interval| tokio::spawn(mine_every(chain.clone(), interval)));
    Ok(Node { config, addr, chain, accounts, server, miner })
}

/// The saved chain if the state file exists, otherwise a fresh genesis.
fn load_chain(config: &Config, accounts: &[DevAccount]) -> anyhow::Result<Chain> {
    let mut chain = match &config.fork_url {
        Some(url) => fork(url, config.fork_block, accounts, config)?,
        None => genesis_or_saved(config, accounts)?,
    };
    chain.set_history_limit(config.history_blocks);
    Ok(chain)
}

fn genesis_or_saved(config: &Config, accounts: &[DevAccount]) -> anyhow::Result<Chain> {
    let executor = Executor::new(config.chain_id);
    if let Some(path) = &config.state_file {
        if let Some(state) = ChainState::load(path, config.chain_id)? {
            tracing::info!(path = %path.display(), "resuming chain from state file");
            return Ok(Chain::from_state(executor, state));
        }
    }
    let addresses: Vec<_> = accounts.iter().map(|a| a.address).collect();
    let mut chain = Chain::genesis(executor, &addresses, ether(config.balance_eth));
    if let Some(path) = &config.erc6551_registry {
        let wasm = std::fs::read(path)
            .with_context(|| format!("reading the ERC-6551 registry {}", path.display()))?;
        chain
            .install_program(crate::system::ERC6551_REGISTRY, &wasm)
            .with_context(|| format!("installing the ERC-6551 registry {}", path.display()))?;
        tracing::info!(address = %crate::system::ERC6551_REGISTRY, "serving the ERC-6551 registry");
    }
    Ok(chain)
}

/// A chain forked from the node at `url`, at `block` (default: its latest),
/// with the upstream's chain id.
fn fork(
    url: &str,
    block: Option<u64>,
    accounts: &[DevAccount],
    config: &Config,
) -> anyhow::Result<Chain> {
    let probe = Upstream::forked(ForkPoint { url: url.to_owned(), block: 0 });
    let ask = |method: &str, params: serde_json::Value| {
        probe
            .request(method, params)
            .map_err(|e| anyhow::anyhow!("the fork's upstream {url} did not answer {method}: {e}"))
    };
    let number = match block {
        Some(n) => n,
        None => hex_u64(&ask("eth_blockNumber", serde_json::json!([]))?)?,
    };
    let chain_id = hex_u64(&ask("eth_chainId", serde_json::json!([]))?)?;
    let header = ask("eth_getBlockByNumber", serde_json::json!([format!("{number:#x}"), false]))?;
    if header.is_null() {
        anyhow::bail!("the fork's upstream {url} has no block {number}");
    }
    let hash = header["hash"].as_str().and_then(|h| h.parse().ok()).context("block hash")?;
    let timestamp = hex_u64(&header["timestamp"])?;
    tracing::info!(%url, number, chain_id, "forking");
    let upstream = Upstream::forked(ForkPoint { url: url.to_owned(), block: number });
    let addresses: Vec<_> = accounts.iter().map(|a| a.address).collect();
    Ok(Chain::fork(
        Executor::new(chain_id),
        upstream,
        (number, hash, timestamp),
        &addresses,
        ether(config.balance_eth),
    ))
}

fn hex_u64(value: &serde_json::Value) -> anyhow::Result<u64> {
    let text = value.as_str().context("a hex quantity")?;
    u64::from_str_radix(text.trim_start_matches("0x"), 16).context("a hex quantity")
}

/// Mines the queued transactions every `interval`.
async fn mine_every(chain: SharedChain, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await; // The first tick fires at once; genesis is enough.
    loop {
        ticker.tick().await;
        let (hash, rejected) = lock(&chain).mine_pending();
        for tx in rejected {
            tracing::warn!(hash = %tx.hash, reason = %tx.reason, "transaction dropped");
        }
        if let Some(hash) = hash {
            tracing::debug!(%hash, "mined block");
        }
    }
}

impl Node {
    /// The address the JSON-RPC server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The HTTP URL of the JSON-RPC server.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The funded dev accounts and their keys.
    pub fn accounts(&self) -> &[DevAccount] {
        &self.accounts
    }

    /// The chain, for inspection in tests.
    pub fn chain(&self) -> &SharedChain {
        &self.chain
    }

    /// Writes the state file, if one is configured.
    pub fn save(&self) -> anyhow::Result<()> {
        let Some(path) = &self.config.state_file else { return Ok(()) };
        let chain = lock(&self.chain);
        chain.state().save(path, chain.chain_id())?;
        tracing::info!(path = %path.display(), "saved chain state");
        Ok(())
    }

    /// Stops the server and the miner, then saves the state file.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(miner) = self.miner.take() {
            miner.abort();
        }
        // Stopping twice is harmless; the error only says it already stopped.
        let _ = self.server.stop();
        self.server.clone().stopped().await;
        self.save()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(miner) = self.miner.take() {
            miner.abort();
        }
        let _ = self.server.stop();
    }
}
