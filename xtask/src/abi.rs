//! `cargo xtask abi`: export every contract's Solidity interface and JSON ABI
//! to `abi/`, or check that the committed files are current.
//!
//! Each contract's binary calls stylus-sdk 0.9's `print_from_args()` under
//! the `export-abi` feature. Its command line is a clap parser with the
//! subcommands `abi [--license L] [--pragma P]` (also the default with no
//! arguments) and `constructor`; there is no `export-abi` argument. With the
//! feature on, openzeppelin-stylus 0.3 is built with std, so a plain host
//! build works (without it, OZ is `no_std` and a host build fails).
//!
//! All printers are built by one `cargo build` (one feature resolution, so
//! shared dependencies build once, not once per contract) and then run
//! directly.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::workspace::{host_cargo, Contract, Workspace, EXPORT_ABI_FEATURE};

/// The files exported for one contract.
struct Exported {
    sol: (PathBuf, String),
    json: (PathBuf, String),
}

/// Builds the ABI printers of `contracts` with their `export-abi` features in
/// one cargo run; returns each printer's executable by binary name.
fn build_printers(ws: &Workspace, contracts: &[&Contract]) -> Result<HashMap<String, PathBuf>> {
    let mut cmd = Command::new(host_cargo());
    cmd.current_dir(&ws.root).args([
        "build",
        "--quiet",
        "--message-format=json-render-diagnostics",
    ]);
    // The printers are not linted: the test script's clippy (with
    // -D warnings) would fail them on code that `export-abi` generates.
    cmd.env_remove("RUSTC_WORKSPACE_WRAPPER").env_remove("CLIPPY_ARGS");
    let mut features = Vec::new();
    for contract in contracts {
        let bin = printer(contract)?;
        cmd.args(["-p", &contract.name, "--bin", bin]);
        features.push(format!("{}/{EXPORT_ABI_FEATURE}", contract.name));
    }
    cmd.args(["--features", &features.join(",")]);
    let output = cmd.output().context("building the ABI printers")?;
    if !output.status.success() {
        bail!(
            "building the ABI printers (`cargo build --features {}`) failed ({}):\n{}",
            features.join(","),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut executables = HashMap::new();
    for line in output.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let message: Value =
            serde_json::from_slice(line).context("reading cargo's JSON messages")?;
        let target = message["target"]["name"].as_str();
        if let (Some(name), Some(path)) = (target, message["executable"].as_str()) {
            executables.insert(name.to_owned(), PathBuf::from(path));
        }
    }
    Ok(executables)
}

/// The binary target that prints `contract`'s ABI.
fn printer(contract: &Contract) -> Result<&str> {
    contract.bin_name.as_deref().with_context(|| {
        format!("{} has no binary target to print its ABI (src/main.rs)", contract.name)
    })
}

/// Runs the ABI printer `exe` of `contract` with `args`; what it printed.
fn print(exe: &Path, contract: &Contract, args: &[&str]) -> Result<String> {
    let output = Command::new(exe)
        .args(args)
        .output()
        .with_context(|| format!("running the ABI printer of {}", contract.name))?;
    if !output.status.success() {
        bail!(
            "the ABI printer of {} ({} {}) failed ({}):\n{}",
            contract.name,
            exe.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("the ABI printer wrote non-UTF-8")
}

/// Produces `abi/<name>.sol` and `abi/<name>.json` in memory.
fn export(ws: &Workspace, exe: &Path, contract: &Contract) -> Result<Exported> {
    eprintln!("exporting the ABI of {}", contract.name);
    let mut args = vec!["abi"];
    if let Some(license) = &contract.license {
        args.extend(["--license", license]);
    }
    let printed = print(exe, contract, &args)?;
    let src = contract.src.clone();
    let outputs = crate::names::declared_in(&src)?;
    let sol = crate::names::name_outputs(&printed, &outputs)
        .with_context(|| format!("naming the outputs of {}", contract.name))?;
    let errors = declared_errors(ws, &src)?;
    let sol = crate::names::camel_params(&crate::names::name_errors(&sol, &errors));
    let constructor = crate::names::camel_params(&print(exe, contract, &["constructor"])?);
    let abi = crate::solidity::json_abi(&sol, Some(&constructor))
        .with_context(|| format!("converting the interface of {} to a JSON ABI", contract.name))?;
    if abi.functions.is_empty() {
        eprintln!("warning: the interface of {} declares no function", contract.name);
    }
    let mut json = serde_json::to_string_pretty(&abi)?;
    json.push('\n');
    let dir = ws.abi_dir();
    Ok(Exported {
        sol: (dir.join(format!("{}.sol", contract.name)), sol),
        json: (dir.join(format!("{}.json", contract.name)), json),
    })
}

/// The errors a contract's sources at `src` and the kit declare, with
/// their parameter names. The contract's own declarations win over the
/// kit's: two errors may share a name (the account's `NotAuthorized(caller)`
/// and the market's).
pub(crate) fn declared_errors(ws: &Workspace, src: &Path) -> Result<crate::names::ErrorParams> {
    let shared = ws.root.join("contract-kit").join("src");
    crate::names::error_params_in(&[&shared, src])
}

/// Writes (or, with `check`, compares) the exported files of the named
/// contracts (all when empty). Returns whether everything is up to date.
pub(crate) fn run(ws: &Workspace, names: &[String], check: bool) -> Result<bool> {
    let contracts = ws.select(names)?;
    let executables = build_printers(ws, &contracts)?;
    let mut stale = Vec::new();
    for contract in contracts {
        let bin = printer(contract)?;
        let exe = executables
            .get(bin)
            .with_context(|| format!("cargo reported no executable for the binary {bin}"))?;
        let exported = export(ws, exe, contract)?;
        for (path, contents) in [exported.sol, exported.json] {
            let current = fs::read_to_string(&path).ok();
            if check {
                match current {
                    None => stale.push(format!("{} (missing)", ws.display(&path))),
                    Some(current) if current != contents => {
                        stale.push(format!("{} (differs)", ws.display(&path)));
                    }
                    Some(_) => {}
                }
            } else if current.as_deref() != Some(contents.as_str()) {
                fs::create_dir_all(ws.abi_dir())?;
                fs::write(&path, contents)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", ws.display(&path));
            }
        }
    }
    if stale.is_empty() {
        if check {
            eprintln!("abi/ is up to date");
        }
        return Ok(true);
    }
    eprintln!(
        "abi/ is out of date with the contracts:\n  {}\nrun `cargo xtask abi` and commit the result",
        stale.join("\n  ")
    );
    Ok(false)
}

#[cfg(test)]
mod tests;
