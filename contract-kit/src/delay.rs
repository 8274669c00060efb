//! A change that takes effect only after a delay: the rule for every admin
//! or arbiter power that can move someone else's funds (security review
//! I-1). Whoever the change could hurt sees it queued, with its time, and
//! can leave first (a provider unbonds, a payer stops asking).
//!
//! The first value is set at once (there is nobody yet to protect and a
//! deployment should not wait); every later change is two calls: the first
//! queues it, the same call after the delay applies it. Queuing another value
//! restarts the clock.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U64};
use alloy_sol_types::sol;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageU64},
};

sol! {
    /// `value` replaces the current one once `eta` has passed (call again
    /// then to apply it).
    #[derive(Debug, PartialEq, Eq)]
    event ChangeQueued(address value, uint64 eta);
}

/// What a call to [`Delayed::propose`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The value is in force now.
    Applied,
    /// The value is queued until the time given.
    Queued(u64),
}

/// An address-valued setting behind a delay. Put it before any plain field
/// of the struct that holds it (see [`crate::wiring::BridgeWiring`]).
#[storage]
pub struct Delayed {
    current: StorageAddress,
    pending: StorageAddress,
    eta: StorageU64,
}

impl Delayed {
    /// The value in force.
    pub fn get(&self) -> Address {
        self.current.get()
    }

    /// The queued value and when it can be applied (zero and 0 when none).
    pub fn pending(&self) -> (Address, u64) {
        (self.pending.get(), self.eta.get().to())
    }

    /// Sets the value with no delay (a constructor's first value).
    pub fn init(&mut self, value: Address) {
        self.current.set(value);
    }

    /// Sets `value` at once when nothing is set yet, applies it when it was
    /// queued at least `delay` seconds ago, and otherwise queues it (emitting
    /// [`ChangeQueued`]). The caller checks who asks and that `value` is not
    /// zero.
    pub fn propose(&mut self, value: Address, now: u64, delay: u64) -> Change {
        let eta = self.eta.get().to::<u64>();
        let ready = self.pending.get() == value && eta != 0 && now >= eta;
        if self.current.get().is_zero() || ready {
            self.current.set(value);
            self.pending.set(Address::ZERO);
            self.eta.set(U64::ZERO);
            return Change::Applied;
        }
        let eta = now.saturating_add(delay);
        self.pending.set(value);
        self.eta.set(U64::from(eta));
        crate::events::emit(ChangeQueued { value, eta });
        Change::Queued(eta)
    }
}
