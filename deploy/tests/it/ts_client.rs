//! The TypeScript client (`clients/ts`, `@compute-fi/client`) against the
//! devnode, and its sealing against the Rust `sealing` crate.
//!
//! The package is prepared and its suites run by [`e2e::ts_client`]. What
//! they report is checked against the chain here, and every sealed message
//! crosses the language boundary: Rust (the `sealing` crate) opens what
//! TypeScript sealed and the other way round.

use std::{path::PathBuf, process::Command};

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use bindings::{IComputeCredits, IKeyNft, IOracleBridge, IVault};
use deploy::{community::CommunitySpec, core::Core, local, manifest::Manifest};
use devnode::accounts::DevAccount;
use e2e::{
    command::{run, succeeded},
    ts_client::{node_test, prepared, NODE_LIMIT},
};
use sealing::{Context, Keypair, PromptPlace, Purpose};
use serde::Deserialize;

/// The community the deploy creates and the TypeScript test uses.
const COMMUNITY: &str = "TS community";
/// Seeds of the provider's and the requester's X25519 keys (RFC 9180
/// `DeriveKeyPair`), so that this side can open what TypeScript sealed.
const PROVIDER_SEED: [u8; 32] = [0x51; 32];
const REQUESTER_SEED: [u8; 32] = [0x52; 32];

/// The request the cross-language prompts are sealed for (written to
/// `rust.json`, so TypeScript binds the same place).
fn prompt_place(chain: u64, bridge: Address, model: u64) -> PromptPlace {
    PromptPlace {
        chain_id: chain,
        bridge: bridge.into(),
        model: u32::try_from(model).expect("a model id"),
        payer: [0xA1; 20],
        requester: [0xA2; 20],
        requester_key: [0xA3; 32],
        deadline: 1_900_000_000,
    }
}

/// Where a sealed message of `purpose` belongs: in a request at a model for
/// prompts, at a request id for answers, at an AI id for instructions.
fn place(purpose: Purpose, chain: u64, bridge: Address, at: u64) -> Context {
    match purpose {
        Purpose::Prompt => Context::prompt(&prompt_place(chain, bridge, at)),
        Purpose::Answer => Context::answer(chain, bridge.into(), at),
        // Not sealed by the TypeScript client; bound like an AI's id at a
        // collection, for completeness.
        Purpose::Instructions => Context::instructions(
            chain,
            bridge.into(),
            alloy::primitives::U256::from(at).to_be_bytes(),
        ),
    }
}

/// Opens `sealed` (0x-hex) with the key of `seed` through the Rust crate, as text.
fn rust_open(
    purpose: Purpose,
    seed: &[u8; 32],
    chain: u64,
    bridge: Address,
    at: u64,
    sealed: &str,
) -> String {
    let sealed: Bytes = sealed.parse().unwrap_or_else(|e| panic!("not hex ({e}): {sealed}"));
    let plain = Keypair::from_seed(seed)
        .open(purpose, &place(purpose, chain, bridge, at), &sealed)
        .unwrap_or_else(|e| panic!("Rust cannot open the {purpose:?} TypeScript sealed: {e}"));
    String::from_utf8(plain).expect("the opened message is UTF-8")
}

// ---------------------------------------------------------------------------
// Sealing across languages
// ---------------------------------------------------------------------------

/// `ts.json`: what TypeScript sealed to the Rust key.
#[derive(Debug, Deserialize)]
struct TsVectors {
    prompt: TsSealed,
    answer: TsSealed,
}

#[derive(Debug, Deserialize)]
struct TsSealed {
    plaintext: Bytes,
    sealed: String,
}

/// Rust seals a prompt and an answer that TypeScript opens (and derives the
/// same public key from the seed); TypeScript seals a prompt and an answer
/// that Rust opens. Same info strings, same associated data, same framing.
#[tokio::test(flavor = "multi_thread")]
async fn sealed_messages_cross_between_rust_and_typescript() {
    tokio::task::spawn_blocking(prepared).await.expect("prepare");
    let dir = tempfile::tempdir().unwrap();
    let seed = B256::repeat_byte(0x33);
    let (chain, bridge, model, id) = (412_346u64, Address::repeat_byte(0xB7), 1u32, 7u64);
    let public_key = Keypair::from_seed(&seed.0).public_key();
    let (prompt, answer) = ("sealed in Rust: a prompt", "sealed in Rust: an answer ✓");
    let seal = |purpose: Purpose, at: u64, plain: &str| {
        let context = place(purpose, chain, bridge, at);
        let sealed = sealing::seal(&public_key, purpose, &context, plain.as_bytes()).expect("seal");
        Bytes::from(sealed)
    };
    let vectors = serde_json::json!({
        "seed": seed,
        "publicKey": B256::from(public_key),
        "chainId": chain,
        "bridge": bridge,
        "model": model,
        "payer": Address::from(prompt_place(chain, bridge, model.into()).payer),
        "requester": Address::from(prompt_place(chain, bridge, model.into()).requester),
        "requesterKey": B256::from(prompt_place(chain, bridge, model.into()).requester_key),
        "deadline": prompt_place(chain, bridge, model.into()).deadline,
        "id": id.to_string(),
        "prompt": { "plaintext": Bytes::from(prompt.as_bytes()), "sealed": seal(Purpose::Prompt, model.into(), prompt) },
        "answer": { "plaintext": Bytes::from(answer.as_bytes()), "sealed": seal(Purpose::Answer, id, answer) },
    });
    std::fs::write(dir.path().join("rust.json"), vectors.to_string()).unwrap();

    let env = vec![("COMPUTE_FI_VECTORS", dir.path().display().to_string())];
    let out = node_test("dist/test/sealing.test.js", env).await;
    assert!(out.contains("ok 6 - cross-language"), "{out}");

    let ts: TsVectors = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("ts.json")).expect("ts.json"),
    )
    .expect("ts.json parses");
    let seed = seed.0;
    let opened = rust_open(Purpose::Prompt, &seed, chain, bridge, model.into(), &ts.prompt.sealed);
    assert_eq!(opened.as_bytes(), &ts.prompt.plaintext[..]);
    let opened = rust_open(Purpose::Answer, &seed, chain, bridge, id, &ts.answer.sealed);
    assert_eq!(opened.as_bytes(), &ts.answer.plaintext[..]);
    assert!(opened.starts_with("sealed in TypeScript"), "{opened}");
}

// ---------------------------------------------------------------------------
// The key-holder flow on the devnode
// ---------------------------------------------------------------------------

/// What test/devnode.test.ts writes to `COMPUTE_FI_REPORT`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    chain_id: u64,
    bridge: Address,
    member: Address,
    holder: Address,
    provider: Address,
    deposited: U256,
    credits_after_harvest: U256,
    credits_after_answer: U256,
    provider_earned: U256,
    id: String,
    model: u32,
    key_token: U256,
    max_cost: U256,
    status: String,
    sealed_prompt: Bytes,
    payer: Address,
    requester: Address,
    requester_key: B256,
    deadline: String,
    sealed_answer: Bytes,
    prompt: String,
    answer: String,
}

fn spec() -> CommunitySpec {
    CommunitySpec {
        instructions: "Answer members kindly.".into(),
        instructions_uri: "ipfs://instructions".into(),
        soulbound: true,
        ..CommunitySpec::new(COMMUNITY, 1)
    }
}

/// Deploys the core and a community on an in-process devnode, issues a key
/// to a dev account, and runs test/devnode.test.ts against it: a member
/// deposits, yield becomes the AI's credits, a provider bonds, the key
/// holder asks with a sealed prompt, the provider answers sealed, the
/// holder watches and opens it. Every number the TypeScript side reports
/// is checked against the chain, and Rust opens both sealed messages.
#[tokio::test(flavor = "multi_thread")]
async fn key_holder_flow_on_the_devnode() {
    tokio::task::spawn_blocking(prepared).await.expect("prepare");
    let node = devnode::spawn(devnode::Config { port: 0, ..devnode::Config::default() })
        .await
        .expect("node starts");
    let accounts = node.accounts();
    let (member, holder, provider) = (&accounts[1], &accounts[2], &accounts[3]);
    let dir = tempfile::tempdir().unwrap();
    let signer =
        alloy::signers::local::PrivateKeySigner::from_bytes(&accounts[0].key).expect("dev key");
    let local::Local { session: s, core, community: c } =
        local::community(&node.url(), signer, dir.path().to_path_buf(), &spec(), holder.address)
            .await
            .expect("a community");
    let file = s.save().unwrap().expect("a deployments file");
    assert_eq!(Manifest::load(dir.path(), s.chain_id).unwrap().communities[COMMUNITY], c);

    let report_path = dir.path().join("report.json");
    let key = |k: &B256| k.to_string();
    let env = vec![
        ("COMPUTE_FI_RPC_URL", node.url()),
        ("COMPUTE_FI_DEPLOYMENTS", file.display().to_string()),
        ("COMPUTE_FI_COMMUNITY", COMMUNITY.to_owned()),
        ("COMPUTE_FI_MEMBER_KEY", key(&member.key)),
        ("COMPUTE_FI_HOLDER_KEY", key(&holder.key)),
        ("COMPUTE_FI_PROVIDER_KEY", key(&provider.key)),
        ("COMPUTE_FI_PROVIDER_SEED", B256::from(PROVIDER_SEED).to_string()),
        ("COMPUTE_FI_REQUESTER_SEED", B256::from(REQUESTER_SEED).to_string()),
        ("COMPUTE_FI_REPORT", report_path.display().to_string()),
    ];
    node_test("dist/test/devnode.test.js", env).await;
    let text = std::fs::read_to_string(&report_path).expect("the TypeScript test wrote its report");
    let r: Report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("report ({e}): {text}"));

    // Who did what, as the chain knows it.
    assert_eq!((r.chain_id, r.bridge, r.model), (s.chain_id, core.bridge, c.model));
    assert_eq!(
        (r.member, r.holder, r.provider),
        (member.address, holder.address, provider.address)
    );
    let p: DynProvider = ProviderBuilder::new().connect_http(node.url().parse().unwrap()).erased();
    let keys = IKeyNft::new(c.keys, &p);
    assert_eq!(keys.ownerOf(r.key_token).call().await.unwrap(), holder.address);
    let position = IVault::new(c.vault, &p).positionOf(member.address).call().await.unwrap();
    assert_eq!(
        (position.principal, position.beneficiary),
        (r.deposited, c.account),
        "principal and beneficiary"
    );

    // The request settled on the sealed answer the client read from the
    // `Fulfilled` event (the bridge keeps only its hash).
    let id: u64 = r.id.parse().expect("a request id");
    let bridge = IOracleBridge::new(core.bridge, &p);
    let result = bridge.result(id).call().await.unwrap();
    assert_eq!(
        (result.status, result.outputHash),
        (2, keccak256(&r.sealed_answer)),
        "settled, output hash"
    );
    assert_eq!(r.status, "settled");

    // Credits: the payer paid exactly what the provider earned, within the escrow.
    let ledger = IComputeCredits::new(core.ledger, &p);
    assert_eq!(ledger.spendableOf(c.account).call().await.unwrap(), r.credits_after_answer);
    assert_eq!(ledger.earnedOf(provider.address).call().await.unwrap(), r.provider_earned);
    assert_eq!(r.credits_after_harvest - r.credits_after_answer, r.provider_earned);
    assert!(r.provider_earned > U256::ZERO && r.provider_earned <= r.max_cost);

    // Both sealed messages open with the Rust crate, bound to their places:
    // the prompt to its request (payer, sender, requester key, deadline).
    assert_eq!((r.payer, r.requester), (c.account, holder.address));
    let place = PromptPlace {
        chain_id: s.chain_id,
        bridge: core.bridge.into(),
        model: c.model,
        payer: r.payer.into(),
        requester: r.requester.into(),
        requester_key: r.requester_key.0,
        deadline: r.deadline.parse().expect("a deadline"),
    };
    let prompt = Keypair::from_seed(&PROVIDER_SEED)
        .open(Purpose::Prompt, &Context::prompt(&place), &r.sealed_prompt)
        .expect("Rust opens the prompt TypeScript sealed, in its request's place");
    let prompt = String::from_utf8(prompt).expect("UTF-8");
    assert_eq!(prompt, r.prompt);
    assert_eq!(prompt, "What does our community value most?");
    let answer = rust_open(
        Purpose::Answer,
        &REQUESTER_SEED,
        s.chain_id,
        core.bridge,
        id,
        &r.sealed_answer.to_string(),
    );
    assert_eq!(answer, r.answer);
    assert!(answer.starts_with("Principal stays yours"), "{answer}");

    let world = World { url: node.url(), file, core, community: c, deployer: s.provider.clone() };
    run_examples(&world, &r, holder, &accounts[4]).await;
    drop(p);
    node.stop().await.expect("node stops");
}

/// The chain the examples run on.
struct World {
    url: String,
    file: PathBuf,
    core: Core,
    community: deploy::manifest::Community,
    /// The deployer's provider (account 0 signs).
    deployer: DynProvider,
}

/// Every example against the chain the TypeScript test left behind: read
/// credits, watch and open request `r.id`, deposit as a newcomer, ask in
/// plain text as the key holder.
async fn run_examples(w: &World, r: &Report, holder: &DevAccount, newcomer: &DevAccount) {
    let key = |k: &B256| k.to_string();
    let id: u64 = r.id.parse().expect("a request id");
    let bridge = IOracleBridge::new(w.core.bridge, &w.deployer);
    // The examples run against the same chain.
    let example_env = vec![
        ("COMPUTE_FI_RPC_URL", w.url.clone()),
        ("COMPUTE_FI_DEPLOYMENTS", w.file.display().to_string()),
        ("COMPUTE_FI_COMMUNITY", COMMUNITY.to_owned()),
    ];
    let credits = example("credits", &[], &example_env).await;
    assert!(credits.contains(&format!("spendable {}", r.credits_after_answer)), "{credits}");
    let watched = example("watch", &[&r.id], &example_env).await;
    assert!(watched.contains(&format!("request {id}: settled")), "{watched}");
    let with_seed =
        [example_env.clone(), vec![("REQUESTER_SEED", B256::from(REQUESTER_SEED).to_string())]]
            .concat();
    let opened = example("open", &[&r.id], &with_seed).await;
    assert_eq!(opened.trim(), r.answer);
    // A newcomer with some of the asset deposits; the key holder asks in plain text.
    let asset = bindings::ITestDoubles::new(w.core.asset, &w.deployer);
    let mint = asset.mint(newcomer.address, U256::from(10u64.pow(17))).send().await.unwrap();
    assert!(mint.get_receipt().await.unwrap().status());
    let as_newcomer = [example_env.clone(), vec![("PRIVATE_KEY", key(&newcomer.key))]].concat();
    let deposited = example("deposit", &["0.1"], &as_newcomer).await;
    assert!(deposited.contains("deposited 0.1 into TS community's vault"), "{deposited}");
    let position = IVault::new(w.community.vault, &w.deployer)
        .positionOf(newcomer.address)
        .call()
        .await
        .unwrap();
    assert_eq!(position.principal, U256::from(10u64.pow(17)));
    let as_holder = [example_env.clone(), vec![("PRIVATE_KEY", key(&holder.key))]].concat();
    let asked = example("ask", &["Who are we?"], &as_holder).await;
    let next = id + 1;
    assert!(asked.contains(&format!("request {next} in block")), "{asked}");
    assert_eq!(bridge.result(next).call().await.unwrap().status, 1, "the new request is open");
}

/// Runs `dist/examples/<name>.js` with `args` and `env`; its stdout.
async fn example(name: &str, args: &[&str], env: &[(&'static str, String)]) -> String {
    let dir = prepared();
    let mut node = Command::new("node");
    node.current_dir(dir).arg(format!("dist/examples/{name}.js")).args(args);
    node.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let ran =
        tokio::task::spawn_blocking(move || run(node, NODE_LIMIT)).await.expect("node thread");
    succeeded(&ran, &format!("example {name}"))
}
