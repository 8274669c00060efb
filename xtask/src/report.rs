//! The size/verdict table and its JSON twin (`target/stylus/report.json`).

use std::{fmt::Write, fs, path::Path};

use anyhow::{Context, Result};
use serde::Serialize;
use stylus_check::{Report, MAX_COMPRESSED_SIZE, MAX_RAW_SIZE};

/// One checked module.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    /// Contract (or file) name.
    pub(crate) contract: String,
    /// The module, relative to the workspace root where possible.
    pub(crate) file: String,
    /// Compressed size as a percentage of the 24 KiB limit, one decimal.
    pub(crate) percent_of_limit: f64,
    /// Whether the module passes every rule.
    pub(crate) ok: bool,
    /// Sizes and violations.
    #[serde(flatten)]
    pub(crate) report: Report,
}

impl Row {
    /// A row for `report`.
    pub(crate) fn new(contract: &str, file: &str, report: Report) -> Self {
        Self {
            contract: contract.to_owned(),
            file: file.to_owned(),
            percent_of_limit: (report.percent_of_limit() * 10.0).round() / 10.0,
            ok: report.is_ok(),
            report,
        }
    }
}

#[derive(Serialize)]
struct Limits {
    compressed: usize,
    raw: usize,
}

#[derive(Serialize)]
struct Document {
    limits: Limits,
    contracts: Vec<serde_json::Value>,
}

/// `1234567` as `1,234,567`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The table as text, violations listed under their module.
pub(crate) fn table(rows: &[Row]) -> String {
    let width = rows.iter().map(|r| r.contract.len()).chain([8]).max().unwrap_or(8);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{:<width$}  {:>9}  {:>10}  {:>11}  verdict",
        "contract", "raw (B)", "brotli (B)", "% of 24 KiB"
    );
    for row in rows {
        let verdict = if row.ok {
            "ok".to_owned()
        } else {
            format!("FAIL ({} violation(s))", row.report.violations.len())
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:>10}  {:>10.1}%  {verdict}",
            row.contract,
            grouped(row.report.raw_size),
            grouped(row.report.compressed_size),
            row.percent_of_limit,
        );
        for violation in &row.report.violations {
            let _ = writeln!(out, "    - {violation}");
        }
    }
    let _ = writeln!(
        out,
        "limits: {} bytes compressed (brotli q11 w22), {} bytes raw",
        grouped(MAX_COMPRESSED_SIZE),
        grouped(MAX_RAW_SIZE)
    );
    out
}

/// Prints [`table`] to stdout.
pub(crate) fn print_table(rows: &[Row]) {
    print!("{}", table(rows));
}

/// Writes the rows as JSON to `path`.
/// Writes `rows` to `path`, keeping the entries of an existing report for
/// contracts that were not rebuilt (`cargo xtask wasm -c NAME` checks only
/// NAME, and the other modules beside the report are still there), in the
/// order of `order`.
pub(crate) fn write_json(path: &Path, rows: &[Row], order: &[&str]) -> Result<()> {
    let previous: Vec<serde_json::Value> = fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|doc| doc.get("contracts").and_then(|c| c.as_array()).cloned())
        .unwrap_or_default();
    let named = |entry: &serde_json::Value, name: &str| {
        entry.get("contract").and_then(serde_json::Value::as_str) == Some(name)
    };
    let mut contracts = Vec::new();
    for name in order {
        if let Some(row) = rows.iter().find(|r| r.contract == *name) {
            contracts.push(serde_json::to_value(row)?);
        } else if let Some(old) = previous.iter().find(|e| named(e, name)) {
            contracts.push(old.clone());
        }
    }
    let document = Document {
        limits: Limits { compressed: MAX_COMPRESSED_SIZE, raw: MAX_RAW_SIZE },
        contracts,
    };
    let mut json = serde_json::to_string_pretty(&document)?;
    json.push('\n');
    fs::write(path, json).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, compressed_size: usize) -> Row {
        let report = Report { raw_size: 3 * compressed_size, compressed_size, violations: vec![] };
        Row::new(name, &format!("target/stylus/{name}.wasm"), report)
    }

    fn sizes(path: &Path) -> Vec<(String, u64)> {
        let doc: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        doc["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (c["contract"].as_str().unwrap().to_owned(), c["compressed_size"].as_u64().unwrap())
            })
            .collect()
    }

    #[test]
    fn a_partial_build_updates_its_rows_and_keeps_the_others() {
        let dir = std::env::temp_dir().join(format!("xtask-report-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.json");
        let order = ["vault", "ledger", "bridge"];
        write_json(&path, &[row("vault", 100), row("ledger", 200), row("bridge", 300)], &order)
            .unwrap();
        write_json(&path, &[row("ledger", 250)], &order).unwrap();
        let expected = [("vault", 100), ("ledger", 250), ("bridge", 300)];
        assert_eq!(sizes(&path), expected.map(|(n, s)| (n.to_owned(), s)));
        // A contract that is gone from the workspace is dropped.
        write_json(&path, &[row("vault", 90)], &["vault", "bridge"]).unwrap();
        assert_eq!(sizes(&path), [("vault".to_owned(), 90), ("bridge".to_owned(), 300)]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(24_576), "24,576");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn table_lists_violations() {
        let report = Report {
            raw_size: 30_000,
            compressed_size: 12_288,
            violations: vec![stylus_check::Violation::MissingMemoryGrowHook],
        };
        let text = table(&[Row::new("vault", "target/stylus/vault.wasm", report)]);
        assert!(text.contains("vault"), "{text}");
        assert!(text.contains("12,288"), "{text}");
        assert!(text.contains("50.0%"), "{text}");
        assert!(text.contains("FAIL (1 violation(s))"), "{text}");
        assert!(text.contains("- `vm_hooks.pay_for_memory_grow` is not imported"), "{text}");
    }
}
