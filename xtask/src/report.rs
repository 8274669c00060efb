//! The size/verdict table and its JSON twin (`target/stylus/report.json`).

use std::{fmt::Write, fs, path::Path};

use anyhow::{Context, Result};
use serde::Serialize;
use xtask::check::{Report, MAX_COMPRESSED_SIZE, MAX_RAW_SIZE};

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
struct Document<'a> {
    limits: Limits,
    contracts: &'a [Row],
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
pub(crate) fn write_json(path: &Path, rows: &[Row]) -> Result<()> {
    let document = Document {
        limits: Limits { compressed: MAX_COMPRESSED_SIZE, raw: MAX_RAW_SIZE },
        contracts: rows,
    };
    let mut json = serde_json::to_string_pretty(&document)?;
    json.push('\n');
    fs::write(path, json).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            violations: vec![xtask::check::Violation::MissingMemoryGrowHook],
        };
        let text = table(&[Row::new("vault", "target/stylus/vault.wasm", report)]);
        assert!(text.contains("vault"), "{text}");
        assert!(text.contains("12,288"), "{text}");
        assert!(text.contains("50.0%"), "{text}");
        assert!(text.contains("FAIL (1 violation(s))"), "{text}");
        assert!(text.contains("- `vm_hooks.pay_for_memory_grow` is not imported"), "{text}");
    }
}
