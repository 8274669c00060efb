use super::*;
use crate::stylus::{CallEnv, Programs, Run};
use revm::primitives::B256;

/// A program with a mutable global, an immutable one and initialised data.
const PROGRAM: &str = r#"(module
  (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (global $limit i32 (i32.const 7))
  (global $wide (mut i64) (i64.const 5))
  (data (i32.const 64) "\2a")
  (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;

fn names(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(reader) = payload.unwrap() {
            names.extend(reader.into_iter().map(|e| e.unwrap().name.to_owned()));
        }
    }
    names
}

#[test]
fn mutable_globals_are_exported_and_nothing_else_changes() {
    let wasm = wat::parse_str(PROGRAM).unwrap();
    let prepared = prepare(&wasm);
    assert!(prepared.reusable);
    let exported = names(&prepared.wasm);
    assert_eq!(
        exported,
        ["memory", "user_entrypoint", &format!("{GLOBAL_EXPORT}0"), &format!("{GLOBAL_EXPORT}2")]
    );
    // Every other section is byte for byte the original.
    let strip = |wasm: &[u8]| -> Vec<u8> {
        sections(wasm)
            .unwrap()
            .iter()
            .filter(|s| s.id != EXPORT_SECTION)
            .flat_map(|s| wasm[s.start..s.body.end].to_vec())
            .collect()
    };
    assert_eq!(strip(&prepared.wasm), strip(&wasm));
    wasmparser::Validator::new().validate_all(&prepared.wasm).unwrap();
}

#[test]
fn modules_that_can_change_tables_or_segments_are_not_reused() {
    let cases = [
        "(table 1 funcref) (func (table.set 0 (i32.const 0) (ref.null func)))",
        "(table 1 funcref) (func (drop (table.grow 0 (ref.null func) (i32.const 1))))",
        "(table 2 funcref) (func (table.copy (i32.const 0) (i32.const 1) (i32.const 1)))",
        "(table 1 funcref) (elem func 0) (func (elem.drop 0))",
        "(memory 1) (data \"x\") (func (data.drop 0))",
        "(memory 1) (data \"x\") (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1)))",
        "(import \"env\" \"g\" (global (mut i32)))",
    ];
    for body in cases {
        let wasm = wat::parse_str(format!("(module {body} (func (export \"x\")))")).unwrap();
        assert!(!prepare(&wasm).reusable, "{body}");
    }
    // An immutable imported global is fine.
    let wasm = wat::parse_str("(module (import \"env\" \"g\" (global i32)) (func (export \"x\")))")
        .unwrap();
    assert!(prepare(&wasm).reusable);
}

#[test]
fn unreadable_modules_are_left_for_the_compiler_to_reject() {
    for garbage in [&b""[..], b"\0asm\x01\0\0\0\x07\xff", b"not wasm at all"] {
        let prepared = prepare(garbage);
        assert_eq!(prepared.wasm, garbage);
        assert!(!prepared.reusable);
    }
}

#[test]
fn an_export_count_that_would_overflow_is_left_alone() {
    // One mutable global and an export section claiming u32::MAX entries.
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend([6, 6, 1, 0x7f, 1, 0x41, 0, 0x0b]);
    wasm.extend([7, 5, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    let prepared = prepare(&wasm);
    assert_eq!(prepared.wasm, wasm);
    assert!(!prepared.reusable);
}

#[test]
fn leb128_round_trips() {
    for value in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
        let bytes = leb(value);
        assert_eq!(read_u32(&bytes), Some((value, bytes.len())));
    }
    assert_eq!(read_u32(&[0x80, 0x80]), None);
}

#[test]
fn a_finished_run_leaves_a_reset_instance_for_the_next_call() {
    let programs = Programs::new();
    let code = stylus_check::deployable_code(&wat::parse_str(PROGRAM).unwrap());
    let hash = B256::repeat_byte(7);
    let compiled = programs.compiled(hash, &code).unwrap();
    assert!(compiled.take().is_none());

    let run = Run::new(&programs, hash, &code, CallEnv::default()).unwrap();
    drop(run);
    let mut loaded = compiled.take().expect("the instance came back");
    assert!(compiled.take().is_none());

    // Dirty it as a run would, then release it: it comes back pristine.
    let memory = loaded.memory().unwrap();
    memory.data_mut(&mut loaded.store)[64] = 0;
    for global in &loaded.globals {
        let value = match global.get(&loaded.store) {
            Val::I32(_) => Val::I32(99),
            other => other,
        };
        global.set(&mut loaded.store, value).unwrap();
    }
    compiled.release(loaded);
    let loaded = compiled.take().unwrap();
    assert_eq!(memory.data(&loaded.store)[64], 0x2a);
    let values: Vec<_> = loaded.globals.iter().map(|g| g.get(&loaded.store).i64()).collect();
    assert!(values.contains(&Some(5)), "{values:?}");
    let calls: Vec<_> = loaded.globals.iter().filter_map(|g| g.get(&loaded.store).i32()).collect();
    assert_eq!(calls, [0]);
}

#[test]
fn an_instance_whose_memory_grew_is_dropped() {
    let programs = Programs::new();
    let code = stylus_check::deployable_code(&wat::parse_str(PROGRAM).unwrap());
    let hash = B256::repeat_byte(8);
    drop(Run::new(&programs, hash, &code, CallEnv::default()).unwrap());
    let compiled = programs.compiled(hash, &code).unwrap();
    let mut loaded = compiled.take().unwrap();
    loaded.memory().unwrap().grow(&mut loaded.store, 1).unwrap();
    compiled.release(loaded);
    assert!(compiled.take().is_none());
}

#[test]
fn the_pool_keeps_a_bounded_number_of_instances() {
    let programs = Programs::new();
    let code = stylus_check::deployable_code(&wat::parse_str(PROGRAM).unwrap());
    let hash = B256::repeat_byte(9);
    let runs: Vec<_> = (0..POOL_SIZE + 3)
        .map(|_| Run::new(&programs, hash, &code, CallEnv::default()).unwrap())
        .collect();
    drop(runs);
    let compiled = programs.compiled(hash, &code).unwrap();
    let mut kept = 0;
    while compiled.take().is_some() {
        kept += 1;
    }
    assert_eq!(kept, POOL_SIZE);
}
