//! `cargo xtask abi`: export every contract's Solidity interface and JSON ABI
//! to `abi/`, or check that the committed files are current.
//!
//! Each contract's binary calls stylus-sdk 0.9's `print_from_args()` under
//! the `export-abi` feature. Its command line is a clap parser with the
//! subcommands `abi [--license L] [--pragma P]` (also the default with no
//! arguments) and `constructor`; there is no `export-abi` argument. With the
//! feature on, openzeppelin-stylus 0.3 is built with std, so a plain host
//! `cargo run` works (without it, OZ is `no_std` and a host build fails).

use std::{fs, path::PathBuf, process::Command};

use anyhow::{bail, Context, Result};

use crate::workspace::{host_cargo, Contract, Workspace, EXPORT_ABI_FEATURE};

/// The files exported for one contract.
struct Exported {
    sol: (PathBuf, String),
    json: (PathBuf, String),
}

/// Runs the contract's ABI printer with `args` and returns what it printed.
fn print(ws: &Workspace, contract: &Contract, args: &[&str]) -> Result<String> {
    let mut cmd = Command::new(host_cargo());
    cmd.current_dir(&ws.root).args(["run", "--quiet", "-p", &contract.name]);
    if let Some(bin) = &contract.bin_name {
        cmd.args(["--bin", bin]);
    }
    cmd.args(["--features", EXPORT_ABI_FEATURE, "--"]).args(args);
    let output =
        cmd.output().with_context(|| format!("running the ABI printer of {}", contract.name))?;
    if !output.status.success() {
        bail!(
            "`cargo run -p {} --features {EXPORT_ABI_FEATURE} -- {}` failed ({}):\n{}",
            contract.name,
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("the ABI printer wrote non-UTF-8")
}

/// Produces `abi/<name>.sol` and `abi/<name>.json` in memory.
fn export(ws: &Workspace, contract: &Contract) -> Result<Exported> {
    eprintln!("exporting the ABI of {}", contract.name);
    let mut args = vec!["abi"];
    if let Some(license) = &contract.license {
        args.extend(["--license", license]);
    }
    let sol = print(ws, contract, &args)?;
    let constructor = print(ws, contract, &["constructor"])?;
    let abi = xtask::solidity::json_abi(&sol, Some(&constructor))
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

/// Writes (or, with `check`, compares) the exported files of the named
/// contracts (all when empty). Returns whether everything is up to date.
pub(crate) fn run(ws: &Workspace, names: &[String], check: bool) -> Result<bool> {
    let contracts = ws.select(names)?;
    let mut stale = Vec::new();
    for contract in contracts {
        let exported = export(ws, contract)?;
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
