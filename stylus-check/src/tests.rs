//! One test per rule, on small modules written in the text format.

use super::*;

/// The smallest module Stylus accepts.
const OK: &str = r#"(module
  (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;

/// [`OK`] with `extra` spliced in before the final parenthesis.
fn ok_with(extra: &str) -> String {
    format!("{}\n{extra})", &OK[..OK.len() - 1])
}

fn check_wat(source: &str) -> Report {
    check_program(&wat::parse_str(source).expect("test module must parse"))
}

fn violations(source: &str) -> Vec<Violation> {
    check_wat(source).violations
}

/// `len` bytes that brotli cannot shrink (xorshift).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// [`OK`] plus an active data segment of `len` incompressible bytes.
fn with_data(len: usize) -> String {
    use std::fmt::Write;
    let mut data = String::with_capacity(len * 3);
    for b in noise(len) {
        write!(data, "\\{b:02x}").unwrap();
    }
    let pages = len / 65_536 + 1;
    format!(
        r#"(module
  (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
  (memory (export "memory") {pages})
  (data (i32.const 0) "{data}")
  (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
    )
}

#[test]
fn minimal_module_passes() {
    let wasm = wat::parse_str(OK).unwrap();
    let report = check_program(&wasm);
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(report.raw_size, wasm.len());
    assert_eq!(report.compressed_size, compress(&wasm).len());
    assert!(report.percent_of_limit() > 0.0 && report.percent_of_limit() < 1.0);
}

#[test]
fn reference_types_are_rejected() {
    for extra in [
        "(table 1 externref)",
        "(func (result funcref) ref.null func)",
        "(table 1 funcref) (table 1 funcref)",
    ] {
        let found = violations(&ok_with(extra));
        assert!(matches!(found[0], Violation::Invalid { .. }), "{extra}: {found:?}");
    }
}

#[test]
fn simd_is_rejected() {
    let found = violations(&ok_with("(func (result v128) v128.const i32x4 0 0 0 0)"));
    assert!(matches!(found[0], Violation::Invalid { .. }), "{found:?}");
}

#[test]
fn threads_and_tail_calls_are_rejected() {
    for extra in [
        "(func (param i32) (result i32) local.get 0 i32.atomic.load)",
        "(func (result i32) return_call 1)",
    ] {
        let found = violations(&ok_with(extra));
        assert!(matches!(found[0], Violation::Invalid { .. }), "{extra}: {found:?}");
    }
}

/// rustup's prebuilt std encodes `call_indirect`'s table with the
/// reference-types (overlong LEB) encoding; Stylus rejects it.
#[test]
fn overlong_call_indirect_is_rejected() {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
        MemorySection, MemoryType, Module, TableSection, TableType, TypeSection, ValType,
    };
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], []);
    types.ty().function([ValType::I32], [ValType::I32]);
    module.section(&types);
    let mut imports = ImportSection::new();
    imports.import("vm_hooks", "pay_for_memory_grow", wasm_encoder::EntityType::Function(0));
    module.section(&imports);
    let mut functions = FunctionSection::new();
    functions.function(1);
    module.section(&functions);
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: wasm_encoder::RefType::FUNCREF,
        table64: false,
        minimum: 1,
        maximum: None,
        shared: false,
    });
    module.section(&tables);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("user_entrypoint", ExportKind::Func, 1);
    module.section(&exports);
    // local.get 0; local.get 0; call_indirect type=1 table=0 (as 0x80 0x00); end
    let mut body = Function::new([]);
    body.raw([0x20, 0x00, 0x20, 0x00, 0x11, 0x01, 0x80, 0x00, 0x0b]);
    let mut code = CodeSection::new();
    code.function(&body);
    module.section(&code);

    let found = check_program(&module.finish()).violations;
    assert!(matches!(found[0], Violation::Invalid { .. }), "{found:?}");
}

#[test]
fn float_instruction_is_rejected() {
    let found = violations(&ok_with(
        "(func (param i32) (result i32) local.get 0 f32.convert_i32_s i32.trunc_sat_f32_s)",
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    let Violation::FloatInstruction { function, operator, .. } = &found[0] else {
        panic!("{found:?}")
    };
    assert_eq!(*function, 2);
    assert!(operator.contains("F32ConvertI32S"), "{operator}");
}

#[test]
fn float_types_are_rejected() {
    for (extra, location) in [
        ("(func (param f64))", "type"),
        ("(func (local f32))", "locals of function 2"),
        ("(global f64 (f64.const 0))", "global 0"),
    ] {
        let found = violations(&ok_with(extra));
        assert!(
            found
                .iter()
                .any(|v| matches!(v, Violation::FloatType { location: l } if l.contains(location))),
            "{extra}: {found:?}"
        );
    }
}

#[test]
fn missing_entrypoint_is_rejected() {
    let source = OK.replace("(export \"user_entrypoint\")", "");
    assert_eq!(violations(&source), [Violation::MissingExport { name: ENTRYPOINT.into() }]);
}

#[test]
fn wrong_entrypoint_type_is_rejected() {
    let source = OK.replace("(param i32) (result i32) i32.const 0", "(param i64)");
    let found = violations(&source);
    assert_eq!(found, [Violation::WrongEntrypointType { found: "(i64) -> ()".into() }]);
    assert!(found[0].to_string().contains("expected (i32) -> i32"));
}

#[test]
fn entrypoint_must_be_a_function_and_memory_a_memory() {
    let source = r#"(module
      (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
      (memory 1)
      (global (export "user_entrypoint") i32 (i32.const 0))
      (export "memory" (func 0)))"#;
    let found = violations(source);
    assert!(found.contains(&Violation::WrongExportKind {
        name: ENTRYPOINT.into(),
        expected: "function".into(),
        found: "global".into(),
    }));
    assert!(found.contains(&Violation::WrongExportKind {
        name: MEMORY_EXPORT.into(),
        expected: "memory".into(),
        found: "function".into(),
    }));
}

#[test]
fn missing_memory_export_is_rejected() {
    let source = OK.replace("(export \"memory\")", "");
    assert_eq!(violations(&source), [Violation::MissingExport { name: MEMORY_EXPORT.into() }]);
}

#[test]
fn wrong_import_module_is_rejected() {
    let source = OK.replace("(module", "(module (import \"env\" \"abort\" (func))");
    assert_eq!(
        violations(&source),
        [Violation::ForeignImport { module: "env".into(), name: "abort".into() }]
    );
}

#[test]
fn memory_grow_hook_is_required() {
    let source = OK.replace("pay_for_memory_grow", "read_args");
    assert_eq!(violations(&source), [Violation::MissingMemoryGrowHook]);

    let source =
        OK.replace("\"vm_hooks\" \"pay_for_memory_grow\"", "\"env\" \"pay_for_memory_grow\"");
    assert_eq!(
        violations(&source),
        [
            Violation::ForeignImport { module: "env".into(), name: "pay_for_memory_grow".into() },
            Violation::MissingMemoryGrowHook,
        ]
    );
}

#[test]
fn compressed_size_limit() {
    let report = check_wat(&with_data(30_000));
    assert!(report.raw_size < MAX_RAW_SIZE);
    assert_eq!(
        report.violations,
        [Violation::CompressedTooLarge {
            size: report.compressed_size,
            limit: MAX_COMPRESSED_SIZE
        }]
    );
    assert!(report.percent_of_limit() > 100.0);
}

/// A known compressed size (deployed code's) is taken as given: the limit
/// applies to it, and the rest of the check is the same as from scratch.
#[test]
fn a_known_compressed_size_is_checked_as_given() {
    let wasm = wat::parse_str(OK).unwrap();
    let from_scratch = check_program(&wasm);
    let given = check_compressed(&wasm, from_scratch.compressed_size);
    assert_eq!(given, from_scratch);
    let over = check_compressed(&wasm, MAX_COMPRESSED_SIZE + 1);
    assert_eq!(over.compressed_size, MAX_COMPRESSED_SIZE + 1);
    assert_eq!(
        over.violations,
        [Violation::CompressedTooLarge {
            size: MAX_COMPRESSED_SIZE + 1,
            limit: MAX_COMPRESSED_SIZE
        }]
    );
    assert!(check_compressed(&wasm, MAX_COMPRESSED_SIZE).is_ok());
}

#[test]
fn raw_size_limit() {
    let report = check_wat(&with_data(140_000));
    assert!(report
        .violations
        .contains(&Violation::RawTooLarge { size: report.raw_size, limit: MAX_RAW_SIZE }));
    assert!(matches!(report.violations[0], Violation::CompressedTooLarge { .. }));
}

#[test]
fn garbage_is_invalid_not_a_panic() {
    for bytes in [&b""[..], b"\0asm", b"not wasm at all", &[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1]] {
        let report = check_program(bytes);
        assert!(matches!(report.violations.last(), Some(Violation::Invalid { .. })), "{bytes:?}");
    }
}

#[test]
fn deployable_code_is_prefixed_brotli() {
    let wasm = wat::parse_str(OK).unwrap();
    let code = deployable_code(&wasm);
    assert_eq!(code[..4], CODE_PREFIX);
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &code[4..], &mut out).unwrap();
    assert_eq!(out, wasm);
}

#[test]
fn violations_serialize_with_rule_tags() {
    let report = check_wat(&OK.replace("(export \"memory\")", ""));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["violations"][0]["rule"], "missing_export");
    assert_eq!(json["violations"][0]["name"], "memory");
}

#[test]
fn init_code_returns_exactly_the_deployed_code() {
    let deployed = deployable_code(b"\0asm\x01\0\0\0");
    let init = init_code(&deployed);
    assert_eq!(init.len(), 43 + deployed.len());
    assert_eq!(init[0], 0x7f, "PUSH32 of the length");
    let len = u64::from_be_bytes(init[25..33].try_into().unwrap());
    assert_eq!(len, deployed.len() as u64);
    // CODECOPY reads from offset 0x2b = 43: where the deployed code starts.
    assert_eq!(init[35], 0x2b);
    assert_eq!(&init[43..], &deployed[..]);
}

#[test]
fn multi_value_is_rejected_since_arbos_61() {
    let v = violations(&ok_with("(func (result i32 i32) i32.const 1 i32.const 2)"));
    assert!(matches!(v.as_slice(), [Violation::Invalid { .. }]), "{v:?}");
}

#[test]
fn fragments_rebuild_the_stream_and_a_root_names_them() {
    let wasm = wat::parse_str(with_data(60_000)).unwrap();
    let stream = compress(&wasm);
    let fragments = fragment_codes(&wasm);
    assert!(fragments.len() >= 2, "60 KB of noise needs several fragments");
    assert!(fragments.iter().all(|f| f.starts_with(&FRAGMENT_PREFIX)));
    assert!(fragments.iter().all(|f| f.len() <= MAX_COMPRESSED_SIZE));
    let rebuilt: Vec<u8> = fragments.iter().flat_map(|f| f[3..].to_vec()).collect();
    assert_eq!(rebuilt, stream);
    let root = root_code(u32::try_from(wasm.len()).unwrap(), &[[1; 20], [2; 20]]);
    assert_eq!(&root[..4], &ROOT_PREFIX);
    assert_eq!(u32::from_be_bytes(root[4..8].try_into().unwrap()) as usize, wasm.len());
    assert_eq!(root.len(), 8 + 40);
    // Too big for one program, fine for a root.
    assert!(matches!(
        check_compressed(&wasm, stream.len()).violations.as_slice(),
        [Violation::CompressedTooLarge { .. }]
    ));
    assert!(check_root(&wasm, stream.len()).is_ok());
    let over = MAX_ROOT_COMPRESSED_SIZE + 1;
    assert!(matches!(
        check_root(&wasm, over).violations.as_slice(),
        [Violation::CompressedTooLarge { size, limit }] if *size == over && *limit == MAX_ROOT_COMPRESSED_SIZE
    ));
}
