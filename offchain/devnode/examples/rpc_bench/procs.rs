//! The two nodes as child processes: building or installing their binaries,
//! starting them on a free port, timing how long they take to answer
//! `eth_chainId`, and killing them when dropped.

use std::{
    net::{Ipv4Addr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::providers::{Provider, RootProvider};
use anyhow::{bail, Context as _};

/// The anvil release every run measures, so numbers stay comparable.
pub(crate) const ANVIL_PACKAGE: &str = "@foundry-rs/anvil-linux-amd64@1.7.1";

/// The chain id both nodes run with (the devnode's default).
pub(crate) const CHAIN_ID: u64 = devnode::config::DEFAULT_CHAIN_ID;

/// How long a node may take to start before the benchmark gives up.
const START_TIMEOUT: Duration = Duration::from_mins(1);

/// Which node a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `target/release/devnode`.
    Devnode,
    /// Foundry's anvil from npm.
    Anvil,
}

impl Kind {
    /// The name printed in the table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Devnode => "devnode",
            Self::Anvil => "anvil",
        }
    }
}

/// Where the binaries live: the cargo target directory this example runs from.
#[derive(Debug)]
pub(crate) struct Binaries {
    devnode: PathBuf,
    anvil: PathBuf,
}

impl Binaries {
    /// Builds the devnode's release binary and installs anvil if missing.
    pub(crate) fn prepare() -> anyhow::Result<Self> {
        // This example runs as <target>/release/examples/rpc_bench; deriving
        // the paths from it honours CARGO_TARGET_DIR and the profile.
        let exe = std::env::current_exe().context("locating the benchmark binary")?;
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .context("the benchmark runs from <target>/<profile>/examples")?;
        let target_dir = profile_dir.parent().context("the profile directory has a parent")?;
        build_devnode()?;
        let devnode = profile_dir.join("devnode");
        if !devnode.is_file() {
            bail!("{} is missing after building it", devnode.display());
        }
        let anvil = install_anvil(&target_dir.join("npm-clients"))?;
        Ok(Self { devnode, anvil })
    }

    /// The command that starts `kind` on `port`, its output discarded so the
    /// terminal's speed does not enter the measurement.
    fn command(&self, kind: Kind, port: u16) -> Command {
        let port = port.to_string();
        let mut command = match kind {
            Kind::Devnode => {
                let mut c = Command::new(&self.devnode);
                c.args(["--port", &port, "--chain-id", &CHAIN_ID.to_string()]);
                c
            }
            Kind::Anvil => {
                let mut c = Command::new(&self.anvil);
                c.args(["--chain-id", &CHAIN_ID.to_string(), "--port", &port, "--silent"]);
                c
            }
        };
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command
    }
}

/// Runs `cargo build --release --bin devnode` so the measured binary is the
/// current source, not whatever an earlier build left behind.
fn build_devnode() -> anyhow::Result<()> {
    // `cargo run` sets CARGO to itself; fall back to the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--bin", "devnode"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("`cargo build --release --bin devnode` failed: {status}");
    }
    Ok(())
}

/// The anvil binary inside the pinned npm package, installed into `cache` first
/// if it is not there yet.
fn install_anvil(cache: &Path) -> anyhow::Result<PathBuf> {
    let binary = cache.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    let installed_version = Command::new(&binary).arg("--version").output();
    if installed_version.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("1.7.1")) {
        return Ok(binary);
    }
    std::fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    println!("installing {ANVIL_PACKAGE} into {}", cache.display());
    let status = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(cache)
        .arg(ANVIL_PACKAGE)
        .status()
        .context("running npm (is Node.js installed?)")?;
    if !status.success() || !binary.is_file() {
        bail!("npm install {ANVIL_PACKAGE} failed ({status}); expected {}", binary.display());
    }
    Ok(binary)
}

/// A node process; killed when dropped.
#[derive(Debug)]
pub(crate) struct NodeProcess {
    child: Child,
    /// Its JSON-RPC URL.
    pub(crate) url: String,
    /// From spawning the process until `eth_chainId` first answered.
    pub(crate) startup: Duration,
}

impl NodeProcess {
    /// The process's resident memory in MiB (Linux `/proc`), if readable.
    pub(crate) fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// Starts `kind` on a free port and waits until it answers `eth_chainId`
    /// with [`CHAIN_ID`].
    pub(crate) async fn start(binaries: &Binaries, kind: Kind) -> anyhow::Result<Self> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let provider: RootProvider = RootProvider::new_http(url.parse()?);
        let started = Instant::now();
        let child = binaries
            .command(kind, port)
            .spawn()
            .with_context(|| format!("starting {}", kind.name()))?;
        // Own the child at once so an error below still kills it.
        let mut process = Self { child, url, startup: Duration::ZERO };
        loop {
            match provider.get_chain_id().await {
                Ok(id) if id == CHAIN_ID => break,
                Ok(id) => bail!("{} reports chain id {id}, expected {CHAIN_ID}", kind.name()),
                // Not listening yet: poll again soon, the delay bounds the error.
                Err(_) => {
                    if let Some(status) = process.child.try_wait()? {
                        bail!("{} exited during startup: {status}", kind.name());
                    }
                    if started.elapsed() > START_TIMEOUT {
                        bail!("{} did not answer within {START_TIMEOUT:?}", kind.name());
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
        process.startup = started.elapsed();
        Ok(process)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        // Killing an already exited child only returns an error; nothing to do.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now (the OS picks it; a race with another
/// program taking it before the node binds is possible but unlikely).
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
