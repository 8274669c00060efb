//! Stylus programs: WASM contracts that run inside revm's call frames.
//!
//! [`program`] recognises, decodes and compiles deployed code; [`run`]
//! drives one program through one frame, suspending the WASM (wasmi's
//! resumable calls) whenever it calls out so that revm can run the callee
//! as an ordinary child frame; [`hooks`] implements the `vm_hooks` host
//! interface on top of revm's [`Host`](revm::context_interface::Host).

pub mod gas;
mod hooks;
mod instance;
mod memory;
pub mod program;
pub mod run;
pub mod state;
mod storage;
pub mod trace;

pub use program::{is_stylus, Programs};
pub use run::{CallEnv, ChildOutcome, Finish, Run, Step};
pub use state::{CallKind, Request};
