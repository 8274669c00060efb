//! cargo-stylus 0.10.10 against the devnode, the way Stylus developers use
//! it: `cargo stylus check` builds a project and gets its size and data fee
//! from the node, `--wasm-file` checks a module built elsewhere (the
//! project's contracts), and `cargo stylus deploy` deploys and activates with
//! the nitro-devnode's well-known development key, which the devnode funds.
//! The deployed programs are then called to show that they run.
//!
//! Slower and optional, so ignored by default. It needs cargo-stylus on
//! `PATH` (or its path in `CARGO_STYLUS`) and the WASM target of the pinned
//! toolchain:
//!
//! ```text
//! cargo install cargo-stylus --version 0.10.10 --locked   # ~11 min on 2 cores
//! rustup target add wasm32-unknown-unknown --toolchain 1.95.0
//! cargo xtask wasm
//! cargo test --manifest-path offchain/Cargo.toml -p devnode --test cargo_stylus -- --ignored
//! ```

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use alloy::{
    primitives::{address, Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use bindings::IErc6551Registry;
use devnode::{accounts::NITRO_DEV_KEY, Config};
use e2e::command::{run, succeeded};

/// The registry the devnode serves from genesis at the standard's address.
const CANONICAL_REGISTRY: Address = address!("000000006551c19487814612e58FE06813775758");

/// How long one cargo-stylus command may take (the first build of the probe
/// compiles `core` for nothing else, so it is quick).
const LIMIT: Duration = Duration::from_mins(5);

/// The cargo-stylus binary.
fn cargo_stylus() -> PathBuf {
    let path =
        std::env::var_os("CARGO_STYLUS").map_or_else(|| "cargo-stylus".into(), PathBuf::from);
    let found = Command::new(&path)
        .args(["stylus", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{} does not run: install it with `cargo install cargo-stylus --version 0.10.10 --locked` \
         or set CARGO_STYLUS",
        path.display()
    );
    path
}

/// A fresh copy of the probe project, outside the repository so that no
/// `.cargo/config.toml` of ours applies to cargo-stylus's own build.
fn probe_project(name: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stylus-probe");
    let to = std::env::temp_dir().join(format!("stylus-probe-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "Stylus.toml",
        "rust-toolchain.toml",
        "build.rs",
        "src/lib.rs",
        "src/main.rs",
    ] {
        std::fs::create_dir_all(to.join(file).parent().unwrap()).unwrap();
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    to
}

/// Runs `cargo stylus <args>` in `dir`; returns its output without colours.
async fn stylus(dir: &Path, args: Vec<String>) -> String {
    let mut cmd = Command::new(cargo_stylus());
    cmd.current_dir(dir).arg("stylus").args(&args);
    // The probe builds in its own copy's target directory, as a fresh
    // project would, not in ours (whose lock the tests would share).
    cmd.env_remove("CARGO_TARGET_DIR").env_remove("RUSTC_WORKSPACE_WRAPPER");
    let ran = tokio::task::spawn_blocking(move || run(cmd, LIMIT)).await.unwrap();
    let purpose = format!("cargo stylus {}", args.join(" "));
    let stdout = succeeded(&ran, &purpose);
    strip_ansi(&format!("{stdout}{}", ran.stderr))
}

/// `text` without ANSI escape sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().take_while(|c| !c.is_ascii_alphabetic()).for_each(drop);
        } else {
            out.push(c);
        }
    }
    out
}

/// The first contract size cargo-stylus reports, in bytes.
fn reported_size(output: &str) -> usize {
    let line = output.lines().find(|l| l.contains("contract size:")).expect("a size");
    let bytes = line.rsplit_once('(').and_then(|(_, b)| b.split_once(" bytes")).expect("(N bytes)");
    bytes.0.parse().expect("a number")
}

/// The sections of `wasm` that define what runs, each as its id and
/// contents: all but custom sections (names, producers, metadata) and the
/// data-count section (derived from the data section).
fn code_sections(wasm: &[u8]) -> Vec<(u8, Vec<u8>)> {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(|payload| payload.expect("a valid module").as_section())
        .filter(|(id, _)| !matches!(id, 0 | 12))
        .map(|(id, range)| (id, wasm[range].to_vec()))
        .collect()
}

/// The address cargo-stylus says it deployed to.
fn deployed_address(output: &str) -> Address {
    let marker = "deployed code at address: ";
    let at = output.find(marker).unwrap_or_else(|| panic!("no deployment in:\n{output}"));
    output[at + marker.len()..][..42].parse().expect("an address")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow and optional: needs cargo-stylus 0.10.10 and the wasm32 target (see the header)"]
async fn cargo_stylus_checks_and_deploys_against_the_devnode() {
    let registry = e2e::stylus_dir().join("erc6551-registry.wasm");
    let config = Config { port: 0, erc6551_registry: Some(registry.clone()), ..Config::default() };
    let node = devnode::spawn(config).await.expect("node starts");
    let url = node.url();
    let provider = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let project = probe_project("small");
    let endpoint = || vec!["--endpoint".to_owned(), url.clone()];

    // cargo-stylus builds the probe itself, then asks the node for the fee.
    let checked = stylus(&project, [vec!["check".into()], endpoint()].concat()).await;
    assert!(checked.contains("contract size:"), "{checked}");
    assert!(checked.contains("wasm data fee:"), "{checked}");

    // One of the project's contracts, built by `cargo xtask wasm`.
    let vault = e2e::stylus_dir().join("vault.wasm");
    let wasm_file = vec!["--wasm-file".to_owned(), vault.display().to_string()];
    let checked = stylus(&project, [vec!["check".into()], wasm_file, endpoint()].concat()).await;
    // cargo-stylus compresses the module itself, with settings a little
    // different from ours: its size is within 1 % of our check's.
    let ours = stylus_check::check_program(&e2e::contract_wasm("vault")).compressed_size;
    let theirs = reported_size(&checked);
    assert!(theirs.abs_diff(ours) * 100 < ours, "vault: {theirs} vs {ours} bytes in:\n{checked}");
    assert!(checked.contains("wasm data fee:"), "{checked}");

    // Deploy and activate the probe with the nitro-devnode's key, then call it.
    let key = vec!["--private-key".to_owned(), NITRO_DEV_KEY.to_string(), "--no-verify".into()];
    let deployed =
        stylus(&project, [vec!["deploy".into()], endpoint(), key.clone()].concat()).await;
    assert!(deployed.contains("successfully activated"), "{deployed}");
    let probe = deployed_address(&deployed);
    let echo = provider
        .call(TransactionRequest::default().to(probe).input(Bytes::from_static(b"hello").into()))
        .await
        .expect("the probe runs");
    assert_eq!(echo.as_ref(), b"hello");

    // And one of the project's contracts from its module: a second ERC-6551
    // registry beside the canonical one (served from genesis) computes an
    // account address (a view that hashes).
    let wasm_file = vec!["--wasm-file".to_owned(), registry.display().to_string()];
    let deployed =
        stylus(&project, [vec!["deploy".into()], wasm_file, endpoint(), key].concat()).await;
    let registry = deployed_address(&deployed);
    let code = provider.get_code_at(registry).await.unwrap();
    let wasm = devnode::stylus::program::decode(&code).expect("Stylus code");
    // cargo-stylus re-encodes the module (a custom section with the project
    // hash, no data-count section); what runs is ours.
    let ours = e2e::contract_wasm("erc6551-registry");
    assert_eq!(code_sections(&wasm), code_sections(&ours), "{registry}");
    // The same question to both registries: each answers with an address
    // derived from its own (CREATE2), so the answers differ.
    let provider = &provider;
    let ask = |at| async move {
        IErc6551Registry::new(at, provider)
            .account(
                Address::repeat_byte(1),
                B256::ZERO,
                U256::from(1),
                Address::repeat_byte(2),
                U256::from(3),
            )
            .call()
            .await
            .expect("account()")
    };
    let ours = ask(registry).await;
    assert_ne!(ours, Address::ZERO);
    assert_ne!(ours, ask(CANONICAL_REGISTRY).await);
    let _ = std::fs::remove_dir_all(&project);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow and optional: needs cargo-stylus 0.10.10 and the wasm32 target (see the header)"]
async fn cargo_stylus_deploys_a_large_contract_in_fragments_and_traces_a_call() {
    let node = devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node starts");
    let url = node.url();
    let signer = alloy::signers::local::PrivateKeySigner::from_bytes(&NITRO_DEV_KEY).expect("key");
    let provider = ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(signer))
        .connect_http(url.parse().unwrap());
    let project = probe_project("large");
    let endpoint = || vec!["--endpoint".to_owned(), url.clone()];
    let large = || vec!["--features".to_owned(), "large".to_owned()];

    // Over 24 KB compressed: cargo-stylus asks the node how many fragments
    // it may use, then deploys them and a root, and activates the root.
    let checked = stylus(&project, [vec!["check".into()], large(), endpoint()].concat()).await;
    assert!(checked.contains("fragments)"), "{checked}");
    let key = vec!["--private-key".to_owned(), NITRO_DEV_KEY.to_string(), "--no-verify".into()];
    let deployed =
        stylus(&project, [vec!["deploy".into()], large(), endpoint(), key].concat()).await;
    assert!(deployed.contains("successfully activated"), "{deployed}");
    let probe = deployed_address(&deployed);
    let root = provider.get_code_at(probe).await.unwrap();
    let parsed = devnode::stylus::program::parse_root(&root).expect("a root program");
    assert!(parsed.fragments.len() >= 2, "{} fragments", parsed.fragments.len());
    for fragment in &parsed.fragments {
        let code = provider.get_code_at(*fragment).await.unwrap();
        assert!(code.starts_with(&stylus_check::FRAGMENT_PREFIX), "{fragment}");
        assert!(code.len() <= 24 * 1024, "{fragment}: {} bytes", code.len());
    }

    // It runs: the echo plus one byte of the embedded table.
    let hello = Bytes::from_static(b"hello");
    let request = TransactionRequest::default().to(probe).input(hello.clone().into());
    let echo = provider.call(request.clone()).await.expect("the probe runs");
    assert_eq!(&echo[..5], b"hello");
    assert_eq!(echo.len(), 6);

    // `cargo stylus trace` reads the native host-I/O trace of a call.
    let receipt = provider.send_transaction(request).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    let tx = format!("{:#x}", receipt.transaction_hash);
    let traced = stylus(
        &project,
        [vec!["trace".into(), "--use-native-tracer".into(), "--tx".into(), tx], endpoint()]
            .concat(),
    )
    .await;
    let json = &traced[traced.find('[').expect("a JSON array")..];
    let steps: serde_json::Value = serde_json::from_str(json.trim()).expect("JSON");
    let names: Vec<&str> = steps
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["user_entrypoint", "pay_for_memory_grow", "read_args", "write_result", "user_returned"],
        "{traced}"
    );
    assert_eq!(steps[2]["outs"], "0x68656c6c6f", "read_args gives the calldata");
    let _ = std::fs::remove_dir_all(&project);
}
