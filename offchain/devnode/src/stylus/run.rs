//! Driving one program through one call frame: start, suspend on a
//! sub-call, resume with its result, finish with an EVM-style outcome.

use revm::{
    context_interface::Host,
    interpreter::InstructionResult,
    primitives::{Address, Bytes, B256, U256},
};
use std::{mem::ManuallyDrop, sync::Arc};

use wasmi::{
    Memory, Store, StoreLimitsBuilder, TrapCode, TypedResumableCall, TypedResumableCallHostTrap,
};

use super::{
    gas::{fuel_to_gas, gas_to_fuel, INK_PER_FUEL, MAX_PAGES},
    instance::{Compiled, Loaded},
    program::{ProgramError, Programs},
    state::{HostState, Request, Stop},
    storage,
    trace::{HostioLog, HostioStep},
};

/// Who called the program, with what, and in which mode.
#[derive(Clone, Debug, Default)]
pub struct CallEnv {
    /// Calldata.
    pub args: Bytes,
    /// The storage owner (the proxy's address under delegatecall).
    pub address: Address,
    /// `msg.sender`.
    pub caller: Address,
    /// `msg.value`.
    pub value: U256,
    /// Whether state changes are forbidden.
    pub is_static: bool,
    /// Whether the program is already running further up the call stack.
    pub reentrant: bool,
    /// Whether to record its host calls ([`super::trace`]).
    pub trace: bool,
}

/// How a program's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finish {
    /// `Return`, `Revert` or `OutOfGas`.
    pub result: InstructionResult,
    /// Return or revert data.
    pub output: Bytes,
}

/// What the frame must do next.
#[derive(Debug)]
pub enum Step {
    /// Run this sub-call or deployment, then [`Run::resume`].
    Request(Request),
    /// The program is done.
    Finish(Finish),
}

/// What a finished sub-call or deployment gave back.
#[derive(Clone, Debug)]
pub struct ChildOutcome {
    /// Whether it succeeded.
    pub success: bool,
    /// Its return (or revert) data.
    pub output: Bytes,
    /// The new contract, for a successful deployment.
    pub created: Option<Address>,
    /// The callee's host-I/O steps, when the run is traced.
    pub trace: Vec<HostioStep>,
}

impl ChildOutcome {
    /// A call that could not start: the program sees a failed call.
    pub fn failed() -> Self {
        Self { success: false, output: Bytes::new(), created: None, trace: Vec::new() }
    }
}

/// One program instance suspended or running in one frame.
pub struct Run {
    loaded: ManuallyDrop<Loaded>,
    program: Arc<Compiled>,
    suspended: Option<(TypedResumableCallHostTrap<u32>, Request)>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("state", self.loaded.store.data())
            .field("suspended", &self.suspended.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A suspended invocation belongs to this store: end it first. The
        // host pointer is already null unless a panic unwound through a run;
        // an idle instance must never hold one.
        self.suspended = None;
        self.loaded.store.data_mut().host = detached();
        // SAFETY: `drop` runs once, and `loaded` is not used after this.
        let loaded = unsafe { ManuallyDrop::take(&mut self.loaded) };
        self.program.release(loaded);
    }
}

/// The WASM's view of a gas budget, returned with the gas it spent.
type Spent<T> = (T, u64);

impl Run {
    /// An instance of the program at `code` (hash `code_hash`) for one call:
    /// an idle one when the program has one, else a fresh one.
    pub fn new(
        programs: &Programs,
        code_hash: B256,
        code: &[u8],
        env: CallEnv,
    ) -> Result<Self, ProgramError> {
        let program = programs.compiled(code_hash, code)?;
        let mut loaded = match program.take() {
            Some(loaded) => loaded,
            None => instantiate(programs, &program)?,
        };
        let memory = loaded.store.data().memory;
        *loaded.store.data_mut() = host_state(env, memory);
        Ok(Self { loaded: ManuallyDrop::new(loaded), program, suspended: None })
    }

    /// Runs the program from the start with `gas` available; returns the
    /// next step and the gas spent.
    pub fn start(&mut self, host: &mut dyn Host, gas: u64) -> Spent<Step> {
        let args_len = u32::try_from(self.loaded.store.data().args.len()).unwrap_or(u32::MAX);
        if let Some(log) = &mut self.loaded.store.data_mut().trace {
            log.record("user_entrypoint", &[&args_len.to_be_bytes()], &[], ink_of(gas));
        }
        self.drive(host, gas, |run| {
            let entry = run.loaded.entry;
            entry.call_resumable(&mut run.loaded.store, args_len)
        })
    }

    /// The host calls recorded since the last time this was asked, when
    /// the run is traced.
    pub fn take_trace(&mut self) -> Vec<HostioStep> {
        self.loaded
            .store
            .data_mut()
            .trace
            .as_mut()
            .map(|log| std::mem::take(&mut log.steps))
            .unwrap_or_default()
    }

    /// Continues after the sub-call the program was suspended on.
    pub fn resume(&mut self, host: &mut dyn Host, gas: u64, child: &ChildOutcome) -> Spent<Step> {
        let Some((invocation, request)) = self.suspended.take() else {
            return (Step::Finish(fault_finish()), gas);
        };
        let written = self.deliver(&request, child);
        if written.is_err() {
            return (Step::Finish(fault_finish()), gas);
        }
        if let Some(log) = &mut self.loaded.store.data_mut().trace {
            log.record_request(&request, child, ink_of(gas));
        }
        self.drive(host, gas, |run| match request {
            Request::Call { .. } => invocation
                .resume(&mut run.loaded.store, &[i32::from(u8::from(!child.success)).into()]),
            Request::Create { .. } => invocation.resume(&mut run.loaded.store, &[]),
        })
    }

    /// Writes what the suspended host function promised the program.
    fn deliver(&mut self, request: &Request, child: &ChildOutcome) -> Result<(), wasmi::Error> {
        let memory = self.loaded.store.data().memory.ok_or(TrapCode::MemoryOutOfBounds)?;
        let len = u32::try_from(child.output.len()).unwrap_or(u32::MAX).to_le_bytes();
        match request {
            Request::Call { return_len_ptr, .. } => {
                self.loaded.store.data_mut().return_data = child.output.clone();
                memory.write(&mut self.loaded.store, *return_len_ptr as usize, &len)?;
            }
            Request::Create { address_ptr, revert_len_ptr, .. } => {
                let address = child.created.filter(|_| child.success).unwrap_or_default();
                let revert = if child.success { Bytes::new() } else { child.output.clone() };
                let revert_len = u32::try_from(revert.len()).unwrap_or(u32::MAX).to_le_bytes();
                self.loaded.store.data_mut().return_data = revert;
                memory.write(&mut self.loaded.store, *address_ptr as usize, address.as_slice())?;
                memory.write(&mut self.loaded.store, *revert_len_ptr as usize, &revert_len)?;
            }
        }
        Ok(())
    }

    /// Runs `f` with the host attached and `gas` as fuel, then interprets
    /// how the WASM stopped.
    fn drive(
        &mut self,
        host: &mut dyn Host,
        gas: u64,
        f: impl FnOnce(&mut Self) -> Result<TypedResumableCall<u32>, wasmi::Error>,
    ) -> Spent<Step> {
        let fuel = gas_to_fuel(gas);
        if self.loaded.store.set_fuel(fuel).is_err() {
            return (Step::Finish(fault_finish()), gas);
        }
        // SAFETY: the pointer is reset right after the run, and `host` is
        // not touched while it is set.
        self.loaded.store.data_mut().host = unsafe { erase(host) };
        let outcome = f(self);
        self.loaded.store.data_mut().host = detached();
        let step = self.step(outcome, host);
        let left = self.loaded.store.get_fuel().unwrap_or(0);
        let spent = fuel_to_gas(fuel.saturating_sub(left)).min(gas);
        match step {
            Step::Finish(Finish { result, .. })
                if !matches!(result, InstructionResult::Return | InstructionResult::Revert) =>
            {
                (step, gas)
            }
            _ => (step, spent),
        }
    }

    fn step(
        &mut self,
        outcome: Result<TypedResumableCall<u32>, wasmi::Error>,
        host: &mut dyn Host,
    ) -> Step {
        match outcome {
            Ok(TypedResumableCall::Finished(status)) => self.finish(host, status),
            Ok(TypedResumableCall::HostTrap(trap)) => {
                let stop = trap.host_error().downcast_ref::<Stop>().cloned();
                match stop {
                    Some(Stop::Suspend) => match self.loaded.store.data_mut().request.take() {
                        Some(request) => {
                            self.suspended = Some((trap, request.clone()));
                            Step::Request(request)
                        }
                        None => Step::Finish(fault_finish()),
                    },
                    Some(Stop::Exit(status)) => self.finish(host, status),
                    Some(Stop::Fault(reason)) => {
                        tracing::debug!(%reason, address = %self.loaded.store.data().address, "Stylus host call faulted");
                        Step::Finish(fault_finish())
                    }
                    None => Step::Finish(fault_finish()),
                }
            }
            Ok(TypedResumableCall::OutOfFuel(_)) => Step::Finish(out_of_gas()),
            Err(e) if e.as_trap_code() == Some(TrapCode::OutOfFuel) => Step::Finish(out_of_gas()),
            Err(trap) => {
                tracing::debug!(%trap, address = %self.loaded.store.data().address, "Stylus program trapped");
                Step::Finish(fault_finish())
            }
        }
    }

    /// The entrypoint returned `status`: flush storage and report.
    fn finish(&mut self, host: &mut dyn Host, status: u32) -> Step {
        // SAFETY: as in `drive`.
        self.loaded.store.data_mut().host = unsafe { erase(host) };
        let flushed = storage::flush(self.loaded.store.data_mut(), true);
        self.loaded.store.data_mut().host = detached();
        let Ok(gas) = flushed else {
            return Step::Finish(fault_finish());
        };
        let left = self.loaded.store.get_fuel().unwrap_or(0);
        if gas_to_fuel(gas) > left {
            return Step::Finish(out_of_gas());
        }
        let left = left - gas_to_fuel(gas);
        let _ = self.loaded.store.set_fuel(left);
        if let Some(log) = &mut self.loaded.store.data_mut().trace {
            log.record("user_returned", &[], &[&status.to_be_bytes()], left * INK_PER_FUEL);
        }
        let output = Bytes::from(std::mem::take(&mut self.loaded.store.data_mut().result));
        let result =
            if status == 0 { InstructionResult::Return } else { InstructionResult::Revert };
        Step::Finish(Finish { result, output })
    }
}

/// A fresh instance of `program`, remembered as the state every reused
/// instance is reset to.
fn instantiate(programs: &Programs, program: &Compiled) -> Result<Loaded, ProgramError> {
    let mut store = Store::new(programs.engine(), host_state(CallEnv::default(), None));
    store.limiter(|s| &mut s.limits);
    let instance = programs
        .linker()
        .instantiate_and_start(&mut store, &program.module)
        .map_err(|e| ProgramError::Invalid(e.to_string()))?;
    store.data_mut().memory = instance.get_memory(&store, stylus_check::MEMORY_EXPORT);
    let entry = instance
        .get_typed_func::<u32, u32>(&store, stylus_check::ENTRYPOINT)
        .map_err(|e| ProgramError::Invalid(e.to_string()))?;
    let loaded = Loaded::new(store, instance, entry);
    program.remember(&loaded);
    Ok(loaded)
}

/// The store data for one call described by `env`.
fn host_state(env: CallEnv, memory: Option<Memory>) -> HostState {
    HostState {
        host: detached(),
        args: env.args,
        result: Vec::new(),
        return_data: Bytes::new(),
        address: env.address,
        caller: env.caller,
        value: env.value,
        is_static: env.is_static,
        reentrant: env.reentrant,
        cache: std::collections::HashMap::new(),
        memory,
        limits: StoreLimitsBuilder::new().memory_size(MAX_PAGES as usize * 65_536).build(),
        request: None,
        trace: env.trace.then(HostioLog::default),
    }
}

/// The ink a gas budget buys.
const fn ink_of(gas: u64) -> u64 {
    gas_to_fuel(gas).saturating_mul(INK_PER_FUEL)
}

/// A trap, a bad pointer or a broken rule: revert with no data, as Stylus
/// does. The frame is charged the gas its WASM ran for (only running out
/// of gas, `OutOfGas`, takes all of it).
fn fault_finish() -> Finish {
    Finish { result: InstructionResult::Revert, output: Bytes::new() }
}

fn out_of_gas() -> Finish {
    Finish { result: InstructionResult::OutOfGas, output: Bytes::new() }
}

/// A pointer to `host` with its lifetime erased, for the store to hold
/// while one WASM run lasts.
///
/// # Safety
/// The caller must reset the store's pointer (to [`detached`]) before the
/// borrow of `host` ends and must not use `host` while the pointer is set.
unsafe fn erase(host: &mut dyn Host) -> *mut (dyn Host + 'static) {
    let ptr: *mut (dyn Host + '_) = host;
    // SAFETY: same layout; only the trait object's lifetime bound changes.
    #[allow(
        clippy::transmute_ptr_to_ptr,
        reason = "an `as` cast cannot extend a trait object's lifetime"
    )]
    unsafe {
        std::mem::transmute::<*mut (dyn Host + '_), *mut (dyn Host + 'static)>(ptr)
    }
}

/// The pointer a store holds while no WASM runs.
pub(crate) fn detached() -> *mut (dyn Host + 'static) {
    std::ptr::null_mut::<revm::context_interface::DummyHost>()
}
