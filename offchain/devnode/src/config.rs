//! Node configuration: what the command line sets and tests override.

use std::{net::IpAddr, net::Ipv4Addr, path::PathBuf, time::Duration};

/// The chain id of Arbitrum's nitro-devnode, so tools work with their defaults.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;

/// The JSON-RPC port of Arbitrum's nitro-devnode.
pub const DEFAULT_PORT: u16 = 8547;

/// How many mnemonic accounts are funded by default (as anvil and hardhat do).
pub const DEFAULT_ACCOUNTS: usize = 10;

/// The default balance of every dev account, in whole ether.
pub const DEFAULT_BALANCE_ETH: u64 = 10_000;

/// Everything needed to start a node.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address the JSON-RPC server binds to.
    pub host: IpAddr,
    /// The JSON-RPC port; `0` picks a free one (for tests).
    pub port: u16,
    /// The chain id transactions must be signed for.
    pub chain_id: u64,
    /// Where the chain is loaded from at start and saved to at shutdown.
    pub state_file: Option<PathBuf>,
    /// Mine a block every interval instead of one block per transaction.
    pub block_time: Option<Duration>,
    /// How many accounts of the test mnemonic to fund.
    pub accounts: usize,
    /// The balance of each funded account, in whole ether.
    pub balance_eth: u64,
    /// The project's ERC-6551 registry (its WASM), served at the standard's
    /// canonical address from genesis.
    pub erc6551_registry: Option<PathBuf>,
    /// Blocks whose state stays readable at their number; 0 keeps all.
    pub history_blocks: u64,
    /// Fork the chain of this JSON-RPC node: its state is read lazily.
    pub fork_url: Option<String>,
    /// The upstream block to fork at (default: its latest).
    pub fork_block: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            chain_id: DEFAULT_CHAIN_ID,
            state_file: None,
            block_time: None,
            accounts: DEFAULT_ACCOUNTS,
            balance_eth: DEFAULT_BALANCE_ETH,
            erc6551_registry: None,
            history_blocks: crate::chain::DEFAULT_HISTORY_BLOCKS,
            fork_url: None,
            fork_block: None,
        }
    }
}
