//! The workspace layout and its contracts, discovered with `cargo metadata`.
//!
//! A contract is a workspace package whose library target is a `cdylib` and
//! that has an `export-abi` feature: adding a crate of that shape to the
//! workspace is all it takes for `cargo xtask wasm`/`abi` to pick it up.

use std::{
    env,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The feature every contract has, which makes its binary print the ABI.
pub(crate) const EXPORT_ABI_FEATURE: &str = "export-abi";

/// One Stylus contract crate.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    /// Package name, e.g. `compute-credits`.
    pub(crate) name: String,
    /// Library target name as rustc sees it, e.g. `compute_credits`.
    pub(crate) lib_name: String,
    /// A binary target that prints the ABI, when there is one.
    pub(crate) bin_name: Option<String>,
    /// The package's SPDX license, for the exported Solidity header.
    pub(crate) license: Option<String>,
    /// The folder of the library's sources (`src/` of the package, or of
    /// the package whose sources it builds: `rate-vault` builds `vault`'s).
    pub(crate) src: PathBuf,
}

/// The workspace: where it is, where cargo builds, and its contracts.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// The workspace root (where the top `Cargo.toml` is).
    pub(crate) root: PathBuf,
    /// cargo's target directory (honours `CARGO_TARGET_DIR`).
    pub(crate) target_dir: PathBuf,
    /// Every contract, in workspace order.
    pub(crate) contracts: Vec<Contract>,
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    license: Option<String>,
    targets: Vec<Target>,
    features: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    #[serde(default)]
    crate_types: Vec<String>,
    src_path: PathBuf,
}

/// The host cargo: the one running us (`$CARGO`), else `cargo` on `PATH`.
pub(crate) fn host_cargo() -> PathBuf {
    env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// `cargo metadata --format-version 1 <args>` run in `dir`, parsed as `T`.
pub(crate) fn cargo_metadata<T: serde::de::DeserializeOwned>(
    dir: &Path,
    args: &[&str],
) -> Result<T> {
    let output = Command::new(host_cargo())
        .current_dir(dir)
        .args(["metadata", "--format-version", "1"])
        .args(args)
        .output()
        .context("running `cargo metadata`")?;
    if !output.status.success() {
        bail!("`cargo metadata` failed:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_slice(&output.stdout).context("parsing `cargo metadata` output")
}

impl Workspace {
    /// Reads the workspace around the current directory.
    pub(crate) fn load() -> Result<Self> {
        let metadata: Metadata = cargo_metadata(Path::new("."), &["--no-deps"])?;
        let contracts = metadata.packages.into_iter().filter_map(contract).collect();
        Ok(Self { root: metadata.workspace_root, target_dir: metadata.target_directory, contracts })
    }

    /// The contracts named in `names`, or all of them when `names` is empty.
    pub(crate) fn select(&self, names: &[String]) -> Result<Vec<&Contract>> {
        if names.is_empty() {
            return Ok(self.contracts.iter().collect());
        }
        names
            .iter()
            .map(|name| {
                self.contracts.iter().find(|c| &c.name == name).with_context(|| {
                    let known: Vec<_> = self.contracts.iter().map(|c| c.name.as_str()).collect();
                    format!("no contract named `{name}` (contracts: {})", known.join(", "))
                })
            })
            .collect()
    }

    /// Where the deployable artefacts go: `<root>/target/stylus`, whatever
    /// the cargo target directory is.
    pub(crate) fn stylus_dir(&self) -> PathBuf {
        self.root.join("target").join("stylus")
    }

    /// The separate target directory of WASM builds, so that the host and
    /// the WASM compilers never share one.
    pub(crate) fn wasm_target_dir(&self) -> PathBuf {
        self.target_dir.join("wasm")
    }

    /// Where exported ABIs are committed.
    pub(crate) fn abi_dir(&self) -> PathBuf {
        self.root.join("abi")
    }

    /// `path` relative to the workspace root when it is inside it, for display.
    pub(crate) fn display<'a>(&self, path: &'a Path) -> std::borrow::Cow<'a, str> {
        path.strip_prefix(&self.root).unwrap_or(path).to_string_lossy()
    }
}

/// The contract described by `package`, if it is one.
fn contract(package: Package) -> Option<Contract> {
    let lib = package.targets.iter().find(|t| {
        t.kind.iter().any(|k| k == "cdylib") || t.crate_types.iter().any(|k| k == "cdylib")
    })?;
    if !package.features.contains_key(EXPORT_ABI_FEATURE) {
        return None;
    }
    let bin_name =
        package.targets.iter().find(|t| t.kind.iter().any(|k| k == "bin")).map(|t| t.name.clone());
    Some(Contract {
        lib_name: lib.name.replace('-', "_"),
        name: package.name,
        bin_name,
        license: package.license,
        src: lib.src_path.parent().map(Path::to_path_buf).unwrap_or_default(),
    })
}
