//! `cargo xtask`: build, check and export the Stylus contracts.
//!
//! - `cargo xtask wasm [--contract NAME]...`: build each contract to WASM
//!   with the verified recipe, optimise it with wasm-opt, check it against
//!   Stylus's rules, and write `target/stylus/<name>.wasm`, `<name>.code`
//!   (deployable bytes) and `report.json`. Fails on any violation.
//! - `cargo xtask check FILE...`: check arbitrary WASM files.
//! - `cargo xtask abi [--check]`: export the Solidity interfaces and JSON
//!   ABIs to `abi/`, or fail if the committed ones are stale.
//! - `cargo xtask contracts`: list the contracts found in the workspace.

mod abi;
mod build;
mod names;
mod native_keccak;
mod report;
mod solidity;
mod toolchain;
mod workspace;

use std::{fs, path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Build, check and export the Stylus contracts"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the contracts to WASM, check them and stage them in target/stylus.
    Wasm {
        /// Build only this contract (repeatable); all by default.
        #[arg(long = "contract", short = 'c', value_name = "NAME")]
        contracts: Vec<String>,
        /// Do not run wasm-opt.
        #[arg(long)]
        no_opt: bool,
        /// Never install the toolchain with apt-get.
        #[arg(long)]
        no_install: bool,
    },
    /// Check WASM files against Stylus's activation rules.
    Check {
        /// The modules to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Export Solidity interfaces and JSON ABIs to abi/.
    Abi {
        /// Do not write; fail if the files in abi/ are not current.
        #[arg(long)]
        check: bool,
        /// Export only this contract (repeatable); all by default.
        #[arg(long = "contract", short = 'c', value_name = "NAME")]
        contracts: Vec<String>,
    },
    /// List the contracts found in the workspace.
    Contracts,
}

fn check_files(files: &[PathBuf]) -> Result<bool> {
    let rows = files
        .iter()
        .map(|file| {
            let wasm = fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.file_stem().unwrap_or(file.as_os_str()).to_string_lossy();
            let report = stylus_check::check_program(&wasm);
            Ok(report::Row::new(&name, &file.to_string_lossy(), report))
        })
        .collect::<Result<Vec<_>>>()?;
    report::print_table(&rows);
    Ok(rows.iter().all(|row| row.ok))
}

/// Runs the command; `Ok(false)` when it found problems (already printed).
fn run(cli: Cli) -> Result<bool> {
    Ok(match cli.command {
        Cmd::Wasm { contracts, no_opt, no_install } => {
            let ws = workspace::Workspace::load()?;
            build::run(&ws, &build::Options { contracts, no_opt, no_install })?
        }
        Cmd::Check { files } => check_files(&files)?,
        Cmd::Abi { check, contracts } => {
            abi::run(&workspace::Workspace::load()?, &contracts, check)?
        }
        Cmd::Contracts => {
            for contract in workspace::Workspace::load()?.contracts {
                println!("{}", contract.name);
            }
            true
        }
    })
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            // `{:#}` prints the context chain on one line, without a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
