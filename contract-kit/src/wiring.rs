//! An admin and the two market programs it names, the oracle bridge
//! (requests) and the sessions program: the access rule the inference
//! registry and the inference access contract share (only a market program
//! locks or slashes bonds and books quotas; only the admin names them or
//! hands its role over). A new market program could take every bond or
//! quota, so renaming one waits a delay ([`crate::delay`]); the first one
//! is named at once.

use alloc::{vec, vec::Vec};

use alloy_primitives::Address;
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::StorageAddress};

use crate::{
    delay::{Change, Delayed},
    errors::ZeroAddress,
};

sol! {
    /// Only the admin may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotAdmin(address caller);
    /// Only a market program (the oracle bridge or the sessions program)
    /// may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotBridge(address caller);
}

/// The admin and the bridge of a contract that answers to the bridge.
#[storage]
pub struct BridgeWiring {
    // Nested storage structs go first: stylus-proc 0.9.2 leaves a part-used
    // slot before a nested struct out of the holder's size, so whatever
    // followed the holder would overlap the nested struct's last slot.
    bridge: Delayed,
    sessions: Delayed,
    admin: StorageAddress,
}

impl BridgeWiring {
    /// The admin.
    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    /// The bridge (zero until named).
    pub fn bridge(&self) -> Address {
        self.bridge.get()
    }

    /// The bridge queued to replace it and when it can (zero and 0: none).
    pub fn pending_bridge(&self) -> (Address, u64) {
        self.bridge.pending()
    }

    /// The sessions program (zero until named).
    pub fn sessions(&self) -> Address {
        self.sessions.get()
    }

    /// # Errors
    /// [`NotAdmin`] unless `caller` is the admin.
    pub fn only_admin(&self, caller: Address) -> Result<(), NotAdmin> {
        if caller == self.admin.get() {
            Ok(())
        } else {
            Err(NotAdmin { caller })
        }
    }

    /// # Errors
    /// [`NotBridge`] unless `caller` is the bridge or the sessions program.
    pub fn only_bridge(&self, caller: Address) -> Result<(), NotBridge> {
        // Neither is ever the zero address once named, and no call comes
        // from it.
        if caller == self.bridge.get() || caller == self.sessions.get() {
            Ok(())
        } else {
            Err(NotBridge { caller })
        }
    }

    /// Makes `admin` the admin (at construction, or handed over by the
    /// admin: the caller checks which).
    ///
    /// # Errors
    /// [`ZeroAddress`].
    pub fn set_admin(&mut self, admin: Address) -> Result<(), ZeroAddress> {
        if admin.is_zero() {
            return Err(ZeroAddress {});
        }
        self.admin.set(admin);
        Ok(())
    }

    /// Names `bridge`: at once when none is named, otherwise after `delay`
    /// seconds (see [`Delayed::propose`]). The caller checks that the admin
    /// asks.
    ///
    /// # Errors
    /// [`ZeroAddress`].
    pub fn set_bridge(
        &mut self,
        bridge: Address,
        now: u64,
        delay: u64,
    ) -> Result<Change, ZeroAddress> {
        if bridge.is_zero() {
            return Err(ZeroAddress {});
        }
        Ok(self.bridge.propose(bridge, now, delay))
    }

    /// Names the sessions program `sessions`, under the same rule as
    /// [`Self::set_bridge`].
    ///
    /// # Errors
    /// [`ZeroAddress`].
    pub fn set_sessions(
        &mut self,
        sessions: Address,
        now: u64,
        delay: u64,
    ) -> Result<Change, ZeroAddress> {
        if sessions.is_zero() {
            return Err(ZeroAddress {});
        }
        Ok(self.sessions.propose(sessions, now, delay))
    }
}
