//! Stylus program code: recognising it, decoding it, and compiling it once.

use std::{borrow::Cow, collections::HashMap, io::Read, sync::Arc};

use revm::primitives::{Address, Bytes, B256};
use std::sync::Mutex;
use wasmi::{Config, Engine, Linker, Module};

use super::{gas::MAX_PAGES, instance::Compiled, state::HostState};

/// The first three bytes of every Stylus program's deployed code (the fourth
/// names the compression dictionary: `0x00`, none).
pub const STYLUS_MAGIC: [u8; 3] = [0xEF, 0xF0, 0x00];

/// The first three bytes of a root program's code (`ArbOS` 61): a large
/// program whose brotli stream lies in fragments.
pub const ROOT_MAGIC: [u8; 3] = [0xEF, 0xF0, 0x02];

/// The largest WASM module Stylus accepts, uncompressed.
pub const MAX_WASM_SIZE: usize = stylus_check::MAX_RAW_SIZE;

/// Why a program could not be decoded or compiled.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProgramError {
    /// The code does not start with `0xEFF000`.
    #[error("code is not a Stylus program (no 0xEFF000 prefix)")]
    NotStylus,
    /// Only dictionary `0x00` (plain brotli) is defined.
    #[error("unknown Stylus compression dictionary {0:#04x}")]
    UnknownDictionary(u8),
    /// The brotli stream is corrupt.
    #[error("brotli stream is corrupt: {0}")]
    Decompress(String),
    /// The WASM is larger than Stylus allows.
    #[error("WASM is larger than {MAX_WASM_SIZE} bytes")]
    TooLarge,
    /// The WASM breaks a Stylus activation rule.
    #[error("program fails Stylus activation: {0}")]
    Invalid(String),
    /// A root program's header is malformed (length, fragment count).
    #[error("malformed root program: {0}")]
    BadRoot(String),
    /// A fragment a root names holds no fragment code.
    #[error("{0} is not a Stylus fragment (no 0xEFF001 prefix)")]
    NotAFragment(Address),
}

/// What a root program's code says: the module's uncompressed size and
/// where its fragments are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The module's size in bytes, uncompressed.
    pub wasm_size: u32,
    /// The fragments, in order.
    pub fragments: Vec<Address>,
}

/// Whether deployed code is a root program.
pub fn is_root(code: &[u8]) -> bool {
    code.starts_with(&ROOT_MAGIC)
}

/// Reads a root program's header.
///
/// # Errors
/// [`ProgramError::UnknownDictionary`] or [`ProgramError::BadRoot`].
pub fn parse_root(code: &[u8]) -> Result<Root, ProgramError> {
    if !is_root(code) || code.len() < 8 {
        return Err(ProgramError::BadRoot(format!("{} bytes of header", code.len())));
    }
    if code[3] != 0 {
        return Err(ProgramError::UnknownDictionary(code[3]));
    }
    let addresses = &code[8..];
    let count = addresses.len() / 20;
    if !addresses.len().is_multiple_of(20) || count == 0 || count > stylus_check::MAX_FRAGMENTS {
        return Err(ProgramError::BadRoot(format!(
            "{} bytes of fragment addresses: 1 to {} addresses expected",
            addresses.len(),
            stylus_check::MAX_FRAGMENTS
        )));
    }
    let wasm_size = u32::from_be_bytes([code[4], code[5], code[6], code[7]]);
    Ok(Root { wasm_size, fragments: addresses.chunks(20).map(Address::from_slice).collect() })
}

/// A program's code in the single-program form (`0xEFF00000` and the
/// brotli stream): the code itself, or for a root its fragments' pieces
/// joined, with `fragment_code` reading a fragment's code from the state.
///
/// # Errors
/// [`ProgramError::NotStylus`], a root's header errors, or
/// [`ProgramError::NotAFragment`].
pub fn assemble(
    code: &[u8],
    mut fragment_code: impl FnMut(Address) -> Option<Bytes>,
) -> Result<Cow<'_, [u8]>, ProgramError> {
    if !is_root(code) {
        return if is_stylus(code) {
            Ok(Cow::Borrowed(code))
        } else {
            Err(ProgramError::NotStylus)
        };
    }
    let root = parse_root(code)?;
    let mut single = STYLUS_MAGIC.to_vec();
    single.push(0);
    for address in root.fragments {
        let fragment = fragment_code(address).unwrap_or_default();
        let piece = fragment
            .strip_prefix(stylus_check::FRAGMENT_PREFIX.as_slice())
            .ok_or(ProgramError::NotAFragment(address))?;
        single.extend_from_slice(piece);
    }
    Ok(Cow::Owned(single))
}

/// Checks a root program (`code`) whose assembled single-program form is
/// `single` against the activation rules, with a root's compressed limit
/// and its declared size; returns the WASM size.
///
/// # Errors
/// As [`validate`], or [`ProgramError::Invalid`] when the module is not the
/// size the root declares.
pub fn validate_root(code: &[u8], single: &[u8]) -> Result<usize, ProgramError> {
    let root = parse_root(code)?;
    let wasm = decode(single)?;
    if wasm.len() != root.wasm_size as usize {
        return Err(ProgramError::Invalid(format!(
            "the root declares {} bytes of WASM, its fragments hold {}",
            root.wasm_size,
            wasm.len()
        )));
    }
    let report = stylus_check::check_root(&wasm, single.len() - stylus_check::CODE_PREFIX.len());
    match report.violations.first() {
        Some(violation) => Err(ProgramError::Invalid(violation.to_string())),
        None => Ok(wasm.len()),
    }
}

/// Whether deployed code is a Stylus program: a single one, or a root
/// over fragments.
pub fn is_stylus(code: &[u8]) -> bool {
    code.starts_with(&STYLUS_MAGIC) || is_root(code)
}

/// The WASM module inside deployed Stylus code.
pub fn decode(code: &[u8]) -> Result<Vec<u8>, ProgramError> {
    if !code.starts_with(&STYLUS_MAGIC) || code.len() < 4 {
        return Err(ProgramError::NotStylus);
    }
    if code[3] != 0 {
        return Err(ProgramError::UnknownDictionary(code[3]));
    }
    let mut wasm = Vec::new();
    // Read one byte past the limit so that an oversized module is caught
    // without inflating an arbitrarily large brotli bomb.
    brotli::Decompressor::new(&code[4..], 4096)
        .take(MAX_WASM_SIZE as u64 + 1)
        .read_to_end(&mut wasm)
        .map_err(|e| ProgramError::Decompress(e.to_string()))?;
    if wasm.len() > MAX_WASM_SIZE {
        return Err(ProgramError::TooLarge);
    }
    Ok(wasm)
}

/// Checks deployed code against Stylus's activation rules (the same check
/// as `cargo xtask wasm`, with the deployed brotli stream's length as the
/// compressed size) and returns the WASM size.
pub fn validate(code: &[u8]) -> Result<usize, ProgramError> {
    let wasm = decode(code)?;
    let compressed = code.len() - stylus_check::CODE_PREFIX.len();
    let report = stylus_check::check_compressed(&wasm, compressed);
    if let Some(violation) = report.violations.first() {
        return Err(ProgramError::Invalid(violation.to_string()));
    }
    Ok(wasm.len())
}

/// Compiled programs, shared by every execution: each code hash is
/// decompressed and compiled once, and its instances are reused
/// ([`super::instance`]).
#[derive(Clone)]
pub struct Programs {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    modules: Arc<Mutex<HashMap<B256, Arc<Compiled>>>>,
}

impl std::fmt::Debug for Programs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.modules.lock().map_or(0, |m| m.len());
        f.debug_struct("Programs").field("compiled", &count).finish_non_exhaustive()
    }
}

impl Default for Programs {
    fn default() -> Self {
        Self::new()
    }
}

impl Programs {
    /// An empty cache with a fuel-metered engine.
    ///
    /// # Panics
    /// Never: registering the host functions fails only on a duplicate
    /// name, which every test would catch.
    pub fn new() -> Self {
        let mut config = Config::default();
        config.consume_fuel(true);
        let engine = Engine::new(&config);
        // Registration only fails on a duplicate name, a bug caught by every test.
        let linker = super::hooks::linker(&engine).expect("vm_hooks register once each");
        Self { engine, linker: Arc::new(linker), modules: Arc::default() }
    }

    /// The linker that resolves `vm_hooks` imports.
    pub(crate) fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }

    /// Whether the program with `code_hash` is compiled already.
    pub fn is_compiled(&self, code_hash: B256) -> bool {
        self.lock().contains_key(&code_hash)
    }

    /// The engine every program runs on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled program for `code`, compiling it on first use.
    pub(crate) fn compiled(
        &self,
        code_hash: B256,
        code: &[u8],
    ) -> Result<Arc<Compiled>, ProgramError> {
        if let Some(compiled) = self.lock().get(&code_hash) {
            return Ok(Arc::clone(compiled));
        }
        let prepared = super::instance::prepare(&decode(code)?);
        let module = Module::new(&self.engine, &prepared.wasm)
            .map_err(|e| ProgramError::Invalid(e.to_string()))?;
        if let Some(memory) = module.exports().find_map(|e| e.ty().memory().copied()) {
            if memory.minimum() > u64::from(MAX_PAGES) {
                return Err(ProgramError::Invalid(format!(
                    "initial memory of {} pages exceeds {MAX_PAGES}",
                    memory.minimum()
                )));
            }
        }
        let compiled = Arc::new(Compiled::new(module, prepared.reusable));
        self.lock().insert(code_hash, Arc::clone(&compiled));
        Ok(compiled)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<B256, Arc<Compiled>>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (inserts are single operations), so a poisoned lock is still usable.
        self.modules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The smallest module Stylus accepts.
    const OK: &str = r#"(module
      (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
      (memory (export "memory") 1)
      (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;

    fn code(wasm: &[u8]) -> Vec<u8> {
        stylus_check::deployable_code(wasm)
    }

    #[test]
    fn decodes_what_xtask_encodes() {
        let wasm = wat::parse_str(OK).unwrap();
        assert_eq!(decode(&code(&wasm)).unwrap(), wasm);
        assert_eq!(validate(&code(&wasm)).unwrap(), wasm.len());
    }

    #[test]
    fn rejects_code_that_is_not_stylus() {
        assert_eq!(decode(&[0x60, 0x00]), Err(ProgramError::NotStylus));
        assert_eq!(decode(&STYLUS_MAGIC), Err(ProgramError::NotStylus));
        let mut other_dictionary = code(b"\0asm");
        other_dictionary[3] = 1;
        assert_eq!(decode(&other_dictionary), Err(ProgramError::UnknownDictionary(1)));
        let corrupt = [0xEF, 0xF0, 0x00, 0x00, 0xFF, 0xFF, 0xFF];
        assert!(matches!(decode(&corrupt), Err(ProgramError::Decompress(_))));
    }

    #[test]
    fn refuses_to_inflate_past_the_size_limit() {
        // 1 MiB of zeros compresses to a few bytes: a decompression bomb.
        let bomb = code(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 1024);
        assert_eq!(decode(&bomb), Err(ProgramError::TooLarge));
    }

    #[test]
    fn validation_applies_the_offline_stylus_rules() {
        let no_entrypoint = OK.replace("(export \"user_entrypoint\")", "");
        let wasm = wat::parse_str(no_entrypoint).unwrap();
        assert!(matches!(validate(&code(&wasm)), Err(ProgramError::Invalid(_))));
    }

    #[test]
    fn compiles_once_per_code_hash() {
        let programs = Programs::new();
        let wasm = wat::parse_str(OK).unwrap();
        let hash = B256::repeat_byte(1);
        programs.compiled(hash, &code(&wasm)).unwrap();
        // A second lookup never decodes: garbage under the same hash is fine.
        assert!(programs.compiled(hash, b"garbage").is_ok());
        assert_eq!(programs.compiled(B256::ZERO, b"garbage").err(), Some(ProgramError::NotStylus));
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_code_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut code = STYLUS_MAGIC.to_vec();
            code.push(0);
            code.extend_from_slice(&tail);
            let _ = decode(&code);
            let _ = validate(&code);
        }
    }
}
