//! State at past blocks: every mined block keeps what it changed, as the
//! values from before it (accounts and storage slots, first touch only), so
//! the state of block `n` is the latest state read through the changes of
//! the blocks after `n`. Reads at old blocks cost one lookup per kept block
//! at most; memory grows with what blocks change, not with the state.
//!
//! The last [`DEFAULT_HISTORY_BLOCKS`] blocks are kept by default (anvil
//! keeps 500 states in memory); `--history-blocks` changes it, 0 keeps all.
//! Changes made between blocks (`anvil_setBalance`, `anvil_setStorageAt`,
//! ...) belong to the next block. History is not saved with the state file:
//! a node loaded from one starts with the latest state only.

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
};

use alloy_primitives::{Address, B256, U256};
use revm::{
    database::AccountState,
    state::{AccountInfo, Bytecode, EvmState},
    DatabaseRef,
};

use crate::exec::Db;

/// How many blocks of history are kept by default: anvil's in-memory
/// default.
pub const DEFAULT_HISTORY_BLOCKS: u64 = 500;

/// What one account was before a block changed it.
#[derive(Clone, Debug, Default)]
struct AccountBefore {
    /// Its info, `None` when it did not exist.
    info: Option<AccountInfo>,
    /// Storage slots the block changed, with their values before it.
    storage: HashMap<U256, U256>,
    /// The block created or destroyed the account: `storage` then holds all
    /// of its storage from before (empty for an account that did not exist).
    wiped: bool,
}

/// What one block changed, as the values from before it.
#[derive(Clone, Debug, Default)]
struct BlockDiff {
    number: u64,
    accounts: HashMap<Address, AccountBefore>,
}

impl BlockDiff {
    /// Records `address` as it is in `db` unless this block already did.
    fn note_account(&mut self, db: &Db, address: Address) -> &mut AccountBefore {
        self.accounts.entry(address).or_insert_with(|| AccountBefore {
            info: db.basic_ref(address).ok().flatten(),
            ..AccountBefore::default()
        })
    }

    /// Records slot `slot` of `address` as it is in `db` unless this block
    /// already did.
    fn note_slot(&mut self, db: &Db, address: Address, slot: U256) {
        let before = self.note_account(db, address);
        if before.wiped {
            return;
        }
        // Through the database, not its cache: on a fork a slot the block
        // changes may still be the upstream's, never read into the cache.
        before
            .storage
            .entry(slot)
            .or_insert_with(|| db.storage_ref(address, slot).unwrap_or_default());
    }

    /// Records that `address` is about to lose all of its storage.
    fn note_wipe(&mut self, db: &Db, address: Address) {
        let current: HashMap<U256, U256> = db
            .cache
            .accounts
            .get(&address)
            .filter(|a| !matches!(a.account_state, AccountState::NotExisting))
            .map(|a| a.storage.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default();
        let before = self.note_account(db, address);
        if !before.wiped {
            // Slots this block changed earlier keep their older values.
            let mut all = current;
            all.extend(before.storage.drain());
            before.storage = all;
            before.wiped = true;
        }
    }
}

/// The kept history.
#[derive(Clone, Debug)]
pub struct History {
    /// Diffs of sealed blocks, oldest first (empty blocks have none).
    blocks: VecDeque<BlockDiff>,
    /// Changes since the latest block: they belong to the next one.
    pending: BlockDiff,
    /// The oldest block whose state can still be rebuilt.
    oldest: u64,
    /// Blocks kept; 0 keeps all.
    limit: u64,
}

impl Default for History {
    fn default() -> Self {
        Self {
            blocks: VecDeque::new(),
            pending: BlockDiff::default(),
            oldest: 0,
            limit: DEFAULT_HISTORY_BLOCKS,
        }
    }
}

impl History {
    /// A history whose first block is `number` (a fork's first block).
    pub fn start_at(&mut self, number: u64) {
        self.oldest = number;
    }

    /// Keeps the last `limit` blocks (0: all).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The oldest block whose state can be read.
    pub fn oldest(&self) -> u64 {
        self.oldest
    }

    /// Records what a transaction is about to change in `db` (call it
    /// before committing `changes`).
    pub fn record(&mut self, db: &Db, changes: &EvmState) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_created() || account.is_selfdestructed() {
                self.pending.note_wipe(db, *address);
            } else {
                self.pending.note_account(db, *address);
            }
            for (slot, value) in &account.storage {
                if value.is_changed() {
                    self.pending.note_slot(db, *address, *slot);
                }
            }
        }
    }

    /// Records that `address`'s info is about to be edited between blocks.
    pub fn note_account(&mut self, db: &Db, address: Address) {
        self.pending.note_account(db, address);
    }

    /// Records that a storage slot is about to be edited between blocks.
    pub fn note_slot(&mut self, db: &Db, address: Address, slot: U256) {
        self.pending.note_slot(db, address, slot);
    }

    /// Closes the changes recorded so far as block `number`'s, and forgets
    /// blocks beyond the limit.
    pub fn seal(&mut self, number: u64) {
        let mut diff = std::mem::take(&mut self.pending);
        if !diff.accounts.is_empty() {
            diff.number = number;
            self.blocks.push_back(diff);
        }
        if self.limit == 0 {
            return;
        }
        let keep_from = number.saturating_sub(self.limit);
        while self.blocks.front().is_some_and(|d| d.number <= keep_from) {
            if let Some(dropped) = self.blocks.pop_front() {
                self.oldest = self.oldest.max(dropped.number);
            }
        }
        self.oldest = self.oldest.max(keep_from);
    }

    /// The state of block `number` (which must be at least
    /// [`Self::oldest`]) over the latest state `db`.
    pub fn at<'a>(&'a self, db: &'a Db, number: u64) -> StateAt<'a> {
        let start = self.blocks.partition_point(|d| d.number <= number);
        let diffs = self.blocks.range(start..).chain(std::iter::once(&self.pending)).collect();
        StateAt { db, diffs }
    }
}

/// The state of a past block: the latest state read through the values
/// from before each later block, oldest first.
#[derive(Debug)]
pub struct StateAt<'a> {
    db: &'a Db,
    diffs: Vec<&'a BlockDiff>,
}

impl StateAt<'_> {
    /// The account's info, `None` if it did not exist.
    pub fn info(&self, address: Address) -> Option<AccountInfo> {
        for diff in &self.diffs {
            if let Some(before) = diff.accounts.get(&address) {
                return before.info.clone();
            }
        }
        self.db.basic_ref(address).ok().flatten()
    }

    /// One storage word.
    pub fn slot(&self, address: Address, slot: U256) -> U256 {
        for diff in &self.diffs {
            if let Some(before) = diff.accounts.get(&address) {
                if let Some(value) = before.storage.get(&slot) {
                    return *value;
                }
                if before.wiped || before.info.is_none() {
                    return U256::ZERO;
                }
            }
        }
        self.db.storage_ref(address, slot).unwrap_or_default()
    }

    /// The code with hash `hash` (code is never forgotten).
    pub fn code_by_hash(&self, hash: B256) -> Option<Bytecode> {
        self.db.code_by_hash_ref(hash).ok().filter(|c| !c.is_empty())
    }
}

impl DatabaseRef for StateAt<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.info(address))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.code_by_hash(code_hash).unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.slot(address, index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.db.block_hash_ref(number)
    }
}
