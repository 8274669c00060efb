//! The Solidity interface printed by stylus-sdk's `export-abi`, as a JSON ABI.
//!
//! stylus-sdk prints one `interface` per contract (plus one per `#[inherit]`ed
//! parent) in plain Solidity. No solc is needed to turn that into a JSON ABI:
//! every item is a human-readable signature that
//! [`alloy_json_abi::AbiItem::parse`] understands once comments are gone, the
//! whitespace is collapsed and struct names are replaced by their tuples.
//!
//! Supported: `interface`/`contract` blocks (their items are merged, as the
//! program exposes its parents' functions too), top-level items, `function`,
//! `event`, `error`, `constructor`, `fallback`, `receive`, `struct`
//! definitions, `pragma`/`import` lines (skipped). Struct parameters become
//! tuples; their field names and `internalType` are not kept, nor are names
//! inside tuples (alloy's human-readable parser takes types only there).

mod scan;
#[cfg(test)]
mod tests;

use core::fmt;
use std::collections::BTreeMap;

use alloy_json_abi::{AbiItem, JsonAbi};

/// Why an interface could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Error {
    /// Braces do not match, or text is left outside any statement.
    Syntax(String),
    /// A statement is not an ABI item alloy can parse.
    Item {
        /// The statement, whitespace collapsed and structs expanded.
        item: String,
        /// The parser's message.
        message: String,
    },
    /// A struct refers to itself, directly or through other structs.
    RecursiveStruct(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(message) => write!(f, "malformed Solidity interface: {message}"),
            Self::Item { item, message } => write!(f, "cannot parse `{item}`: {message}"),
            Self::RecursiveStruct(name) => write!(f, "struct {name} is recursive"),
        }
    }
}

impl std::error::Error for Error {}

/// Converts the Solidity printed by `export-abi` into a JSON ABI.
///
/// `constructor` is the signature printed by `export-abi constructor`
/// (e.g. `constructor(address owner) payable`), if the contract has one; it
/// is not part of the printed interface because interfaces cannot declare
/// constructors.
///
/// # Errors
///
/// [`Error`] when the text is not an interface of this shape.
pub(crate) fn json_abi(interface: &str, constructor: Option<&str>) -> Result<JsonAbi, Error> {
    let source = scan::Source::parse(interface)?;
    let mut abi = JsonAbi::new();
    let constructor = constructor.map(str::trim).filter(|c| !c.is_empty());
    for statement in source.items.iter().map(String::as_str).chain(constructor) {
        let item = expand_structs(&collapse(statement), &source.structs, 0)?;
        let parsed = AbiItem::parse(&item)
            .map_err(|e| Error::Item { item: item.clone(), message: e.to_string() })?;
        insert(&mut abi, parsed);
    }
    Ok(abi)
}

/// Adds `item` unless an identical item is already present (a parent's items
/// can be printed more than once).
fn insert(abi: &mut JsonAbi, item: AbiItem<'_>) {
    fn push<T: PartialEq>(list: &mut Vec<T>, item: T) {
        if !list.contains(&item) {
            list.push(item);
        }
    }
    match item {
        AbiItem::Constructor(c) => abi.constructor = Some(c.into_owned()),
        AbiItem::Fallback(f) => abi.fallback = Some(f.into_owned()),
        AbiItem::Receive(r) => abi.receive = Some(r.into_owned()),
        AbiItem::Function(f) => {
            let f = f.into_owned();
            push(abi.functions.entry(f.name.clone()).or_default(), f);
        }
        AbiItem::Event(e) => {
            let e = e.into_owned();
            push(abi.events.entry(e.name.clone()).or_default(), e);
        }
        AbiItem::Error(e) => {
            let e = e.into_owned();
            push(abi.errors.entry(e.name.clone()).or_default(), e);
        }
    }
}

/// Collapses every run of whitespace into one space (alloy's parser accepts
/// spaces, not newlines, between tokens) and drops data locations: they do
/// not change the ABI, and alloy rejects them inside tuples, where
/// stylus-sdk prints them (`(bytes calldata, uint256)`).
fn collapse(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| !matches!(*word, "calldata" | "memory" | "storage"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces every struct name used as a type by its tuple, recursively.
/// Names may be qualified (`IVault.Position`).
fn expand_structs(
    text: &str,
    structs: &BTreeMap<String, Vec<String>>,
    depth: usize,
) -> Result<String, Error> {
    if structs.is_empty() {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_ident_char) {
        out.push_str(&rest[..start]);
        let len =
            rest[start..].find(|c| !is_ident_char(c) && c != '.').unwrap_or(rest.len() - start);
        let word = &rest[start..start + len];
        let name = word.rsplit('.').next().unwrap_or(word);
        match structs.get(name) {
            Some(_) if depth > structs.len() => return Err(Error::RecursiveStruct(name.into())),
            Some(fields) => {
                // Tuple components are types only: drop the field names.
                let types: Vec<_> = fields.iter().map(|f| field_type(f)).collect();
                let fields = types.join(", ");
                out.push('(');
                out.push_str(&expand_structs(&fields, structs, depth + 1)?);
                out.push(')');
            }
            None => out.push_str(word),
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The type of a struct field `type name` (the words before the name).
fn field_type(field: &str) -> String {
    let words: Vec<_> = field.split_whitespace().collect();
    match words.as_slice() {
        [ty] => (*ty).to_owned(),
        [ty @ .., _name] => collapse(&ty.join(" ")),
        [] => String::new(),
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}
