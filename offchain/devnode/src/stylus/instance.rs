//! Program instances, reused between calls.
//!
//! Instantiating a module costs more than a typical call runs: wasmi creates
//! an entity for every function, resolves every import and lays out a fresh
//! linear memory. A finished instance is therefore reset and kept for the
//! next call of the same program. A reset instance is indistinguishable from
//! a fresh one because everything a run can change is put back: the linear
//! memory's bytes (an instance whose memory grew is dropped instead, as
//! memory cannot shrink) and every mutable global. Tables, passive segments
//! and imported globals cannot be reset through wasmi's API, so a module
//! that could change them (table or segment instructions, imported mutable
//! globals) is instantiated afresh for every call, as before.
//!
//! Globals are reachable only through exports, so [`prepare`] adds an export
//! for each mutable global before compiling. Exports cost nothing at run
//! time, and the code the program runs is unchanged.

use std::sync::{Mutex, OnceLock};

use wasmi::{Global, Memory, Module, Store, TypedFunc, Val};
use wasmparser::{BinaryReader, GlobalSectionReader, ImportSectionReader, TypeRef};

use super::state::HostState;

/// The prefix of the exports [`prepare`] adds; no compiler emits a NUL.
const GLOBAL_EXPORT: &str = "\0devnode:global:";
/// Idle instances kept per program: enough for the calls one request nests.
const POOL_SIZE: usize = 8;
/// The WASM section ids this module reads.
const IMPORT_SECTION: u8 = 2;
const GLOBAL_SECTION: u8 = 6;
const EXPORT_SECTION: u8 = 7;
const CODE_SECTION: u8 = 10;
/// The export kind byte of a global.
const GLOBAL_KIND: u8 = 0x03;

/// A module ready to compile, and whether its instances may be reused.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The module with its mutable globals exported.
    pub(crate) wasm: Vec<u8>,
    /// Whether a reset puts back all state a run can change.
    pub(crate) reusable: bool,
}

/// Exports the mutable globals of `wasm` and decides whether its instances
/// can be reused. A module this cannot read is returned unchanged and not
/// reused; compiling it reports what is wrong.
pub(crate) fn prepare(wasm: &[u8]) -> Prepared {
    rewrite(wasm).unwrap_or_else(|| Prepared { wasm: wasm.to_vec(), reusable: false })
}

fn rewrite(wasm: &[u8]) -> Option<Prepared> {
    let sections = sections(wasm)?;
    let body = |id: u8| sections.iter().find(|s| s.id == id).map(|s| (s.body.clone(), s));
    let mut imported_globals = 0u32;
    let mut resettable = true;
    if let Some((range, _)) = body(IMPORT_SECTION) {
        let reader = ImportSectionReader::new(BinaryReader::new(&wasm[range.clone()], range.start));
        for import in reader.ok()?.into_imports() {
            if let TypeRef::Global(global) = import.ok()?.ty {
                imported_globals += 1;
                resettable &= !global.mutable;
            }
        }
    }
    let mut mutable = Vec::new();
    if let Some((range, _)) = body(GLOBAL_SECTION) {
        let reader = GlobalSectionReader::new(BinaryReader::new(&wasm[range.clone()], range.start));
        for (index, global) in (imported_globals..).zip(reader.ok()?) {
            if global.ok()?.ty.mutable {
                mutable.push(index);
            }
        }
    }
    if let Some((range, _)) = body(CODE_SECTION) {
        resettable &= !changes_tables_or_segments(&wasm[range.clone()], range.start)?;
    }
    let (range, export) = body(EXPORT_SECTION)?;
    let (count, count_len) = read_u32(&wasm[range.clone()])?;
    let mut new_body = leb(count.checked_add(u32::try_from(mutable.len()).ok()?)?);
    new_body.extend_from_slice(&wasm[range.start + count_len..range.end]);
    for index in &mutable {
        let name = format!("{GLOBAL_EXPORT}{index}");
        new_body.extend(leb(u32::try_from(name.len()).ok()?));
        new_body.extend_from_slice(name.as_bytes());
        new_body.push(GLOBAL_KIND);
        new_body.extend(leb(*index));
    }
    let mut out = wasm[..export.start].to_vec();
    out.push(EXPORT_SECTION);
    out.extend(leb(u32::try_from(new_body.len()).ok()?));
    out.extend(new_body);
    out.extend_from_slice(&wasm[range.end..]);
    Some(Prepared { wasm: out, reusable: resettable })
}

/// One top-level section: where its header starts and where its body is.
struct Section {
    id: u8,
    start: usize,
    body: std::ops::Range<usize>,
}

fn sections(wasm: &[u8]) -> Option<Vec<Section>> {
    let mut at = 8; // magic and version
    let mut out = Vec::new();
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        let (len, len_len) = read_u32(wasm.get(at + 1..)?)?;
        let body = at + 1 + len_len..at + 1 + len_len + len as usize;
        if body.end > wasm.len() {
            return None;
        }
        at = body.end;
        out.push(Section { id, start, body });
    }
    (wasm.len() >= 8).then_some(out)
}

/// Whether any function can change a table or use a passive segment.
fn changes_tables_or_segments(code: &[u8], offset: usize) -> Option<bool> {
    use wasmparser::Operator as Op;
    let reader = wasmparser::CodeSectionReader::new(BinaryReader::new(code, offset)).ok()?;
    for body in reader {
        let mut ops = body.ok()?.get_operators_reader().ok()?;
        while !ops.eof() {
            if matches!(
                ops.read().ok()?,
                Op::TableSet { .. }
                    | Op::TableGrow { .. }
                    | Op::TableFill { .. }
                    | Op::TableCopy { .. }
                    | Op::TableInit { .. }
                    | Op::ElemDrop { .. }
                    | Op::MemoryInit { .. }
                    | Op::DataDrop { .. }
            ) {
                return Some(true);
            }
        }
    }
    Some(false)
}

/// An unsigned LEB128 `u32` at the start of `bytes`, and its length.
fn read_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn leb(mut value: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(5);
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// One instantiated program: its store (whose data holds the exported
/// memory), entry point and mutable globals.
pub(crate) struct Loaded {
    /// The store that owns the instance.
    pub(crate) store: Store<HostState>,
    /// `user_entrypoint`.
    pub(crate) entry: TypedFunc<u32, u32>,
    /// The mutable globals, in [`Pristine::globals`] order.
    globals: Vec<Global>,
}

impl Loaded {
    /// Wraps a fresh instance's parts; `instance` must come from [`prepare`]d
    /// code, and the store's data must name its memory.
    pub(crate) fn new(
        store: Store<HostState>,
        instance: wasmi::Instance,
        entry: TypedFunc<u32, u32>,
    ) -> Self {
        let globals = instance
            .exports(&store)
            .filter(|e| e.name().starts_with(GLOBAL_EXPORT))
            .filter_map(wasmi::Export::into_global)
            .collect();
        Self { store, entry, globals }
    }

    /// The exported memory.
    fn memory(&self) -> Option<Memory> {
        self.store.data().memory
    }
}

/// The state every instance of a module starts in.
struct Pristine {
    memory: Vec<u8>,
    globals: Vec<Val>,
}

/// A compiled program and its idle instances.
pub(crate) struct Compiled {
    /// The compiled module.
    pub(crate) module: Module,
    reusable: bool,
    pristine: OnceLock<Pristine>,
    idle: Mutex<Vec<Idle>>,
}

/// An idle instance, which another thread's call may take.
struct Idle(Loaded);

// SAFETY: the only field of `HostState` that is not `Send` is its pointer to
// the revm host, which is null whenever an instance is idle (`Run` detaches
// the host after every WASM run, and again when it releases its instance).
unsafe impl Send for Idle {}

impl Compiled {
    /// Wraps a compiled module.
    pub(crate) fn new(module: Module, reusable: bool) -> Self {
        Self { module, reusable, pristine: OnceLock::new(), idle: Mutex::new(Vec::new()) }
    }

    /// An idle instance, already reset, if there is one.
    pub(crate) fn take(&self) -> Option<Loaded> {
        self.lock().pop().map(|Idle(loaded)| loaded)
    }

    /// Records a fresh instance's state as every instance's starting point.
    pub(crate) fn remember(&self, loaded: &Loaded) {
        if !self.reusable {
            return;
        }
        self.pristine.get_or_init(|| Pristine {
            memory: loaded.memory().map(|m| m.data(&loaded.store).to_vec()).unwrap_or_default(),
            globals: loaded.globals.iter().map(|g| g.get(&loaded.store)).collect(),
        });
    }

    /// Resets `loaded` and keeps it for the next call, or drops it when it
    /// cannot be reset or enough instances are idle.
    pub(crate) fn release(&self, mut loaded: Loaded) {
        let Some(pristine) = self.pristine.get() else { return };
        if self.lock().len() >= POOL_SIZE || !reset(&mut loaded, pristine) {
            return;
        }
        self.lock().push(Idle(loaded));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // Pushes and pops cannot leave the list half-changed.
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Puts `loaded` back into its pristine state; `false` when it cannot be.
fn reset(loaded: &mut Loaded, pristine: &Pristine) -> bool {
    if let Some(memory) = loaded.memory() {
        let data = memory.data_mut(&mut loaded.store);
        if data.len() != pristine.memory.len() {
            return false;
        }
        data.copy_from_slice(&pristine.memory);
    }
    if loaded.globals.len() != pristine.globals.len() {
        return false;
    }
    for (global, value) in loaded.globals.iter().zip(&pristine.globals) {
        if global.set(&mut loaded.store, value.clone()).is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
