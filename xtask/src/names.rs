//! Names the ABI would otherwise lose: the outputs of functions that return
//! several values, and the parameters of the contracts' errors.
//!
//! stylus-sdk 0.9 prints a tuple return as bare types (`returns (uint256,
//! uint64)`), so clients would read fields by position and a reordering in
//! the contract would silently change what they read. The names come from
//! the contract's own source, at no cost in contract bytes: the doc comment
//! of every public function that returns two or more values carries a line
//!
//! ```text
//! /// Returns: principal, withdrawable, credits, unlockAt, beneficiary
//! ```
//!
//! with one Solidity-style name per value, in order. [`name_outputs`]
//! writes them into the printed interface (and so into the JSON ABI, the
//! Rust bindings and the TypeScript ABIs); a function with several outputs
//! and no such line, a count that differs from the function's outputs, or a
//! line on a function the interface does not have, is an error.
//!
//! stylus-sdk also prints errors with bare types (`error StillLocked(uint64,
//! uint64);`); [`name_errors`] takes the parameter names from the `sol!`
//! declarations in the sources (`error StillLocked(uint64 unlockAt, uint64
//! now);`), so bindings and clients get `unlockAt` instead of `_0`. Errors
//! the sources do not declare (`OpenZeppelin`'s) keep bare types.
//!
//! And function parameters are printed with their Rust names
//! (`lock_seconds`); [`camel_params`] gives them the `lowerCamelCase` names
//! Solidity interfaces use (`lockSeconds`), as the SDK already does for the
//! function names themselves.

use std::{collections::BTreeMap, fmt, fs, path::Path};

/// The doc-comment marker that introduces the output names.
const MARKER: &str = "/// Returns:";

/// Output names by Solidity function name, as declared in a source.
pub(crate) type Names = BTreeMap<String, Vec<String>>;

/// Why the outputs of an interface could not be named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Error {
    /// A `Returns:` line that no `pub fn` follows.
    Dangling { line: String },
    /// Two functions of one name declare different names.
    Conflicting { function: String },
    /// A name is not a Solidity identifier.
    BadName { function: String, name: String },
    /// A function returns several values and declares no names.
    Unnamed { function: String, outputs: usize },
    /// The names do not match the function's outputs in number.
    Count { function: String, names: usize, outputs: usize },
    /// Names for a function the interface does not declare.
    Unknown { function: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dangling { line } => write!(f, "`{line}` is not followed by a `pub fn`"),
            Self::Conflicting { function } => {
                write!(f, "`{function}` is declared twice with different output names")
            }
            Self::BadName { function, name } => {
                write!(f, "`{function}`: `{name}` is not a Solidity identifier")
            }
            Self::Unnamed { function, outputs } => write!(
                f,
                "`{function}` returns {outputs} values but its doc comment has no `{MARKER} a, b, ..` line"
            ),
            Self::Count { function, names, outputs } => {
                write!(f, "`{function}` names {names} outputs but returns {outputs}")
            }
            Self::Unknown { function } => {
                write!(f, "output names for `{function}`, which the interface does not declare")
            }
        }
    }
}

impl std::error::Error for Error {}

/// `snake_case` as stylus-sdk exports it (`lowerCamelCase`).
pub(crate) fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The output names declared in one Rust source.
///
/// A `Returns:` line belongs to the next `pub fn`; a `#[selector(name =
/// "..")]` between them renames the function as the SDK does.
pub(crate) fn declared(source: &str) -> Result<Names, Error> {
    let mut names = Names::new();
    let mut pending: Option<(String, Vec<String>)> = None;
    let mut selector: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if let Some(list) = line.strip_prefix(MARKER) {
            let list = list.trim().trim_end_matches('.');
            let parsed = list.split(',').map(|n| n.trim().to_owned()).collect();
            pending = Some((line.to_owned(), parsed));
            continue;
        }
        if let Some(rest) = line.strip_prefix("#[selector(name = \"") {
            selector = rest.split('"').next().map(str::to_owned);
            continue;
        }
        let Some(rest) = line.strip_prefix("pub fn ") else {
            if !(line.starts_with("///") || line.starts_with("#[")) {
                if let Some((line, _)) = pending.take() {
                    return Err(Error::Dangling { line });
                }
                selector = None;
            }
            continue;
        };
        let function = match selector.take() {
            Some(name) => name,
            None => camel(rest.split(['(', '<']).next().unwrap_or_default()),
        };
        let Some((_, list)) = pending.take() else { continue };
        if let Some(name) = list.iter().find(|n| !is_identifier(n)) {
            return Err(Error::BadName { function, name: name.clone() });
        }
        if names.get(&function).is_some_and(|known| *known != list) {
            return Err(Error::Conflicting { function });
        }
        names.insert(function, list);
    }
    match pending {
        Some((line, _)) => Err(Error::Dangling { line }),
        None => Ok(names),
    }
}

/// Every `.rs` file under `dir`, in path order, with its text.
pub(crate) fn rust_sources(dir: &Path) -> anyhow::Result<Vec<(std::path::PathBuf, String)>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_sources(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path)?;
            files.push((path, text));
        }
    }
    Ok(files)
}

/// The output names declared in every `.rs` file under `dir`.
///
/// # Errors
/// An unreadable file, or what [`declared`] refuses (with the file named).
pub(crate) fn declared_in(dir: &Path) -> anyhow::Result<Names> {
    let mut names = Names::new();
    for (path, source) in rust_sources(dir)? {
        let found = declared(&source).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        names.extend(found);
    }
    Ok(names)
}

/// Typed parameters of errors, by error name: `(type, name)` pairs.
pub(crate) type ErrorParams = BTreeMap<String, Vec<(String, String)>>;

/// The `error Name(type name, ..);` declarations in `source` (a Rust file's
/// `sol!` blocks), one wrapped over several lines included.
pub(crate) fn error_params(source: &str) -> ErrorParams {
    let mut found = ErrorParams::new();
    let mut lines = source.lines().map(|l| l.split("//").next().unwrap_or_default().trim());
    while let Some(line) = lines.next() {
        if !line.starts_with("error ") {
            continue;
        }
        let mut decl = line.to_owned();
        while !decl.ends_with(';') {
            let Some(next) = lines.next() else { break };
            decl.push(' ');
            decl.push_str(next);
        }
        let Some((name, rest)) = decl["error ".len()..].split_once('(') else { continue };
        let Some(list) = rest.trim_end_matches(';').trim_end().strip_suffix(')') else { continue };
        let params: Option<Vec<_>> = top_level(list)
            .into_iter()
            .map(|p| p.rsplit_once(' ').map(|(ty, n)| (ty.trim().to_owned(), n.to_owned())))
            .collect();
        if let Some(params) = params {
            found.insert(name.trim().to_owned(), params);
        }
    }
    found
}

/// [`error_params`] of every `.rs` file under each of `dirs`.
///
/// # Errors
/// An unreadable folder or file.
pub(crate) fn error_params_in(dirs: &[&Path]) -> anyhow::Result<ErrorParams> {
    let mut params = ErrorParams::new();
    for dir in dirs {
        for (_, source) in rust_sources(dir)? {
            params.extend(error_params(&source));
        }
    }
    Ok(params)
}

/// `interface` with the parameters of its errors named from `params`, where
/// the declared types match the printed ones.
pub(crate) fn name_errors(interface: &str, params: &ErrorParams) -> String {
    let mut out = String::with_capacity(interface.len() + 1024);
    for line in interface.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let named = trimmed.strip_prefix("error ").and_then(|rest| {
            let (name, list) = rest.split_once('(')?;
            let list = list.trim_end().strip_suffix(");")?;
            let declared = params.get(name)?;
            let types = top_level(list);
            let matches = types.len() == declared.len()
                && types.iter().zip(declared).all(|(t, (d, _))| t == d);
            (matches && !types.is_empty()).then(|| {
                let params: Vec<String> =
                    declared.iter().map(|(ty, n)| format!("{ty} {n}")).collect();
                let indent = &line[..line.len() - trimmed.len()];
                let end = if line.ends_with('\n') { "\n" } else { "" };
                format!("{indent}error {name}({});{end}", params.join(", "))
            })
        });
        out.push_str(named.as_deref().unwrap_or(line));
    }
    out
}

/// The `returns (...)` list of a one-line function declaration: the text
/// between the parentheses and where it starts.
fn returns_of(line: &str) -> Option<(usize, &str)> {
    let start = line.find("returns (")? + "returns (".len();
    let end = start + line[start..].rfind(')')?;
    Some((start, &line[start..end]))
}

/// Splits a parameter list at its top-level commas.
fn top_level(list: &str) -> Vec<&str> {
    let (mut depth, mut from, mut parts) = (0usize, 0, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(list[from..i].trim());
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(list[from..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// `interface` with the outputs of its multi-value functions named from
/// `names`.
///
/// # Errors
/// [`Error::Unnamed`], [`Error::Count`], [`Error::Unknown`].
pub(crate) fn name_outputs(interface: &str, names: &Names) -> Result<String, Error> {
    let mut used = Vec::new();
    let mut out = String::with_capacity(interface.len() + 256);
    for line in interface.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let function = trimmed
            .strip_prefix("function ")
            .and_then(|rest| rest.split('(').next())
            .map(str::to_owned);
        let (Some(function), Some((start, list))) = (function, returns_of(line)) else {
            out.push_str(line);
            continue;
        };
        let outputs = top_level(list);
        let declared = names.get(&function);
        if outputs.len() < 2 && declared.is_none() {
            out.push_str(line);
            continue;
        }
        let Some(declared) = declared else {
            return Err(Error::Unnamed { function, outputs: outputs.len() });
        };
        if declared.len() != outputs.len() {
            return Err(Error::Count { function, names: declared.len(), outputs: outputs.len() });
        }
        let typed: Vec<String> =
            outputs.iter().zip(declared).map(|(ty, name)| format!("{ty} {name}")).collect();
        out.push_str(&line[..start]);
        out.push_str(&typed.join(", "));
        out.push_str(&line[start + list.len()..]);
        used.push(function);
    }
    if let Some(function) = names.keys().find(|f| !used.contains(f)) {
        return Err(Error::Unknown { function: function.clone() });
    }
    Ok(out)
}

/// `interface` with the parameter names of its functions (and constructor)
/// in `lowerCamelCase`.
pub(crate) fn camel_params(interface: &str) -> String {
    let mut out = String::with_capacity(interface.len());
    for line in interface.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let declaration =
            trimmed.strip_prefix("function ").or_else(|| trimmed.strip_prefix("constructor"));
        let renamed = declaration.and_then(|rest| {
            let open = line.len() - rest.len() + rest.find('(')? + 1;
            let close = open + top_level_end(&line[open..])?;
            let params: Vec<String> = top_level(&line[open..close])
                .into_iter()
                .map(|param| match param.rsplit_once(' ') {
                    Some((ty, name)) => format!("{ty} {}", camel(name)),
                    None => param.to_owned(),
                })
                .collect();
            Some(format!("{}{}{}", &line[..open], params.join(", "), &line[close..]))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
    }
    out
}

/// Where the parenthesis opened just before `text` closes.
fn top_level_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
    /// `member`'s position.
    ///
    /// Returns: principal, withdrawable, unlockAt.
    ///
    /// # Errors
    /// None.
    pub fn position_of(&self, member: Address) -> Result<(U256, U256, u64), Error> {
        todo!()
    }

    /// Returns: chainId, tokenContract, tokenId
    #[selector(name = "token")]
    pub fn token_of(&self) -> (U256, Address, U256) {
        todo!()
    }
"#;

    const INTERFACE: &str = "interface IX {
    function positionOf(address member) external view returns (uint256, uint256, uint64);

    function token() external view returns (uint256, address, uint256);

    function name() external view returns (string memory);
}
";

    fn names() -> Names {
        declared(SOURCE).unwrap()
    }

    #[test]
    fn names_come_from_doc_lines_in_order() {
        let names = names();
        assert_eq!(names["positionOf"], ["principal", "withdrawable", "unlockAt"]);
        assert_eq!(names["token"], ["chainId", "tokenContract", "tokenId"]);
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn the_interface_gets_the_names() {
        let named = name_outputs(INTERFACE, &names()).unwrap();
        assert!(
            named.contains("returns (uint256 principal, uint256 withdrawable, uint64 unlockAt);")
        );
        assert!(
            named.contains("returns (uint256 chainId, address tokenContract, uint256 tokenId);")
        );
        assert!(named.contains("function name() external view returns (string memory);"));
        let abi = crate::solidity::json_abi(&named, None).unwrap();
        let outputs: Vec<_> =
            abi.function("positionOf").unwrap()[0].outputs.iter().map(|p| p.name.clone()).collect();
        assert_eq!(outputs, ["principal", "withdrawable", "unlockAt"]);
    }

    #[test]
    fn a_multi_value_function_without_names_is_refused() {
        let mut names = names();
        names.remove("token");
        assert_eq!(
            name_outputs(INTERFACE, &names),
            Err(Error::Unnamed { function: "token".into(), outputs: 3 })
        );
    }

    #[test]
    fn a_count_that_differs_from_the_outputs_is_refused() {
        let source = SOURCE.replace("withdrawable, unlockAt", "unlockAt");
        assert_eq!(
            name_outputs(INTERFACE, &declared(&source).unwrap()),
            Err(Error::Count { function: "positionOf".into(), names: 2, outputs: 3 })
        );
    }

    #[test]
    fn names_for_a_missing_function_are_refused() {
        let mut names = names();
        names.insert("gone".into(), vec!["a".into(), "b".into()]);
        assert_eq!(
            name_outputs(INTERFACE, &names),
            Err(Error::Unknown { function: "gone".into() })
        );
    }

    #[test]
    fn a_dangling_or_malformed_line_is_refused() {
        assert!(matches!(
            declared("/// Returns: a, b\nfn private() {}\n"),
            Err(Error::Dangling { .. })
        ));
        assert!(matches!(declared("/// Returns: a, b\n"), Err(Error::Dangling { .. })));
        assert_eq!(
            declared("/// Returns: a, two words\npub fn f() {}\n"),
            Err(Error::BadName { function: "f".into(), name: "two words".into() })
        );
    }

    #[test]
    fn error_parameters_get_the_names_the_sources_declare() {
        let source = "sol! {\n    /// Too early.\n    error StillLocked(uint64 unlockAt, uint64 now);\n    error Wrapped(\n        address who, // the caller\n        uint256 amount\n    );\n    error None();\n}\n";
        let params = error_params(source);
        assert_eq!(
            params["StillLocked"],
            [("uint64".into(), "unlockAt".into()), ("uint64".into(), "now".into())]
        );
        assert_eq!(params["Wrapped"].len(), 2);
        let printed = "interface I {\n    error StillLocked(uint64, uint64);\n\n    error Wrapped(address, uint256);\n    error Other(uint256, uint256);\n    error None();\n    error Wrapped2(uint8);\n}\n";
        let named = name_errors(printed, &params);
        assert!(named.contains("    error StillLocked(uint64 unlockAt, uint64 now);\n"));
        assert!(named.contains("    error Wrapped(address who, uint256 amount);\n"));
        assert!(named.contains("    error Other(uint256, uint256);\n"), "undeclared: unchanged");
        assert!(named.contains("    error None();\n"));
        let abi = crate::solidity::json_abi(&named, None).unwrap();
        let inputs: Vec<_> =
            abi.errors["StillLocked"][0].inputs.iter().map(|p| p.name.clone()).collect();
        assert_eq!(inputs, ["unlockAt", "now"]);
    }

    #[test]
    fn an_error_declared_with_other_types_keeps_bare_types() {
        let params = error_params("error Late(uint256 at);\n");
        assert_eq!(name_errors("    error Late(uint64);\n", &params), "    error Late(uint64);\n");
    }

    #[test]
    fn parameters_are_named_in_lower_camel_case() {
        let printed = "    function park(address nft, uint256 token_id, address[] memory guardians, (address,uint256,bytes,uint8)[] memory operations) external;\n    function lock(uint256 until) external;\n    error E(uint64 x_y);\n";
        assert_eq!(
            camel_params(printed),
            "    function park(address nft, uint256 tokenId, address[] memory guardians, (address,uint256,bytes,uint8)[] memory operations) external;\n    function lock(uint256 until) external;\n    error E(uint64 x_y);\n"
        );
        assert_eq!(
            camel_params("constructor(address asset_address, uint64 delay)"),
            "constructor(address assetAddress, uint64 delay)"
        );
    }

    #[test]
    fn nested_tuples_count_as_one_output() {
        assert_eq!(
            top_level("uint256, (address, bool), bytes32"),
            ["uint256", "(address, bool)", "bytes32"]
        );
        assert_eq!(camel("lease_of"), "leaseOf");
        assert_eq!(camel("total_escrowed_v2"), "totalEscrowedV2");
    }
}
