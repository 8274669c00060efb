//! The typed rule violations reported by [`check_program`](super::check_program).

use core::fmt;

use serde::Serialize;

/// One way in which a WASM module breaks Stylus's activation rules.
///
/// Every variant names the rule it breaks and carries enough detail to find
/// the offending item; [`Display`](fmt::Display) renders a one-line message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Violation {
    /// The module is not valid WebAssembly under Stylus's feature set
    /// (MVP + mutable-global, sign-ext, bulk-memory, saturating-float-to-int).
    /// Multi-value (refused since `ArbOS` 61), reference types, SIMD, threads,
    /// tail calls, multiple memories, ... all land here.
    Invalid {
        /// The validator's message.
        message: String,
        /// Byte offset of the problem in the module.
        offset: usize,
    },
    /// The brotli-compressed module exceeds the code-size limit (24 KiB, or
    /// 4 fragments' worth for a root program).
    CompressedTooLarge {
        /// Compressed size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The uncompressed module exceeds the 128 KiB limit.
    RawTooLarge {
        /// Raw size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A floating-point instruction in a function body.
    FloatInstruction {
        /// Index of the function (imports included) in the function index space.
        function: u32,
        /// Byte offset of the instruction in the module.
        offset: usize,
        /// The instruction.
        operator: String,
    },
    /// A floating-point value type in a signature, local, global or block type.
    FloatType {
        /// Where the type appears, e.g. `"params of type 3"`.
        location: String,
    },
    /// An import from a module other than `vm_hooks`.
    ForeignImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// `vm_hooks.pay_for_memory_grow` is not imported.
    MissingMemoryGrowHook,
    /// A required export is absent.
    MissingExport {
        /// The export's name.
        name: String,
    },
    /// A required export exists but is of the wrong kind.
    WrongExportKind {
        /// The export's name.
        name: String,
        /// The kind Stylus needs.
        expected: String,
        /// The kind found.
        found: String,
    },
    /// `user_entrypoint` does not have the type `(i32) -> i32`.
    WrongEntrypointType {
        /// The type found.
        found: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { message, offset } => {
                write!(f, "not valid under Stylus's WASM features at offset {offset:#x}: {message}")
            }
            Self::CompressedTooLarge { size, limit } => write!(
                f,
                "compressed size {size} bytes exceeds the limit of {limit} bytes by {}",
                size - limit
            ),
            Self::RawTooLarge { size, limit } => {
                write!(f, "raw size {size} bytes exceeds the limit of {limit} bytes")
            }
            Self::FloatInstruction { function, offset, operator } => write!(
                f,
                "floating-point instruction {operator} in function {function} at offset {offset:#x}"
            ),
            Self::FloatType { location } => write!(f, "floating-point type in {location}"),
            Self::ForeignImport { module, name } => {
                write!(f, "import {module}.{name} is not from `vm_hooks` (the only host module)")
            }
            Self::MissingMemoryGrowHook => {
                f.write_str("`vm_hooks.pay_for_memory_grow` is not imported")
            }
            Self::MissingExport { name } => write!(f, "missing export `{name}`"),
            Self::WrongExportKind { name, expected, found } => {
                write!(f, "export `{name}` is a {found}, expected a {expected}")
            }
            Self::WrongEntrypointType { found } => {
                write!(f, "`user_entrypoint` has type {found}, expected (i32) -> i32")
            }
        }
    }
}
