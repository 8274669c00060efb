//! What a running Stylus program can see and what it asked for: the data
//! wasmi's store carries for one call frame.

use std::collections::HashMap;

use revm::{
    context_interface::Host,
    primitives::{Address, Bytes, B256, U256},
};
use wasmi::{Memory, StoreLimits};

/// A sub-call or deployment a program asked for; the frame suspends the WASM,
/// revm runs it as a child frame, and the program resumes with its result.
#[derive(Clone, Debug)]
pub enum Request {
    /// `call_contract`, `delegate_call_contract`, `static_call_contract`.
    Call {
        /// Which of the three calls.
        kind: CallKind,
        /// The callee.
        target: Address,
        /// Calldata.
        input: Bytes,
        /// Wei sent with a plain call.
        value: U256,
        /// Gas the program offered (capped at 63/64 of what is left).
        gas: u64,
        /// Where to write the length of the return data.
        return_len_ptr: u32,
    },
    /// `create1` and `create2`.
    Create {
        /// EVM init code.
        init_code: Bytes,
        /// Wei endowment.
        value: U256,
        /// `Some(salt)` for `create2`.
        salt: Option<U256>,
        /// Where to write the new address (zero on failure).
        address_ptr: u32,
        /// Where to write the length of the revert data.
        revert_len_ptr: u32,
    },
}

/// The three ways a program calls out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `CALL`.
    Call,
    /// `DELEGATECALL`.
    Delegate,
    /// `STATICCALL`.
    Static,
}

/// Why the WASM stopped before `user_entrypoint` returned.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Stop {
    /// A sub-call or deployment is waiting in [`HostState::request`].
    #[error("suspended for a sub-call")]
    Suspend,
    /// `exit_early(status)`.
    #[error("exited early with status {0}")]
    Exit(u32),
    /// A host call broke a rule (a write in a static call, a bad pointer):
    /// the frame reverts with no data.
    #[error("{0}")]
    Fault(String),
}

impl wasmi::errors::HostError for Stop {}

/// One storage slot in the program's cache.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    /// The value the program sees.
    pub value: B256,
    /// Whether it differs from what the journal holds.
    pub dirty: bool,
}

/// Per-frame state owned by the wasmi store.
pub struct HostState {
    /// The revm context (journal, block, tx) while the WASM runs; null while
    /// it is suspended. See [`HostState::host`].
    pub(crate) host: *mut (dyn Host + 'static),
    /// Calldata.
    pub args: Bytes,
    /// What `write_result` stored.
    pub result: Vec<u8>,
    /// The return data of the last sub-call or failed deployment.
    pub return_data: Bytes,
    /// The program's address (storage owner; the proxy's under delegatecall).
    pub address: Address,
    /// `msg.sender`.
    pub caller: Address,
    /// `msg.value`.
    pub value: U256,
    /// Whether writes are forbidden.
    pub is_static: bool,
    /// Whether this program is already running further up the call stack.
    pub reentrant: bool,
    /// The storage cache the SDK relies on: reads are remembered, writes
    /// stay here until a flush (explicit, before a sub-call, or at exit).
    pub cache: HashMap<U256, Slot>,
    /// The instance's exported memory.
    pub memory: Option<Memory>,
    /// Memory limits for the store.
    pub limits: StoreLimits,
    /// The sub-call the WASM is suspended on.
    pub request: Option<Request>,
    /// The host calls made so far, when the run is traced.
    pub trace: Option<super::trace::HostioLog>,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field("address", &self.address)
            .field("caller", &self.caller)
            .field("is_static", &self.is_static)
            .field("cached_slots", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl HostState {
    /// The revm host.
    ///
    /// # Errors
    /// A [`Stop::Fault`] when called while the program is suspended, which
    /// the frame driver never does.
    pub(crate) fn host(&mut self) -> Result<&mut (dyn Host + 'static), Stop> {
        // SAFETY: `host` is set by `Attached::new` from a `&mut` that outlives
        // the WASM run and is reset to null when that run returns, so a
        // non-null pointer is valid and unaliased: the driver does not touch
        // the context while the WASM runs.
        unsafe { self.host.as_mut() }.ok_or_else(|| Stop::Fault("host detached".into()))
    }
}
