//! The TypeScript client (`clients/ts`, `@compute-fi/client`) as tests use
//! it: installed with `npm ci` from its committed lockfile (once per
//! lockfile), its generated ABIs checked against `abi/*.json`, built with
//! `tsc`; then its `node --test` suites run with the chain and keys in
//! environment variables.
//!
//! `node` and `npm` (Node.js 20+) must be on `PATH` and the npm registry
//! reachable on the first run: without them the tests fail rather than
//! skip, so that CI cannot pass without running them.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

use crate::command::{run, succeeded};

/// How long `npm ci` may take on a cold npm cache.
const INSTALL_LIMIT: Duration = Duration::from_mins(5);
/// How long `tsc` or one test suite may take.
pub const NODE_LIMIT: Duration = Duration::from_mins(3);

/// The package's folder.
pub fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/ts")
}

/// Fails the test, saying what is missing, unless `tool` runs.
fn require_tool(tool: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is not on PATH: the TypeScript client's tests need Node.js 20+ with npm (and \
         the npm registry on the first run) to install, build and test clients/ts"
    );
}

/// Installs (`npm ci`, once per lockfile), checks the generated ABIs and
/// builds the package, once per test binary; its folder.
pub fn prepared() -> &'static Path {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        require_tool("node");
        require_tool("npm");
        let dir = package_dir();
        let lock =
            std::fs::read(dir.join("package-lock.json")).expect("clients/ts/package-lock.json");
        // A copy of the lockfile that `npm ci` installed from: equal means installed.
        let stamp = dir.join("node_modules/.compute-fi-installed-lock");
        if std::fs::read(&stamp).ok().as_ref() != Some(&lock) {
            let mut npm = Command::new("npm");
            npm.current_dir(&dir).args([
                "ci",
                "--no-audit",
                "--no-fund",
                // Retry a stalled registry request after a minute, not five.
                "--fetch-timeout=60000",
            ]);
            succeeded(&run(npm, INSTALL_LIMIT), "npm ci in clients/ts");
            std::fs::write(&stamp, &lock).expect("write the install stamp");
        }
        for script in ["check-abis", "build"] {
            let mut npm = Command::new("npm");
            npm.current_dir(&dir).args(["run", "--silent", script]);
            succeeded(&run(npm, NODE_LIMIT), &format!("npm run {script} in clients/ts"));
        }
        dir
    })
}

/// Runs one compiled `node --test` file with `env`; its TAP output after
/// checking that every test passed and none was skipped.
pub async fn node_test(file: &str, env: Vec<(&'static str, String)>) -> String {
    let dir = prepared().to_path_buf();
    let mut node = Command::new("node");
    node.current_dir(&dir).args(["--test", "--test-reporter=tap", file]).envs(env);
    // Off the async runtime, so that an in-process node keeps answering.
    let ran =
        tokio::task::spawn_blocking(move || run(node, NODE_LIMIT)).await.expect("node thread");
    let out = succeeded(&ran, file);
    assert!(out.contains("# fail 0"), "{file}: failures\n{out}");
    assert!(
        out.contains("# skipped 0"),
        "{file}: a test was skipped (missing environment?)\n{out}"
    );
    out
}
