//! The `computefi-worker` binary as an operator runs it: `kill -9` in the
//! middle of a request and a restart (no double fulfilment, no lost
//! request), and SIGTERM while holding a lease (it finishes, then exits).

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::{self, fulfilments, status, World};
use alloy::primitives::Address;
use bindings::IOracleBridge;

fn write_config(w: &World, dir: &std::path::Path) -> std::path::PathBuf {
    let text = format!(
        "state_dir = {:?}\nlisten = \"127.0.0.1:0\"\n[chain]\nrpc_url = {:?}\nbridge = \"{}\"\nconfirmations = 0\npoll_interval_ms = 50\n[keys]\n[model]\nid = {}\nmargin_seconds = 5\nbackend = {{ kind = \"embedded\" }}\n",
        dir.join("state").display().to_string(),
        w.node.url(),
        w.core.bridge,
        common::MODEL,
    );
    let path = dir.join("worker.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn start(config: &std::path::Path, key: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_computefi-worker"))
        .arg("--config")
        .arg(config)
        .env("COMPUTEFI_WORKER_KEY", key)
        .env("RUST_LOG", "worker=info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the worker starts")
}

/// Waits until `provider` holds the lease of request `id`'s slot 0.
async fn leased(w: &World, id: u64, provider: Address) {
    let bridge = IOracleBridge::new(w.core.bridge, &w.admin);
    let started = Instant::now();
    while bridge.leaseOf(id, 0).call().await.unwrap().provider != provider {
        assert!(started.elapsed() < Duration::from_mins(2), "no lease claimed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn settled(w: &World, id: u64) {
    let started = Instant::now();
    while status(w, id).await == 1 {
        assert!(started.elapsed() < Duration::from_mins(3), "request {id} not settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A registered provider (dev account 1) and its hex key.
async fn provider(w: &World, dir: &std::path::Path) -> (Address, String) {
    // Registering through the library, then dropping that worker.
    let _ = common::worker(w, 1, &dir.join("unused"), None).await;
    (w.node.accounts()[1].address, w.node.accounts()[1].key.to_string())
}

const LONG: &str = "Write a detailed paragraph about why communities should save money together.";

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_request_then_restart_fulfils_exactly_once() {
    let w = common::world().await;
    let dir = tempfile::tempdir().unwrap();
    let (me, key) = provider(&w, dir.path()).await;
    let config = write_config(&w, dir.path());
    let mut first = start(&config, &key);
    let id = common::ask(&w, LONG, 3_600).await;
    leased(&w, id, me).await;
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    assert_eq!(status(&w, id).await, 1, "killed before fulfilling (the answer takes seconds)");
    let mut second = start(&config, &key);
    settled(&w, id).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(status(&w, id).await, 2);
    assert_eq!(fulfilments(&w, id).await, 1);
    let leased_by =
        IOracleBridge::new(w.core.bridge, &w.admin).leaseOf(id, 0).call().await.unwrap();
    assert_eq!((leased_by.provider, leased_by.phase), (me, 4), "the same lease, delivered once");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_held_lease_then_exits() {
    let w = common::world().await;
    let dir = tempfile::tempdir().unwrap();
    let (me, key) = provider(&w, dir.path()).await;
    let config = write_config(&w, dir.path());
    let mut worker = start(&config, &key);
    let id = common::ask(&w, LONG, 3_600).await;
    leased(&w, id, me).await;
    let pid = worker.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let exit = tokio::task::spawn_blocking(move || worker.wait()).await.unwrap().unwrap();
    assert!(exit.success(), "a graceful stop exits 0: {exit}");
    assert_eq!(status(&w, id).await, 2, "the held lease was served before exiting");
    assert_eq!(fulfilments(&w, id).await, 1);
}
