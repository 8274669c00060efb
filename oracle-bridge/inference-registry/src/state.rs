//! What the registry stores per model and per provider.

use alloc::{vec, vec::Vec};

use stylus_sdk::{
    prelude::*,
    storage::{StorageB256, StorageBool, StorageU256, StorageU32, StorageU64, StorageU8},
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

/// A provider's registration and bond.
#[storage]
pub struct Provider {
    pub(crate) registered: StorageBool,
    pub(crate) paused: StorageBool,
    pub(crate) key: StorageB256,
    /// Everything bonded, including what is unbonding (all of it slashable).
    pub(crate) bond: StorageU256,
    pub(crate) unbonding: StorageU256,
    pub(crate) unbond_at: StorageU64,
}
