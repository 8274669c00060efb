//! One pass over a module's sections collecting structural violations:
//! floats, imports and the required exports.

use wasmparser::{ExternalKind, FuncType, Parser, Payload, TypeRef, ValType};

use super::floats::{is_float_operator, is_float_type};
use super::{Violation, ENTRYPOINT, HOST_MODULE, MEMORY_EXPORT, MEMORY_GROW_HOOK};

/// What the scan remembers between sections.
#[derive(Default)]
struct Module {
    /// Function types by type index.
    types: Vec<FuncType>,
    /// Type index of every function, imports first.
    functions: Vec<u32>,
    imported_functions: u32,
    /// Whether `vm_hooks.pay_for_memory_grow` is imported.
    memory_grow_hook: bool,
    exports: Vec<(String, ExternalKind, u32)>,
    globals: u64,
    codes: u32,
}

/// Renders a function type as `(i32, i64) -> (i32)`.
fn signature(ty: &FuncType) -> String {
    let list =
        |types: &[ValType]| types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let results = match ty.results() {
        [] => "()".to_owned(),
        [one] => one.to_string(),
        many => format!("({})", list(many)),
    };
    format!("({}) -> {results}", list(ty.params()))
}

/// Scans `wasm`, appending violations to `out`. Returns the parse error, if
/// any (violations found before it stay in `out`).
pub(super) fn scan(wasm: &[u8], out: &mut Vec<Violation>) -> wasmparser::Result<()> {
    let mut m = Module::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    if ty.params().iter().chain(ty.results()).any(|t| is_float_type(*t)) {
                        let location = format!("type {} {}", m.types.len(), signature(&ty));
                        out.push(Violation::FloatType { location });
                    }
                    m.types.push(ty);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    scan_import(&mut m, &import?, out);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    m.functions.push(ty?);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    if is_float_type(global?.ty.content_type) {
                        out.push(Violation::FloatType {
                            location: format!("global {}", m.globals),
                        });
                    }
                    m.globals += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    m.exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            Payload::CodeSectionEntry(body) => {
                let index = m.imported_functions.saturating_add(m.codes);
                m.codes = m.codes.saturating_add(1);
                scan_body(index, &body, out)?;
            }
            _ => {}
        }
    }
    finish(&m, out);
    Ok(())
}

fn scan_import(m: &mut Module, import: &wasmparser::Import<'_>, out: &mut Vec<Violation>) {
    if import.module != HOST_MODULE {
        out.push(Violation::ForeignImport {
            module: import.module.to_owned(),
            name: import.name.to_owned(),
        });
    }
    match import.ty {
        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
            m.functions.push(ty);
            m.imported_functions += 1;
            if import.module == HOST_MODULE && import.name == MEMORY_GROW_HOOK {
                m.memory_grow_hook = true;
            }
        }
        TypeRef::Global(global) if is_float_type(global.content_type) => {
            let location = format!("imported global {}.{}", import.module, import.name);
            out.push(Violation::FloatType { location });
        }
        _ => {}
    }
}

fn scan_body(
    index: u32,
    body: &wasmparser::FunctionBody<'_>,
    out: &mut Vec<Violation>,
) -> wasmparser::Result<()> {
    let mut float_local = false;
    for entry in body.get_locals_reader()? {
        let (_, ty) = entry?;
        float_local |= is_float_type(ty);
    }
    if float_local {
        out.push(Violation::FloatType { location: format!("locals of function {index}") });
    }

    let mut float_op = None;
    for item in body.get_operators_reader()?.into_iter_with_offsets() {
        let (op, offset) = item?;
        if float_op.is_none() && is_float_operator(&op) {
            float_op = Some((format!("{op:?}"), offset));
        }
    }
    // One report per function keeps the list readable.
    if let Some((operator, offset)) = float_op {
        out.push(Violation::FloatInstruction { function: index, offset, operator });
    }
    Ok(())
}

fn kind_name(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => "function",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

/// Looks up a required export, reporting it when absent or of the wrong kind.
fn expect_export(
    m: &Module,
    name: &str,
    kind: ExternalKind,
    out: &mut Vec<Violation>,
) -> Option<u32> {
    match m.exports.iter().find(|(n, ..)| n == name) {
        None => {
            out.push(Violation::MissingExport { name: name.to_owned() });
            None
        }
        Some((_, found, _)) if kind_name(*found) != kind_name(kind) => {
            out.push(Violation::WrongExportKind {
                name: name.to_owned(),
                expected: kind_name(kind).to_owned(),
                found: kind_name(*found).to_owned(),
            });
            None
        }
        Some((.., index)) => Some(*index),
    }
}

fn func_type(m: &Module, function: u32) -> Option<&FuncType> {
    let ty = *m.functions.get(usize::try_from(function).ok()?)?;
    m.types.get(usize::try_from(ty).ok()?)
}

/// Rules that need the whole module: the required import and exports.
fn finish(m: &Module, out: &mut Vec<Violation>) {
    if !m.memory_grow_hook {
        out.push(Violation::MissingMemoryGrowHook);
    }

    if let Some(index) = expect_export(m, ENTRYPOINT, ExternalKind::Func, out) {
        match func_type(m, index) {
            Some(ty) if ty.params() == [ValType::I32] && ty.results() == [ValType::I32] => {}
            ty => out.push(Violation::WrongEntrypointType {
                found: ty.map_or_else(|| "unknown".to_owned(), signature),
            }),
        }
    }
    expect_export(m, MEMORY_EXPORT, ExternalKind::Memory, out);
}
