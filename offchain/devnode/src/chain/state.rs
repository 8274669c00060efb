//! Reading and editing accounts: balances, nonces, code and storage.

use super::{Chain, ChainResult};
use crate::{exec::Executor, stylus::program::ProgramError};
use alloy_eips::BlockId;
use alloy_primitives::{Address, Bytes, B256, U256};
use revm::{
    bytecode::Bytecode,
    database::{AccountState, DatabaseRef},
    primitives::KECCAK_EMPTY,
    state::AccountInfo,
};

impl Chain {
    fn account_info(&self, address: Address) -> AccountInfo {
        // Through the database, so that a fork's upstream state is read.
        self.state.db.basic_ref(address).ok().flatten().unwrap_or_default()
    }

    /// The balance of `address` in wei.
    pub fn balance(&self, address: Address) -> U256 {
        self.account_info(address).balance
    }

    /// The info of `address` at `block` (see [`Chain::state_block`]).
    ///
    /// # Errors
    /// As [`Chain::state_block`].
    pub fn info_at(&self, address: Address, block: Option<BlockId>) -> ChainResult<AccountInfo> {
        Ok(match self.state_block(block)? {
            None => self.account_info(address),
            Some(n) => self.state_at(n).info(address).unwrap_or_default(),
        })
    }

    /// The code of `address` at `block`.
    ///
    /// # Errors
    /// As [`Chain::state_block`].
    pub fn code_at(&self, address: Address, block: Option<BlockId>) -> ChainResult<Bytes> {
        let Some(n) = self.state_block(block)? else { return Ok(self.code(address)) };
        let at = self.state_at(n);
        let info = at.info(address).unwrap_or_default();
        let code = info.code.or_else(|| at.code_by_hash(info.code_hash));
        Ok(code.map(|code| code.original_bytes()).unwrap_or_default())
    }

    /// One storage word of `address` at `block`.
    ///
    /// # Errors
    /// As [`Chain::state_block`].
    pub fn storage_at(
        &self,
        address: Address,
        slot: U256,
        block: Option<BlockId>,
    ) -> ChainResult<B256> {
        Ok(match self.state_block(block)? {
            None => self.storage(address, slot),
            Some(n) => B256::from(self.state_at(n).slot(address, slot)),
        })
    }

    /// The nonce of `address`, counting its transactions still waiting for
    /// an interval block, so wallets can send several in a row.
    pub fn nonce(&self, address: Address, include_pending: bool) -> u64 {
        let mined = self.account_info(address).nonce;
        if !include_pending {
            return mined;
        }
        let pending = self.state.pending.iter().filter(|tx| tx.sender == address).count();
        mined + pending as u64
    }

    /// The deployed code of `address` (empty for accounts without code).
    pub fn code(&self, address: Address) -> Bytes {
        let info = self.account_info(address);
        let code = info.code.or_else(|| self.state.db.code_by_hash_ref(info.code_hash).ok());
        code.map(|code| code.original_bytes()).unwrap_or_default()
    }

    /// The storage word of `address` at `slot`.
    pub fn storage(&self, address: Address, slot: U256) -> B256 {
        B256::from(self.state.db.storage_ref(address, slot).unwrap_or_default())
    }

    /// Sets the balance of `address`, creating the account if needed.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.edit_info(address, |info| info.balance = balance);
    }

    /// Sets the nonce of `address`, creating the account if needed.
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        self.edit_info(address, |info| info.nonce = nonce);
    }

    /// Replaces the code of `address`; empty code makes it a plain account.
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        self.edit_info(address, |info| replace_code(info, code));
    }

    /// Writes one storage word of `address`.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: B256) {
        self.state.history.note_slot(&self.state.db, address, slot);
        let account = self.state.db.cache.accounts.entry(address).or_default();
        if matches!(account.account_state, AccountState::NotExisting) {
            account.account_state = AccountState::Touched;
        }
        account.storage.insert(slot, value.into());
    }

    /// Serves the Stylus program `wasm` at `address`, already activated
    /// (genesis system contracts such as the ERC-6551 registry).
    ///
    /// # Errors
    /// When `wasm` breaks a Stylus activation rule.
    pub fn install_program(&mut self, address: Address, wasm: &[u8]) -> Result<B256, ProgramError> {
        Executor::install_program(&mut self.state.db, address, wasm)
    }

    fn edit_info(&mut self, address: Address, edit: impl FnOnce(&mut AccountInfo)) {
        self.state.history.note_account(&self.state.db, address);
        let mut info = self.account_info(address);
        edit(&mut info);
        // Inserting the info also registers its code under the code hash.
        self.state.db.insert_account_info(address, info);
    }
}

/// Gives `info` the code `code`; empty code makes it a plain account.
pub(super) fn replace_code(info: &mut AccountInfo, code: Bytes) {
    if code.is_empty() {
        info.code_hash = KECCAK_EMPTY;
        info.code = None;
    } else {
        let bytecode = Bytecode::new_raw(code);
        info.code_hash = bytecode.hash_slow();
        info.code = Some(bytecode);
    }
}
