//! `eth_call` / `eth_estimateGas` state overrides, applied to a throwaway
//! layer over the state.

use super::{error::ChainError, error::ChainResult, state::replace_code};
use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::state::{AccountOverride, StateOverride};
use revm::database::{CacheDB, DatabaseRef};

/// Applies every account override in `overrides` to `db`.
pub(super) fn apply<D: DatabaseRef>(
    db: &mut CacheDB<D>,
    overrides: &StateOverride,
) -> ChainResult<()> {
    for (&address, account) in overrides {
        apply_account(db, address, account)?;
    }
    Ok(())
}

fn apply_account<D: DatabaseRef>(
    db: &mut CacheDB<D>,
    address: Address,
    account: &AccountOverride,
) -> ChainResult<()> {
    if account.move_precompile_to.is_some() {
        return Err(ChainError::InvalidParams("movePrecompileToAddress is not supported".into()));
    }
    if account.state.is_some() && account.state_diff.is_some() {
        return Err(ChainError::InvalidParams(format!(
            "account {address} has both state and stateDiff overrides"
        )));
    }
    let mut info = db.basic_ref(address).ok().flatten().unwrap_or_default();
    if let Some(balance) = account.balance {
        info.balance = balance;
    }
    if let Some(nonce) = account.nonce {
        info.nonce = nonce;
    }
    if let Some(code) = &account.code {
        replace_code(&mut info, code.clone());
    }
    db.insert_account_info(address, info);
    let word = |(slot, value): (&alloy_primitives::B256, &alloy_primitives::B256)| {
        (U256::from_be_bytes(slot.0), U256::from_be_bytes(value.0))
    };
    // The layer's backing store is in memory (the state or a past block's),
    // which cannot fail.
    if let Some(state) = &account.state {
        let _ = db.replace_account_storage(address, state.iter().map(word).collect());
    }
    if let Some(diff) = &account.state_diff {
        for (slot, value) in diff.iter().map(word) {
            let _ = db.insert_account_storage(address, slot, value);
        }
    }
    Ok(())
}
