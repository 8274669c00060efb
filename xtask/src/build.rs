//! `cargo xtask wasm`: build, optimise, check and stage every contract.

use std::{fs, path::PathBuf, process::Command};

use anyhow::{bail, Context, Result};
use stylus_check::{check_program, deployable_code, Report};

use crate::{
    native_keccak,
    report::{self, Row},
    toolchain::{self, Toolchain, TARGET},
    workspace::{Contract, Workspace},
};

/// Options of `cargo xtask wasm`.
pub(crate) struct Options {
    /// Contracts to build (all when empty).
    pub(crate) contracts: Vec<String>,
    /// Skip `wasm-opt` even when it is installed.
    pub(crate) no_opt: bool,
    /// Never run apt-get.
    pub(crate) no_install: bool,
}

/// Builds, checks and stages the selected contracts; returns whether all pass.
pub(crate) fn run(ws: &Workspace, options: &Options) -> Result<bool> {
    let contracts = ws.select(&options.contracts)?;
    if contracts.is_empty() {
        bail!("the workspace has no contracts (cdylib crates with an `export-abi` feature)");
    }
    let toolchain = toolchain::ensure(!options.no_install)?;
    let wasm_opt = if options.no_opt { None } else { toolchain::find_program("wasm-opt") };
    if wasm_opt.is_none() && !options.no_opt {
        eprintln!("note: wasm-opt (binaryen) not found; modules are not post-optimised");
    }
    let out_dir = ws.stylus_dir();
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;

    let modules = build(ws, &toolchain, &contracts)?;
    let mut rows = Vec::new();
    for (contract, built) in contracts.into_iter().zip(modules) {
        let wasm = fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
        let mut report = check_program(&wasm);
        let mut wasm = wasm;
        if let Some(wasm_opt) = &wasm_opt {
            if let Some(smaller) = optimize(wasm_opt, &built, &report)? {
                (wasm, report) = smaller;
            }
        }
        let file = out_dir.join(format!("{}.wasm", contract.name));
        fs::write(&file, &wasm).with_context(|| format!("writing {}", file.display()))?;
        let code = out_dir.join(format!("{}.code", contract.name));
        fs::write(&code, deployable_code(&wasm))
            .with_context(|| format!("writing {}", code.display()))?;
        rows.push(Row::new(&contract.name, &ws.display(&file), report));
    }

    report::print_table(&rows);
    let json = out_dir.join("report.json");
    let order: Vec<&str> = ws.contracts.iter().map(|c| c.name.as_str()).collect();
    report::write_json(&json, &rows, &order)?;
    eprintln!("wrote {} and the modules beside it", ws.display(&json));
    Ok(rows.iter().all(|row| row.report.is_ok()))
}

/// Builds the contracts in one cargo run (never with the test crate, so
/// motsu's `stylus-test` feature cannot reach them) and returns their modules'
/// paths, in order. They share one feature resolution, which is what keeps
/// the shared dependencies compiled once; no contract turns on a feature the
/// others must not have (`reentrant` would be one).
fn build(ws: &Workspace, toolchain: &Toolchain, contracts: &[&Contract]) -> Result<Vec<PathBuf>> {
    let target_dir = ws.wasm_target_dir();
    let patch = native_keccak::prepare(ws)?;
    let mut cargo = toolchain.cargo();
    cargo
        .current_dir(&ws.root)
        .args(["build", "--release", "--lib", "--target", TARGET])
        .args(["-Z", "build-std=std,panic_abort"]);
    for contract in contracts {
        cargo.args(["-p", &contract.name]);
    }
    cargo.arg("--target-dir").arg(&target_dir);
    if let Some(patch) = &patch {
        cargo.args(&patch.args);
    }
    eprintln!("building with: {} {}", toolchain.describe(), args_of(&cargo));
    let status = cargo.status().context("running the WASM cargo")?;
    if !status.success() {
        bail!("building the contracts for {TARGET} failed ({status})");
    }
    contracts
        .iter()
        .map(|contract| {
            let wasm =
                target_dir.join(TARGET).join("release").join(format!("{}.wasm", contract.lib_name));
            if wasm.is_file() {
                Ok(wasm)
            } else {
                bail!("the build of {} produced no {}", contract.name, wasm.display())
            }
        })
        .collect()
}

/// A command's arguments, space-separated, for the log.
fn args_of(cmd: &Command) -> String {
    cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
}

/// Runs `wasm-opt -Oz` twice on `input` (the second pass finds ~1.4 % more
/// on the bridge, measured); returns the result and its report when it is
/// smaller and breaks no rule the original keeps.
fn optimize(
    wasm_opt: &PathBuf,
    input: &PathBuf,
    original: &Report,
) -> Result<Option<(Vec<u8>, Report)>> {
    let output = input.with_extension("opt.wasm");
    let result = Command::new(wasm_opt)
        .args(["-Oz", "-Oz", "--enable-bulk-memory"])
        .arg(input)
        .arg("-o")
        .arg(&output)
        .output()
        .context("running wasm-opt")?;
    if !result.status.success() {
        eprintln!(
            "warning: wasm-opt failed, keeping the unoptimised module:\n{}",
            String::from_utf8_lossy(&result.stderr)
        );
        return Ok(None);
    }
    let wasm = fs::read(&output).with_context(|| format!("reading {}", output.display()))?;
    let report = check_program(&wasm);
    let smaller = report.compressed_size < original.compressed_size;
    let rule = std::mem::discriminant::<stylus_check::Violation>;
    let no_worse =
        report.violations.iter().all(|v| original.violations.iter().any(|o| rule(o) == rule(v)));
    if !no_worse {
        eprintln!("warning: wasm-opt's output breaks Stylus rules the original keeps; ignoring it");
    }
    eprintln!(
        "wasm-opt -Oz -Oz: {} -> {} bytes compressed{}",
        original.compressed_size,
        report.compressed_size,
        if smaller && no_worse { "" } else { " (keeping the original)" }
    );
    Ok((smaller && no_worse).then_some((wasm, report)))
}
