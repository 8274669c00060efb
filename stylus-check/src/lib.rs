//! Offline check of a WASM module against Stylus's activation rules.
//!
//! [`check_program`] is a pure function over the module's bytes, shared by
//! `cargo xtask wasm`/`check`, the devnode (which runs it when a program is
//! activated) and the deploy tool (which encodes programs with
//! [`deployable_code`] and [`init_code`]). It measures the raw and
//! brotli-compressed sizes and reports every broken rule as a typed
//! [`Violation`]; an empty list means the module passes.
//!
//! Only publicly documented rules are checked; they come from the project's
//! design notes ("Toolchain facts" in `design.md`) and Arbitrum's public
//! Stylus documentation:
//!
//! - the module validates with only the WebAssembly features Stylus enables
//!   (see [`stylus_features`]);
//! - no floating-point instructions or value types;
//! - imports come only from `vm_hooks`, and `vm_hooks.pay_for_memory_grow` is
//!   among them;
//! - it exports `user_entrypoint` of type `(i32) -> i32` and `memory`;
//! - it is at most [`MAX_COMPRESSED_SIZE`] bytes brotli-compressed and
//!   [`MAX_RAW_SIZE`] bytes raw.

mod floats;
mod scan;
#[cfg(test)]
mod tests;
mod violation;

use std::io::Write;

use serde::Serialize;
use wasmparser::{Validator, WasmFeatures};

pub use violation::Violation;

/// Largest brotli-compressed program Stylus activates (24 KiB).
pub const MAX_COMPRESSED_SIZE: usize = 24_576;
/// Largest uncompressed program Stylus activates (128 KiB).
pub const MAX_RAW_SIZE: usize = 131_072;
/// Brotli quality used for deployed code (as cargo-stylus does).
pub const BROTLI_QUALITY: u32 = 11;
/// Brotli window (log2 of bytes) used for deployed code.
pub const BROTLI_WINDOW: u32 = 22;
/// Prefix that marks deployed code as a Stylus program (EOF-style magic + version 0 + no dictionary).
pub const CODE_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];
/// The only module programs may import from.
pub const HOST_MODULE: &str = "vm_hooks";
/// The host function every program must import from [`HOST_MODULE`].
pub const MEMORY_GROW_HOOK: &str = "pay_for_memory_grow";
/// The exported function Stylus calls with the calldata length.
pub const ENTRYPOINT: &str = "user_entrypoint";
/// The exported linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// The WebAssembly features Stylus enables. Floats are syntactically allowed
/// here (so that they are reported as [`Violation::FloatInstruction`] /
/// [`Violation::FloatType`] with detail, instead of a bare validation error).
///
/// Multi-value (functions and blocks with several results) is not among
/// them: since `ArbOS` 61 a module that uses it no longer activates.
pub fn stylus_features() -> WasmFeatures {
    WasmFeatures::MVP
        | WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::SATURATING_FLOAT_TO_INT
}

/// The prefix of a fragment's code: a piece of a large program's brotli
/// stream (`ArbOS` 61).
pub const FRAGMENT_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x01];

/// The prefix of a root program's code (`ArbOS` 61), with dictionary `0x00`:
/// followed by the module's uncompressed size (4 bytes, big-endian) and the
/// 20-byte addresses of its fragments, in order.
pub const ROOT_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x02, 0x00];

/// How many fragments a root may reference: 96 KB of program in pieces of
/// at most 24 KB (`ArbOS` 61).
pub const MAX_FRAGMENTS: usize = 4;

/// The most brotli bytes one fragment carries: a contract's code size
/// limit, less the fragment prefix.
pub const MAX_FRAGMENT_PAYLOAD: usize = MAX_COMPRESSED_SIZE - FRAGMENT_PREFIX.len();

/// The largest compressed module a root program may have.
pub const MAX_ROOT_COMPRESSED_SIZE: usize = MAX_FRAGMENTS * MAX_FRAGMENT_PAYLOAD;

/// The fragments' code for a module too large for one program, as
/// cargo-stylus splits it: its brotli stream cut into pieces of at most
/// [`MAX_FRAGMENT_PAYLOAD`] bytes, each behind [`FRAGMENT_PREFIX`].
pub fn fragment_codes(wasm: &[u8]) -> Vec<Vec<u8>> {
    compress(wasm)
        .chunks(MAX_FRAGMENT_PAYLOAD)
        .map(|chunk| [FRAGMENT_PREFIX.as_slice(), chunk].concat())
        .collect()
}

/// The code of the root program over fragments deployed at `fragments`
/// for a module of `wasm_size` bytes.
pub fn root_code(wasm_size: u32, fragments: &[[u8; 20]]) -> Vec<u8> {
    let mut code = ROOT_PREFIX.to_vec();
    code.extend_from_slice(&wasm_size.to_be_bytes());
    for address in fragments {
        code.extend_from_slice(address);
    }
    code
}

/// The outcome of [`check_program`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Size of the module in bytes.
    pub raw_size: usize,
    /// Size of the module after brotli (quality 11, window 22), in bytes.
    pub compressed_size: usize,
    /// Every rule the module breaks; empty when it can be activated.
    pub violations: Vec<Violation>,
}

impl Report {
    /// Whether the module passes every rule.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// Compressed size as a percentage of [`MAX_COMPRESSED_SIZE`].
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
    pub fn percent_of_limit(&self) -> f64 {
        self.compressed_size as f64 * 100.0 / MAX_COMPRESSED_SIZE as f64
    }
}

/// Compresses `data` with brotli at the parameters Stylus uses for deployed code.
///
/// # Panics
///
/// Never: the compressor writes to memory, which cannot fail.
pub fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2);
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(data).expect("writing to a Vec cannot fail");
    }
    out
}

/// The code to deploy for a program: [`CODE_PREFIX`] followed by the
/// brotli-compressed module.
pub fn deployable_code(wasm: &[u8]) -> Vec<u8> {
    let mut code = CODE_PREFIX.to_vec();
    code.extend_from_slice(&compress(wasm));
    code
}

/// EVM init code that deploys `deployed` verbatim: `PUSH32 len, DUP1,
/// PUSH1 43, PUSH1 0, CODECOPY, PUSH1 0, RETURN, STOP`, then the code (the
/// header is 43 bytes long, hence the offset).
pub fn init_code(deployed: &[u8]) -> Vec<u8> {
    let mut len = [0u8; 32];
    len[24..].copy_from_slice(&(deployed.len() as u64).to_be_bytes());
    let mut code = Vec::with_capacity(43 + deployed.len());
    code.push(0x7f);
    code.extend_from_slice(&len);
    code.extend_from_slice(&[0x80, 0x60, 0x2b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]);
    code.extend_from_slice(deployed);
    code
}

/// Checks `wasm` against Stylus's activation rules without any chain.
///
/// Never panics on malformed input: a module that cannot be parsed yields a
/// [`Violation::Invalid`].
pub fn check_program(wasm: &[u8]) -> Report {
    check_compressed(wasm, compress(wasm).len())
}

/// [`check_program`] for a module whose compressed size is known already,
/// such as deployed code (its length after [`CODE_PREFIX`]): compressing at
/// quality 11 again would cost more than the rest of the check.
pub fn check_compressed(wasm: &[u8], compressed_size: usize) -> Report {
    check_within(wasm, compressed_size, MAX_COMPRESSED_SIZE)
}

/// [`check_compressed`] for a root program whose module is split into
/// fragments: the compressed limit is [`MAX_ROOT_COMPRESSED_SIZE`].
pub fn check_root(wasm: &[u8], compressed_size: usize) -> Report {
    check_within(wasm, compressed_size, MAX_ROOT_COMPRESSED_SIZE)
}

fn check_within(wasm: &[u8], compressed_size: usize, limit: usize) -> Report {
    let mut violations = Vec::new();

    if compressed_size > limit {
        violations.push(Violation::CompressedTooLarge { size: compressed_size, limit });
    }
    if wasm.len() > MAX_RAW_SIZE {
        violations.push(Violation::RawTooLarge { size: wasm.len(), limit: MAX_RAW_SIZE });
    }

    let valid = match Validator::new_with_features(stylus_features()).validate_all(wasm) {
        Ok(_) => true,
        Err(e) => {
            violations
                .push(Violation::Invalid { message: e.message().to_owned(), offset: e.offset() });
            false
        }
    };

    // The structural rules are checked even on invalid modules where the
    // module still parses, so that one run reports as much as possible.
    let mut found = Vec::new();
    if let Err(e) = scan::scan(wasm, &mut found) {
        if valid {
            violations
                .push(Violation::Invalid { message: e.message().to_owned(), offset: e.offset() });
        }
    }
    let found_float = found
        .iter()
        .any(|v| matches!(v, Violation::FloatInstruction { .. } | Violation::FloatType { .. }));
    violations.extend(found);

    // Backstop for the float rule: a valid module that fails validation with
    // floats disabled uses floats somewhere the scan did not classify.
    if valid && !found_float {
        let no_floats = stylus_features() - WasmFeatures::FLOATS;
        if let Err(e) = Validator::new_with_features(no_floats).validate_all(wasm) {
            violations.push(Violation::FloatType {
                location: format!("offset {:#x} ({})", e.offset(), e.message()),
            });
        }
    }

    Report { raw_size: wasm.len(), compressed_size, violations }
}
