//! The `vm_hooks` host interface: every import stylus-sdk 0.9 makes (34
//! functions), plus `exit_early` and transient storage from later SDKs.

mod calls;
mod env;
mod storage;

use wasmi::{Engine, Error, Linker};

use super::{memory::Ctx, state::HostState};

/// The module every Stylus import comes from.
pub(crate) const MODULE: &str = stylus_check::HOST_MODULE;

/// A linker that resolves every `vm_hooks` import.
pub(crate) fn linker(engine: &Engine) -> Result<Linker<HostState>, Error> {
    let mut linker = Linker::new(engine);
    env::register(&mut linker)?;
    storage::register(&mut linker)?;
    calls::register(&mut linker)?;
    Ok(linker)
}

/// Shorthand for the results host functions return.
pub(crate) type HostResult<T = ()> = Result<T, Error>;

/// Marker so registration code reads as a table.
pub(crate) type L = Linker<HostState>;

/// The caller type, re-exported for the submodules.
pub(crate) type C<'a> = Ctx<'a>;
