//! What the access contract stores: policies and what each key spent.

use alloc::{vec, vec::Vec};

use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64},
};

/// A payer's sponsorship of a key collection.
#[storage]
pub struct Policy {
    pub(crate) quota: StorageU256,
    pub(crate) period: StorageU64,
    pub(crate) all_models: StorageBool,
    pub(crate) models: StorageMap<u32, StorageBool>,
}

/// What one key token has spent in its current period.
#[storage]
pub struct Usage {
    pub(crate) period: StorageU64,
    pub(crate) used: StorageU256,
}

/// Who a key's holder lets use it: valid only while that holder still
/// holds the key (a transfer ends it without a transaction).
#[storage]
pub struct Delegation {
    pub(crate) holder: StorageAddress,
    pub(crate) delegate: StorageAddress,
}
