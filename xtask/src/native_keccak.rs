//! Native keccak for every contract, including the OpenZeppelin-based ones.
//!
//! `alloy-primitives` hashes with the `native_keccak256` host call only when
//! neither `tiny-keccak` nor `sha3-keccak` is enabled anywhere in the build,
//! and `openzeppelin-stylus` 0.3.0 enables `tiny-keccak` on its dependency.
//! Cargo features are additive, so a contract that uses `OpenZeppelin` would
//! run keccak-f in WASM for every storage mapping access: more code to deploy
//! and more ink on every call. The WASM build therefore patches that one
//! dependency with a copy whose manifest drops the feature; its sources are
//! untouched. Host builds (motsu tests, ABI printers) keep the published
//! crate, where software keccak is what they need.
//!
//! The patch is passed with `--config patch.crates-io…`, which makes cargo
//! record the path source in the lock file; the WASM build therefore resolves
//! against a copy of `Cargo.lock` in its own target directory (cargo's
//! `-Z lockfile-path`, available to the nightly-mode cargo this build runs
//! anyway), so the workspace's lock file is never touched, even while other
//! cargo commands run beside the build.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::workspace::{cargo_metadata, Workspace};

/// The crate whose manifest turns software keccak on.
const PATCHED_CRATE: &str = "openzeppelin-stylus";
/// The feature that must not reach the WASM build.
const SOFTWARE_KECCAK: &str = "\"tiny-keccak\"";
/// The manifest section that enables it.
const SECTION: &str = "[dependencies.alloy-primitives]";

/// The cargo arguments that build the patched copy.
#[derive(Debug)]
pub(crate) struct Patch {
    /// `--config patch.crates-io.<crate>.path="<dir>"` and the lock file's.
    pub(crate) args: Vec<String>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    manifest_path: PathBuf,
}

/// Prepares the patched copy in `target/patched`, or returns
/// `None` when no contract depends on the crate.
pub(crate) fn prepare(ws: &Workspace) -> Result<Option<Patch>> {
    let metadata: Metadata =
        cargo_metadata(&ws.root, &["--filter-platform", crate::toolchain::TARGET])?;
    let Some(package) = metadata.packages.into_iter().find(|p| p.name == PATCHED_CRATE) else {
        return Ok(None);
    };
    let source = package.manifest_path.parent().context("a manifest path has a parent")?;
    // Inside the workspace, at the same place in every clone: cargo hashes a
    // path dependency's location into its symbols' metadata, so a copy kept
    // under a machine-specific target directory would make the modules'
    // bytes (and sizes) differ from one checkout to another.
    let copy = ws
        .root
        .join("target")
        .join("patched")
        .join(format!("{}-{}", package.name, package.version));
    let manifest = source.join("Cargo.toml");
    let published =
        fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let patched = without_software_keccak(&published)
        .with_context(|| format!("patching {}", manifest.display()))?;
    sync_dir(source, &copy, &manifest)?;
    write_if_changed(&copy.join("Cargo.toml"), patched.as_bytes())?;
    let lock = ws.wasm_target_dir().join("Cargo.lock");
    let workspace_lock = ws.root.join("Cargo.lock");
    let bytes = fs::read(&workspace_lock)
        .with_context(|| format!("reading {}", workspace_lock.display()))?;
    write_if_changed(&lock, &bytes)?;
    let quote =
        |path: &Path| serde_json::to_string(&path.to_string_lossy()).context("quoting a path");
    let args = vec![
        "--config".into(),
        format!("patch.crates-io.{PATCHED_CRATE}.path={}", quote(&copy)?),
        "-Z".into(),
        "lockfile-path".into(),
        "--config".into(),
        format!("resolver.lockfile-path={}", quote(&lock)?),
    ];
    Ok(Some(Patch { args }))
}

/// `manifest` with `tiny-keccak` removed from the features it enables on
/// `alloy-primitives`.
///
/// # Errors
/// When the manifest no longer enables it there: a new version of the crate
/// needs this step looked at again, not silently skipped.
pub(crate) fn without_software_keccak(manifest: &str) -> Result<String> {
    let start = manifest.find(SECTION).with_context(|| format!("no {SECTION} section"))?;
    let body = start + SECTION.len();
    let end = manifest[body..].find("\n[").map_or(manifest.len(), |i| body + i);
    let section = &manifest[body..end];
    if !section.contains(SOFTWARE_KECCAK) {
        bail!("{SECTION} does not enable {SOFTWARE_KECCAK} any more; the patch is obsolete");
    }
    let cleaned = section
        .replace(&format!("{SOFTWARE_KECCAK}, "), "")
        .replace(&format!(", {SOFTWARE_KECCAK}"), "")
        .replace(&format!("{SOFTWARE_KECCAK},"), "")
        .replace(SOFTWARE_KECCAK, "");
    Ok(format!("{}{cleaned}{}", &manifest[..body], &manifest[end..]))
}

/// Mirrors `from` into `to` except the file `skip` (written by the caller),
/// writing only files whose bytes differ, so that cargo's modification-time
/// fingerprints of the copy stay valid across runs.
fn sync_dir(from: &Path, to: &Path, skip: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path() == skip {
            continue;
        }
        if entry.file_type()?.is_dir() {
            sync_dir(&entry.path(), &target, skip)?;
        } else {
            let bytes = fs::read(entry.path())
                .with_context(|| format!("reading {}", entry.path().display()))?;
            write_if_changed(&target, &bytes)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` unless it holds them already (an unchanged
/// mtime spares cargo a rebuild), creating its folder: on a fresh machine
/// the WASM target directory does not exist yet.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHED: &str = "[package]\nname = \"openzeppelin-stylus\"\n\n\
        [dependencies.alloy-primitives]\nversion = \"=0.8.20\"\nfeatures = [\"tiny-keccak\"]\n\
        default-features = false\n\n[dependencies.keccak-const]\nversion = \"0.2.0\"\n\n\
        [dev-dependencies.alloy-primitives]\nversion = \"=0.8.20\"\n\
        features = [\n    \"tiny-keccak\",\n    \"arbitrary\",\n]\n";

    #[test]
    fn writes_into_a_folder_that_does_not_exist_yet() {
        let root = std::env::temp_dir().join(format!("xtask-write-{}", std::process::id()));
        let path = root.join("wasm").join("Cargo.lock");
        write_if_changed(&path, b"lock").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"lock");
        let written = fs::metadata(&path).unwrap().modified().unwrap();
        write_if_changed(&path, b"lock").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), written);
        write_if_changed(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn drops_the_feature_from_the_dependency_only() {
        let patched = without_software_keccak(PUBLISHED).unwrap();
        let (deps, dev) = patched.split_once("[dev-dependencies").unwrap();
        assert!(!deps.contains("tiny-keccak"), "{deps}");
        assert!(deps.contains("features = []\ndefault-features = false"), "{deps}");
        // Dev-dependencies never reach a WASM build; they stay as published.
        assert!(dev.contains("\"tiny-keccak\""), "{dev}");
        assert!(patched.contains("[dependencies.keccak-const]\nversion = \"0.2.0\""));
    }

    #[test]
    fn keeps_other_features_of_the_dependency() {
        let manifest =
            PUBLISHED.replace("[\"tiny-keccak\"]", "[\"std\", \"tiny-keccak\", \"rlp\"]");
        let patched = without_software_keccak(&manifest).unwrap();
        assert!(patched.contains("features = [\"std\", \"rlp\"]"), "{patched}");
    }

    #[test]
    fn a_manifest_without_the_feature_is_an_error() {
        let manifest = PUBLISHED.replace("features = [\"tiny-keccak\"]\n", "");
        let error = without_software_keccak(&manifest).unwrap_err();
        assert!(error.to_string().contains("obsolete"), "{error}");
        assert!(without_software_keccak("[package]\nname = \"x\"\n").is_err());
    }
}
