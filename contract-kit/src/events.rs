//! The one way the contracts emit events.

use alloy_sol_types::SolEvent;

/// Emits `event` from the running contract.
///
/// The SDK's free `evm::log` is deprecated in favour of a host handle that
/// motsu 0.10 cannot provide yet; keeping the call here confines that to one
/// place (and one migration).
#[allow(deprecated)]
#[inline]
pub fn emit<E: SolEvent>(event: E) {
    stylus_sdk::evm::log(event);
}
