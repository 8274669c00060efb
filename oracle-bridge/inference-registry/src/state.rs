//! What the registry stores per model and per provider.

use alloc::{vec, vec::Vec};

use stylus_sdk::{
    prelude::*,
    storage::{
        StorageB256, StorageBool, StorageU128, StorageU256, StorageU32, StorageU64, StorageU8,
    },
};

/// A registered model.
#[storage]
pub struct Model {
    pub(crate) name: StorageB256,
    pub(crate) weights_hash: StorageB256,
    pub(crate) price_in: StorageU256,
    pub(crate) price_out: StorageU256,
    pub(crate) max_in: StorageU32,
    pub(crate) max_out: StorageU32,
    pub(crate) redundancy: StorageU8,
    pub(crate) active: StorageBool,
}

/// A provider's registration and bond. Amounts are 128 bits so that the
/// bond and what leases reserve of it share one slot: a claim and a delivery
/// each rewrite a slot that is never zero (2,900 gas, not 22,100).
#[storage]
pub struct Provider {
    /// Everything bonded, including what is unbonding and what leases
    /// reserve (all of it slashable).
    pub(crate) bond: StorageU128,
    /// Reserved as collateral by the provider's active leases.
    pub(crate) locked: StorageU128,
    pub(crate) unbonding: StorageU128,
    pub(crate) unbond_at: StorageU64,
    pub(crate) registered: StorageBool,
    pub(crate) paused: StorageBool,
    pub(crate) key: StorageB256,
}
