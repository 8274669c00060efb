//! Test double component: a configurable reentrancy hook.
//!
//! Part of the test doubles for the motsu tests; never deployed. Embedded in
//! [`super::MockErc20`] and [`super::MockErc4626`] so that a test can make
//! either of them call an arbitrary contract in the middle of an operation,
//! the way an ERC-777 token hook or a malicious yield source would.

use alloy_primitives::Address;
use stylus_sdk::{
    call::RawCall,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageBytes, StorageU256},
    types::AddressVM,
};

/// State of a reentrancy hook (a storage component, not a contract).
///
/// While `target` is non-zero, [`ReentrancyHook::fire`] calls `target` with
/// `calldata` (the caller seen by `target` is the contract that embeds the
/// hook), records whether that call succeeded and what it returned or
/// reverted with, and never fails itself. A call made by the hook's target
/// back into the same contract does not fire the hook again (no unbounded
/// recursion).
#[storage]
pub struct ReentrancyHook {
    /// Contract to call; zero means "no hook".
    target: StorageAddress,
    /// Calldata sent to `target`.
    calldata: StorageBytes,
    /// Set while the hook's call is in progress (recursion guard).
    running: StorageBool,
    /// Whether the last hook call succeeded.
    last_ok: StorageBool,
    /// Return data (on success) or revert data (on failure) of the last call.
    last_data: StorageBytes,
    /// Number of times the hook has called its target.
    calls: StorageU256,
}

impl ReentrancyHook {
    /// Arms the hook with `target` and `calldata`; a zero `target` disarms it.
    pub fn set(&mut self, target: Address, calldata: impl AsRef<[u8]>) {
        self.target.set(target);
        self.calldata.set_bytes(calldata);
    }

    /// The contract the hook calls (zero when disarmed).
    #[must_use]
    pub fn target(&self) -> Address {
        self.target.get()
    }

    /// Whether the last hook call succeeded (`false` before the first call).
    #[must_use]
    pub fn last_ok(&self) -> bool {
        self.last_ok.get()
    }

    /// Return or revert data of the last hook call (empty before the first).
    #[must_use]
    pub fn last_data(&self) -> Vec<u8> {
        self.last_data.get_bytes()
    }

    /// How many times the hook has called its target.
    #[must_use]
    pub fn calls(&self) -> alloy_primitives::U256 {
        self.calls.get()
    }

    /// Calls the target if the hook is armed and not already running.
    ///
    /// A target without code counts as a successful call with empty return
    /// data (as on the EVM; motsu itself would panic on such a call).
    pub fn fire(&mut self) {
        let target = self.target.get();
        if target.is_zero() || self.running.get() {
            return;
        }
        self.calls.set(self.calls.get() + alloy_primitives::U256::from(1));

        #[allow(deprecated)]
        let has_code = target.has_code();
        let result = if has_code {
            let calldata = self.calldata.get_bytes();
            self.running.set(true);
            // SAFETY: no storage reference is held across the call; the cache
            // is cleared so that the callee's writes are seen afterwards.
            let result = unsafe { RawCall::new().clear_storage_cache().call(target, &calldata) };
            self.running.set(false);
            result
        } else {
            Ok(Vec::new())
        };

        let (ok, data) = match result {
            Ok(data) => (true, data),
            Err(data) => (false, data),
        };
        self.last_ok.set(ok);
        self.last_data.set_bytes(data);
    }
}
