//! One pass over a module's sections collecting structural violations.

use std::collections::HashSet;

use wasmparser::{ElementItems, ExternalKind, FuncType, Parser, Payload, TypeRef, ValType};

use super::floats::{is_float_operator, is_float_type};
use super::{
    Violation, ENTRYPOINT, HOST_MODULE, MAX_INITIAL_PAGES, MEMORY_EXPORT, MEMORY_GROW_HOOK,
};

/// Anti-DoS limits from nitro's `parse_user` (not strictly part of the spec,
/// but activation fails beyond them).
mod limits {
    pub(super) const MEMORIES: u64 = 1;
    pub(super) const DATAS: u64 = 128;
    pub(super) const ELEMENTS: u64 = 128;
    pub(super) const EXPORTS: u64 = 1024;
    pub(super) const FUNCTIONS: u64 = 4096;
    pub(super) const GLOBALS: u64 = 32_768;
    pub(super) const LOCALS: u64 = 348;
    pub(super) const OPCODES: u64 = 65_536;
    pub(super) const TABLE_ENTRIES: u64 = 4096;
    pub(super) const ELEMENT_ENTRIES: u64 = 4096;
}

/// What the scan remembers between sections.
#[derive(Default)]
struct Module {
    /// Function types by type index.
    types: Vec<FuncType>,
    /// Type index of every function, imports first.
    functions: Vec<u32>,
    imported_functions: u32,
    import_names: HashSet<String>,
    memory_grow_type: Option<u32>,
    exports: Vec<(String, ExternalKind, u32)>,
    memories: u64,
    datas: u64,
    elements: u64,
    element_entries: u64,
    globals: u64,
    table_entries: u64,
    codes: u64,
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

fn too_many(out: &mut Vec<Violation>, what: &str, count: u64, limit: u64) {
    if count > limit {
        out.push(Violation::TooMany { what: what.to_owned(), count, limit });
    }
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
            Payload::TableSection(reader) => {
                for table in reader {
                    m.table_entries += table?.ty.initial;
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    m.memories += 1;
                    if memory.initial > MAX_INITIAL_PAGES {
                        out.push(Violation::InitialMemoryTooLarge {
                            pages: memory.initial,
                            limit: MAX_INITIAL_PAGES,
                        });
                    }
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
            Payload::StartSection { .. } => out.push(Violation::StartFunction),
            Payload::ElementSection(reader) => {
                for element in reader {
                    m.elements += 1;
                    m.element_entries += u64::from(match element?.items {
                        ElementItems::Functions(items) => items.count(),
                        ElementItems::Expressions(_, items) => items.count(),
                    });
                }
            }
            Payload::DataSection(reader) => m.datas += u64::from(reader.count()),
            Payload::CodeSectionEntry(body) => {
                let index = m.imported_functions + u32::try_from(m.codes).unwrap_or(u32::MAX);
                m.codes += 1;
                scan_body(index, &body, out)?;
            }
            _ => {}
        }
    }
    finish(&m, out);
    Ok(())
}

fn scan_import(m: &mut Module, import: &wasmparser::Import<'_>, out: &mut Vec<Violation>) {
    let (module, name) = (import.module.to_owned(), import.name.to_owned());
    m.import_names.insert(name.clone());
    if import.module != HOST_MODULE {
        out.push(Violation::ForeignImport { module: module.clone(), name: name.clone() });
    }
    let kind = match import.ty {
        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
            m.functions.push(ty);
            m.imported_functions += 1;
            if import.module == HOST_MODULE && import.name == MEMORY_GROW_HOOK {
                m.memory_grow_type = Some(ty);
            }
            return;
        }
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(global) => {
            if is_float_type(global.content_type) {
                let location = format!("imported global {module}.{name}");
                out.push(Violation::FloatType { location });
            }
            "global"
        }
        TypeRef::Tag(_) => "tag",
    };
    out.push(Violation::NonFunctionImport { module, name, kind: kind.to_owned() });
}

fn scan_body(
    index: u32,
    body: &wasmparser::FunctionBody<'_>,
    out: &mut Vec<Violation>,
) -> wasmparser::Result<()> {
    let mut locals = 0u64;
    let mut float_local = false;
    for entry in body.get_locals_reader()? {
        let (count, ty) = entry?;
        locals += u64::from(count);
        float_local |= is_float_type(ty);
    }
    if float_local {
        out.push(Violation::FloatType { location: format!("locals of function {index}") });
    }
    too_many(out, &format!("locals in function {index}"), locals, limits::LOCALS);

    let mut opcodes = 0u64;
    let mut float_op = None;
    for item in body.get_operators_reader()?.into_iter_with_offsets() {
        let (op, offset) = item?;
        opcodes += 1;
        if float_op.is_none() && is_float_operator(&op) {
            float_op = Some((format!("{op:?}"), offset));
        }
    }
    // One report per function keeps the list readable.
    if let Some((operator, offset)) = float_op {
        out.push(Violation::FloatInstruction { function: index, offset, operator });
    }
    too_many(out, &format!("opcodes in function {index}"), opcodes, limits::OPCODES);
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

/// Rules that need the whole module: imports, exports and counts.
fn finish(m: &Module, out: &mut Vec<Violation>) {
    match m.memory_grow_type.map(|ty| m.types.get(ty as usize)) {
        None => out.push(Violation::MissingMemoryGrowHook),
        Some(Some(ty)) if ty.params() == [ValType::I32] && ty.results().is_empty() => {}
        Some(ty) => out.push(Violation::WrongMemoryGrowHookType {
            found: ty.map_or_else(|| "an unknown type".to_owned(), signature),
        }),
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

    // nitro compares the part of each export name after the last `__`.
    for (name, ..) in &m.exports {
        let tail = name.rsplit("__").next().unwrap_or(name);
        if m.import_names.contains(tail) {
            out.push(Violation::ExportShadowsImport { name: name.clone() });
        }
    }

    too_many(out, "memories", m.memories, limits::MEMORIES);
    too_many(out, "data segments", m.datas, limits::DATAS);
    too_many(out, "element segments", m.elements, limits::ELEMENTS);
    too_many(out, "element entries", m.element_entries, limits::ELEMENT_ENTRIES);
    too_many(out, "exports", m.exports.len() as u64, limits::EXPORTS);
    too_many(out, "functions", m.codes, limits::FUNCTIONS);
    too_many(out, "globals", m.globals, limits::GLOBALS);
    too_many(out, "table entries", m.table_entries, limits::TABLE_ENTRIES);
}
