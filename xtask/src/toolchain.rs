//! The WASM toolchain: finding it, installing it, and a clean `cargo` for it.
//!
//! The verified recipe (see the shared design, "Toolchain facts") builds std
//! from source with Debian's `rustc-web` 1.96 (`-Z build-std`, unlocked by
//! `RUSTC_BOOTSTRAP=1`) and links with `rust-lld`. rustup's prebuilt wasm32
//! std must not be used: it is compiled with the reference-types encoding
//! that Stylus rejects. rustup's nightly with the `rust-src` component also
//! works (build-std again), so it is the fallback.

use std::{
    env,
    ffi::OsStr,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

/// Debian packages of the toolchain (and of brotli, wabt and binaryen).
const DEBIAN_PACKAGES: [&str; 8] = [
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-llvm",
    "lld-22",
    "brotli",
    "wabt",
    "binaryen",
];

/// Flags of the verified recipe: a 32 KiB stack, MVP code + bulk memory (no
/// reference types, no SIMD), and panics that abort without formatting.
///
/// The stack lives in linear memory below the data. 8 KiB (the first
/// recipe) overflowed in the oracle bridge's `fulfil` (an out-of-bounds trap,
/// seen on the devnode): ABI-decoding many parameters and encoding large
/// events takes more. The stack costs no code size.
///
/// `-Zlocation-detail=none` and `-Zfmt-debug=none` drop panic locations and
/// `Debug` formatting, which an aborting contract never prints (about 1 %
/// smaller).
pub(crate) const RUSTFLAGS: &str = "-C link-arg=-zstack-size=32768 -C target-cpu=mvp \
    -C target-feature=+bulk-memory -Zunstable-options -Cpanic=immediate-abort \
    -Zlocation-detail=none -Zfmt-debug=none";

/// The compilation target.
pub(crate) const TARGET: &str = "wasm32-unknown-unknown";

/// A toolchain able to build std for wasm32 from source.
#[derive(Debug, Clone)]
pub(crate) enum Toolchain {
    /// Debian's `rustc-web`, `cargo-web`, `rust-web-src` and `rust-lld`.
    Debian {
        /// `/usr/bin/cargo`.
        cargo: PathBuf,
        /// `/usr/bin/rustc`.
        rustc: PathBuf,
        /// `/usr/bin/rust-lld`.
        linker: PathBuf,
    },
    /// rustup's `nightly` toolchain with `rust-src` (it finds its own lld).
    RustupNightly,
}

/// Finds the toolchain, installing Debian's when it is missing and we may
/// (`install`, root, Debian).
pub(crate) fn ensure(install: bool) -> Result<Toolchain> {
    if let Some(toolchain) = debian() {
        return Ok(toolchain);
    }
    if install && is_root() && Path::new("/etc/debian_version").exists() {
        eprintln!("WASM toolchain not found; installing it:");
        run_apt(&["update"])?;
        let mut args = vec!["install", "-y"];
        args.extend(DEBIAN_PACKAGES);
        run_apt(&args)?;
        return debian()
            .context("the Debian packages are installed but the toolchain is incomplete");
    }
    if nightly_with_src() {
        eprintln!("note: Debian's rustc-web not found; using rustup's nightly with rust-src");
        return Ok(Toolchain::RustupNightly);
    }
    bail!(
        "no toolchain can build std for wasm32. Install Debian's (as root):\n  \
         apt-get update && apt-get install -y {}\nor rustup's: \
         rustup component add rust-src --toolchain nightly",
        DEBIAN_PACKAGES.join(" ")
    )
}

fn run_apt(args: &[&str]) -> Result<()> {
    eprintln!("$ apt-get {}", args.join(" "));
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get")?;
    if !status.success() {
        bail!("`apt-get {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.trim_ascii() == b"0")
}

/// Whether `sysroot` ships the std sources that `-Z build-std` needs.
fn has_rust_src(sysroot: &Path) -> bool {
    sysroot.join("lib/rustlib/src/rust/library/std/Cargo.toml").is_file()
}

fn sysroot(mut rustc: Command) -> Option<PathBuf> {
    let output = scrubbed(&mut rustc).args(["--print", "sysroot"]).output().ok()?;
    output.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

fn debian() -> Option<Toolchain> {
    let cargo = PathBuf::from("/usr/bin/cargo");
    let rustc = PathBuf::from("/usr/bin/rustc");
    let linker = PathBuf::from("/usr/bin/rust-lld");
    if !(cargo.is_file() && rustc.is_file() && linker.is_file()) {
        return None;
    }
    has_rust_src(&sysroot(Command::new(&rustc))?).then_some(Toolchain::Debian {
        cargo,
        rustc,
        linker,
    })
}

fn nightly_with_src() -> bool {
    let mut rustc = Command::new("rustup");
    rustc.args(["run", "nightly", "rustc"]);
    sysroot(rustc).is_some_and(|s| has_rust_src(&s))
}

/// Removes what a parent cargo (rustup's, running `cargo xtask`) put in the
/// environment, so that another cargo/rustc is not steered by it.
fn scrubbed(cmd: &mut Command) -> &mut Command {
    const KEEP: [&str; 6] = [
        "CARGO_HOME",
        "CARGO_TERM_",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
    ];
    const REMOVE: [&str; 8] = [
        "CARGO",
        "RUSTUP_TOOLCHAIN",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTDOCFLAGS",
        "LD_LIBRARY_PATH",
    ];
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let cargo_var = key.starts_with("CARGO_") && !KEEP.iter().any(|k| key.starts_with(k));
        if cargo_var || REMOVE.contains(&key) {
            cmd.env_remove(key);
        }
    }
    cmd
}

impl Toolchain {
    /// A `cargo` command of this toolchain with the recipe's environment.
    pub(crate) fn cargo(&self) -> Command {
        let mut cmd = match self {
            Self::Debian { cargo, .. } => Command::new(cargo),
            Self::RustupNightly => {
                let mut cmd = Command::new("rustup");
                cmd.args(["run", "nightly", "cargo"]);
                cmd
            }
        };
        scrubbed(&mut cmd);
        if let Self::Debian { rustc, linker, .. } = self {
            cmd.env("RUSTC", rustc).env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker);
        }
        cmd.env("RUSTC_BOOTSTRAP", "1").env("RUSTFLAGS", RUSTFLAGS);
        cmd
    }

    /// One line for logs.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Debian { cargo, rustc, linker } => format!(
                "RUSTC_BOOTSTRAP=1 RUSTC={} CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER={} \
                 RUSTFLAGS=\"{RUSTFLAGS}\" {}",
                rustc.display(),
                linker.display(),
                cargo.display()
            ),
            Self::RustupNightly => {
                format!("RUSTC_BOOTSTRAP=1 RUSTFLAGS=\"{RUSTFLAGS}\" rustup run nightly cargo")
            }
        }
    }
}

/// `program` on `PATH`, if it is there.
pub(crate) fn find_program(program: impl AsRef<OsStr>) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|dir| dir.join(program.as_ref())).find(|p| p.is_file())
}
