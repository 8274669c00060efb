//! An admin and the one oracle bridge it names: the access rule the
//! inference registry and the inference access contract share (only the
//! bridge slashes bonds or books quotas; only the admin names the bridge or
//! hands its role over).

use alloc::{vec, vec::Vec};

use alloy_primitives::Address;
use alloy_sol_types::sol;
use stylus_sdk::{prelude::*, storage::StorageAddress};

use crate::errors::ZeroAddress;

sol! {
    /// Only the admin may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotAdmin(address caller);
    /// Only the oracle bridge may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotBridge(address caller);
}

/// The admin and the bridge of a contract that answers to the bridge.
#[storage]
pub struct BridgeWiring {
    admin: StorageAddress,
    bridge: StorageAddress,
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
    /// [`NotBridge`] unless `caller` is the bridge.
    pub fn only_bridge(&self, caller: Address) -> Result<(), NotBridge> {
        if caller == self.bridge.get() {
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

    /// Names `bridge` (the caller checks that the admin asks).
    ///
    /// # Errors
    /// [`ZeroAddress`].
    pub fn set_bridge(&mut self, bridge: Address) -> Result<(), ZeroAddress> {
        if bridge.is_zero() {
            return Err(ZeroAddress {});
        }
        self.bridge.set(bridge);
        Ok(())
    }
}
