//! The chain: world state, blocks, transactions and receipts, all in memory.
//!
//! [`Chain`] is the single owner of the state; the RPC layer reaches it
//! through a [`SharedChain`]. Every operation is synchronous and short, so a
//! plain mutex is enough and keeps the ordering of transactions obvious.

mod block;
mod call;
mod clock;
mod error;
mod fork;
mod history;
mod logs;
mod mine;
mod overrides;
mod persist;
mod receipt;
mod state;
mod trace;
mod tx;

pub use block::{StoredBlock, BASE_FEE, BLOCK_GAS_LIMIT};
pub use call::RPC_GAS_CAP;
pub use clock::Clock;
pub use error::{ChainError, ChainResult};
pub use fork::{ForkPoint, Upstream};
pub use history::{History, StateAt, DEFAULT_HISTORY_BLOCKS};
pub use mine::Rejected;
pub use trace::Tracer;
pub use tx::PendingTx;

use crate::exec::{Db, Executor};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Transaction, TransactionReceipt};
use block::{BlockTemplate, BodySummary};
use revm::state::AccountInfo;
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

/// The chain behind a lock, shared by the RPC handlers and the miner.
pub type SharedChain = Arc<Mutex<Chain>>;

/// Locks the chain. A handler that panicked while holding the lock leaves no
/// half-applied change behind (state is only replaced wholesale), so the
/// poison flag is ignored rather than bricking the node.
pub fn lock(chain: &SharedChain) -> MutexGuard<'_, Chain> {
    chain.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything a snapshot restores and the state file keeps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChainState {
    /// Accounts, code and storage.
    pub db: Db,
    /// Every block from genesis, indexed by number.
    pub blocks: Vec<StoredBlock>,
    /// Block numbers by block hash.
    pub block_numbers: HashMap<B256, u64>,
    /// Mined transactions by hash.
    pub transactions: HashMap<B256, Transaction>,
    /// Receipts by transaction hash.
    pub receipts: HashMap<B256, TransactionReceipt>,
    /// Transactions waiting for the next interval block.
    pub pending: Vec<PendingTx>,
    /// The time source for new blocks.
    pub clock: Clock,
    /// What each recent block changed, for reads at past blocks (not saved:
    /// a loaded chain starts with the latest state only).
    #[serde(skip)]
    pub history: History,
}

/// The devnode's chain.
#[derive(Debug)]
pub struct Chain {
    executor: Executor,
    state: ChainState,
    /// Saved states, by snapshot id (the index).
    snapshots: Vec<ChainState>,
}

impl Chain {
    /// A fresh chain whose genesis block funds `accounts` with `balance` each.
    pub fn genesis(executor: Executor, accounts: &[Address], balance: U256) -> Self {
        let template =
            BlockTemplate { parent_hash: B256::ZERO, number: 0, timestamp: Clock::wall_now() };
        Self::start(executor, Db::default(), template, accounts, balance)
    }

    /// A chain forked from `upstream` at its fork block (number `number`,
    /// hash `hash`, time `timestamp`): its first block continues the
    /// upstream's numbering, its state is the upstream's read lazily, and
    /// `accounts` get `balance` each (their nonces stay the upstream's).
    pub fn fork(
        executor: Executor,
        upstream: Upstream,
        parent: (u64, B256, u64),
        accounts: &[Address],
        balance: U256,
    ) -> Self {
        let (number, hash, timestamp) = parent;
        let template = BlockTemplate { parent_hash: hash, number: number + 1, timestamp };
        Self::start(executor, Db::new(upstream), template, accounts, balance)
    }

    fn start(
        executor: Executor,
        mut db: Db,
        template: BlockTemplate,
        accounts: &[Address],
        balance: U256,
    ) -> Self {
        for &address in accounts {
            let known = revm::DatabaseRef::basic_ref(&db, address).ok().flatten();
            db.insert_account_info(address, AccountInfo { balance, ..known.unwrap_or_default() });
        }
        let genesis = StoredBlock::seal(template.header(&BodySummary::empty()), Vec::new());
        let first = genesis.number();
        let mut history = History::default();
        history.start_at(first);
        let state = ChainState {
            db,
            block_numbers: HashMap::from([(genesis.hash, first)]),
            blocks: vec![genesis],
            transactions: HashMap::new(),
            receipts: HashMap::new(),
            pending: Vec::new(),
            clock: Clock::default(),
            history,
        };
        Self::from_state(executor, state)
    }

    /// A chain resumed from a saved state.
    pub fn from_state(executor: Executor, mut state: ChainState) -> Self {
        // The system contracts are there from genesis, so that reads
        // (`eth_getCode`, calls) see them before any transaction.
        Executor::install_system_accounts(&mut state.db);
        // BLOCKHASH answers the chain's own hashes (state files from before
        // they were recorded get them here).
        for block in &state.blocks {
            state.db.cache.block_hashes.insert(U256::from(block.number()), block.hash);
        }
        Self { executor, state, snapshots: Vec::new() }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.executor.chain_id()
    }

    /// The whole state, for saving.
    pub fn state(&self) -> &ChainState {
        &self.state
    }

    /// The latest block.
    pub fn latest(&self) -> &StoredBlock {
        // The genesis block is created with the chain and blocks are never
        // removed except by reverting to a snapshot, which also has genesis.
        self.state.blocks.last().unwrap_or_else(|| unreachable!("a chain always has genesis"))
    }

    /// The number of the chain's first block: 0, or for a fork the block
    /// after the fork point.
    pub fn first_number(&self) -> u64 {
        self.state.blocks.first().map_or(0, StoredBlock::number)
    }

    /// The block a block number or tag refers to, if it exists.
    pub fn block_by_number(&self, number: BlockNumberOrTag) -> Option<&StoredBlock> {
        match number {
            BlockNumberOrTag::Number(n) => {
                self.state.blocks.get(usize::try_from(n.checked_sub(self.first_number())?).ok()?)
            }
            BlockNumberOrTag::Earliest => self.state.blocks.first(),
            _ => Some(self.latest()),
        }
    }

    /// The block with hash `hash`, if it exists.
    pub fn block_by_hash(&self, hash: B256) -> Option<&StoredBlock> {
        let number = *self.state.block_numbers.get(&hash)?;
        self.block_by_number(BlockNumberOrTag::Number(number))
    }

    /// Keeps the state of the last `blocks` blocks (0: all).
    pub fn set_history_limit(&mut self, blocks: u64) {
        self.state.history.set_limit(blocks);
    }

    /// The block whose state `block` names (EIP-1898: a number, a hash
    /// object, or a tag); `None` for the latest state itself. `pending`,
    /// `safe`, `finalized` and no block at all are the latest state: a dev
    /// chain's blocks are final at once.
    ///
    /// # Errors
    /// [`ChainError::UnknownBlock`] for a hash the chain does not have or a
    /// number beyond its head; [`ChainError::HistoryPruned`] for a block
    /// whose state is no longer kept.
    pub fn state_block(&self, block: Option<BlockId>) -> ChainResult<Option<u64>> {
        let head = self.latest().number();
        let number = match block {
            Some(BlockId::Number(BlockNumberOrTag::Number(n))) => n,
            Some(BlockId::Number(BlockNumberOrTag::Earliest)) => self.first_number(),
            None | Some(BlockId::Number(_)) => return Ok(None),
            Some(BlockId::Hash(hash)) => {
                let found = self.state.block_numbers.get(&hash.block_hash);
                *found.ok_or_else(|| {
                    ChainError::UnknownBlock(format!("block {} not found", hash.block_hash))
                })?
            }
        };
        if number > head {
            return Err(ChainError::UnknownBlock(format!(
                "block {number} is beyond the head ({head})"
            )));
        }
        if number == head {
            return Ok(None);
        }
        if number < self.first_number() {
            return Err(ChainError::UnknownBlock(format!(
                "block {number} is before the fork point (block {}): ask the upstream node",
                self.first_number() - 1
            )));
        }
        let oldest = self.state.history.oldest();
        if number < oldest {
            return Err(ChainError::HistoryPruned { number, oldest });
        }
        Ok(Some(number))
    }

    /// The state of block `number` (from [`Self::state_block`]).
    pub(crate) fn state_at(&self, number: u64) -> StateAt<'_> {
        self.state.history.at(&self.state.db, number)
    }

    /// The time source for new blocks, for the time-travel methods.
    pub fn clock_mut(&mut self) -> &mut Clock {
        &mut self.state.clock
    }

    /// A mined transaction by hash.
    pub fn transaction(&self, hash: B256) -> Option<&Transaction> {
        self.state.transactions.get(&hash)
    }

    /// A receipt by transaction hash.
    pub fn receipt(&self, hash: B256) -> Option<&TransactionReceipt> {
        self.state.receipts.get(&hash)
    }

    /// Saves the whole state and returns the snapshot id.
    pub fn snapshot(&mut self) -> u64 {
        self.snapshots.push(self.state.clone());
        (self.snapshots.len() - 1) as u64
    }

    /// Restores snapshot `id`. That snapshot and every later one are consumed,
    /// as in hardhat and anvil: take a new snapshot to revert again.
    pub fn revert(&mut self, id: u64) -> ChainResult<()> {
        let index = usize::try_from(id).map_err(|_| ChainError::UnknownSnapshot(id))?;
        if index >= self.snapshots.len() {
            return Err(ChainError::UnknownSnapshot(id));
        }
        self.snapshots.truncate(index + 1);
        if let Some(state) = self.snapshots.pop() {
            self.state = state;
        }
        Ok(())
    }
}
