//! The storage cache: reads remembered, writes held until a flush, and the
//! EVM gas each costs.

use revm::{
    context_interface::{context::SStoreResult, journaled_state::StateLoad},
    primitives::{B256, U256},
};

use super::state::{HostState, Slot, Stop};

/// EIP-2929 cold storage read.
const COLD_SLOAD: u64 = 2_100;
/// EIP-2929 warm storage read.
const WARM_SLOAD: u64 = 100;
/// EIP-2200 storage set from zero.
const SSTORE_SET: u64 = 20_000;
/// EIP-2200 storage reset (2,900 after EIP-2929).
const SSTORE_RESET: u64 = 2_900;

/// Reads `key`, from the cache when possible; returns the value and its gas.
pub(crate) fn load(state: &mut HostState, key: U256) -> Result<(B256, u64), Stop> {
    if let Some(slot) = state.cache.get(&key) {
        return Ok((slot.value, 0));
    }
    let address = state.address;
    let loaded = state
        .host()?
        .sload(address, key)
        .ok_or_else(|| Stop::Fault("storage read failed".into()))?;
    let value = B256::from(loaded.data.to_be_bytes::<32>());
    state.cache.insert(key, Slot { value, dirty: false });
    Ok((value, if loaded.is_cold { COLD_SLOAD } else { WARM_SLOAD }))
}

/// Caches a write; it reaches the journal at the next flush.
pub(crate) fn store(state: &mut HostState, key: U256, value: B256) {
    state.cache.insert(key, Slot { value, dirty: true });
}

/// Writes every dirty slot to the journal and returns the gas that costs;
/// with `clear`, forgets the cache too (reads after a sub-call must see
/// what the callee wrote). A dirty flush in a static call fails.
pub(crate) fn flush(state: &mut HostState, clear: bool) -> Result<u64, Stop> {
    let mut dirty: Vec<(U256, B256)> = state
        .cache
        .iter()
        .filter(|(_, slot)| slot.dirty)
        .map(|(key, slot)| (*key, slot.value))
        .collect();
    if !dirty.is_empty() && state.is_static {
        return Err(Stop::Fault("storage write in a static call".into()));
    }
    // Deterministic order: the journal (and so the state diff) must not
    // depend on hash-map iteration order.
    dirty.sort_unstable_by_key(|(key, _)| *key);
    let address = state.address;
    let host = state.host()?;
    let mut gas = 0u64;
    for (key, value) in dirty {
        let result = host
            .sstore(address, key, U256::from_be_bytes(value.0))
            .ok_or_else(|| Stop::Fault("storage write failed".into()))?;
        gas = gas.saturating_add(sstore_gas(&result));
    }
    if clear {
        state.cache.clear();
    } else {
        for slot in state.cache.values_mut() {
            slot.dirty = false;
        }
    }
    Ok(gas)
}

/// EIP-2200 + EIP-2929 cost of one write (refunds are not modelled).
fn sstore_gas(result: &StateLoad<SStoreResult>) -> u64 {
    let r = &result.data;
    let cold = if result.is_cold { COLD_SLOAD } else { 0 };
    let base = if r.new_value == r.present_value || r.original_value != r.present_value {
        WARM_SLOAD
    } else if r.original_value.is_zero() {
        SSTORE_SET
    } else {
        SSTORE_RESET
    };
    cold + base
}
