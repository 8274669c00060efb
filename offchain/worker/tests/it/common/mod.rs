//! A devnode with the project's contracts deployed by the deploy tool, a
//! community whose AI's account holds credits, a key holder, and workers
//! built on the real model.
// `pub` because the latency example includes this module by path.
#![allow(unreachable_pub)]

pub mod flaky;

use std::{path::Path, sync::Arc, sync::OnceLock};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use bindings::{IComputeCredits, IOracleBridge, ITestDoubles, IERC20};
use deploy::{community::CommunitySpec, core::Core, local, manifest::Community};
use devnode::Node;
use inference::{Backend, CpuBackend, CpuConfig};
use worker::{config::Config, metrics::Metrics, service::Worker};

/// The model id the deploy tool registers first.
pub const MODEL: u32 = 1;
/// The provider's bond.
pub const BOND: u128 = 2_000_000_000_000_000_000;

/// The chain, its contracts and the actors.
pub struct World {
    pub node: Node,
    pub core: Core,
    pub community: Community,
    /// Dev account 0: deployed everything, owns the AI.
    pub admin: DynProvider,
}

pub fn signer(node: &Node, index: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&node.accounts()[index].key).expect("dev key")
}

pub fn wallet_provider(node: &Node, index: usize) -> DynProvider {
    let url = node.url().parse().expect("url");
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer(node, index)))
        .connect_http(url)
        .erased()
}

/// Deploys core and a community, gives the AI's account 1 ETH of credits
/// and dev account 2 a key.
pub async fn world() -> World {
    // RUST_LOG=worker=debug shows what the workers do.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let node = devnode::spawn(devnode::Config { port: 0, ..devnode::Config::default() })
        .await
        .expect("node");
    let dir = tempfile::tempdir().unwrap();
    let spec = CommunitySpec {
        quota: U256::from(10u128.pow(17)),
        ..CommunitySpec::new("Worker test", MODEL)
    };
    let holder = node.accounts()[2].address;
    let local::Local { session: s, core, community } =
        local::community(&node.url(), signer(&node, 0), dir.path().into(), &spec, holder)
            .await
            .expect("a community");
    let admin = wallet_provider(&node, 0);
    let credits = U256::from(10u128.pow(18));
    let token = ITestDoubles::new(core.asset, &admin);
    token.mint(s.from, credits).send().await.unwrap().get_receipt().await.unwrap();
    let asset = IERC20::new(core.asset, &admin);
    asset.approve(core.ledger, credits).send().await.unwrap().get_receipt().await.unwrap();
    let ledger = IComputeCredits::new(core.ledger, &admin);
    let r =
        ledger.topUp(community.account, credits).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    World { node, core, community, admin }
}

/// The real model, loaded once per test binary (installed by the script
/// when missing).
pub fn backend() -> Arc<dyn Backend> {
    static BACKEND: OnceLock<Arc<CpuBackend>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            let path = inference::locate_model().unwrap_or_else(|_| {
                let script =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-model.sh");
                let status = std::process::Command::new("bash")
                    .arg(script)
                    .status()
                    .expect("install script runs");
                assert!(status.success(), "installing the model failed");
                inference::locate_model().expect("model installed")
            });
            let mut config = CpuConfig::new(path);
            config.threads = 1;
            Arc::new(CpuBackend::load(&config).expect("model loads"))
        })
        .clone()
}

/// Mints `amount` of the asset to dev account `index` (a provider-to-be).
pub async fn fund(w: &World, to: Address, amount: U256) {
    let token = ITestDoubles::new(w.core.asset, &w.admin);
    token.mint(to, amount).send().await.unwrap().get_receipt().await.unwrap();
}

/// Config of a worker with dev account `index` as its key.
pub fn config(w: &World, state: &Path, extra: &str) -> Config {
    let text = format!(
        r#"
state_dir = "{}"
listen = "127.0.0.1:0"
[chain]
rpc_url = "{}"
bridge = "{}"
confirmations = 0
poll_interval_ms = 50
rpc_timeout_ms = 1000
[keys]
[model]
id = {MODEL}
system_prompt = "You are a helpful assistant. Answer in one short sentence."
margin_seconds = 5
backend = {{ kind = "embedded" }}
[tx]
receipt_timeout_secs = 5
max_bumps = 2
max_retries = 4
{extra}"#,
        state.display(),
        w.node.url(),
        w.core.bridge,
    );
    Config::parse(&text, []).expect("config")
}

/// A registered worker with dev account `index`.
pub async fn worker(
    w: &World,
    index: usize,
    state: &Path,
    rpc: Option<&str>,
) -> (Worker, Arc<Metrics>) {
    let mut config = config(w, state, "");
    if let Some(rpc) = rpc {
        config.chain.rpc_url = rpc.to_owned();
    }
    worker_with(w, index, config, None, backend()).await
}

/// A registered worker with dev account `index`, `config`, the X25519 key
/// of `seal_seed` (published in the registry) and `backend`.
pub async fn worker_with(
    w: &World,
    index: usize,
    config: Config,
    seal_seed: Option<[u8; 32]>,
    backend: Arc<dyn Backend>,
) -> (Worker, Arc<Metrics>) {
    let seal_key = seal_seed.map(|seed| sealing::Keypair::from_seed(&seed));
    let published = seal_key.as_ref().map_or(B256::ZERO, |k| B256::from(k.public_key()));
    let me = w.node.accounts()[index].address;
    fund(w, me, U256::from(BOND)).await;
    let reader =
        worker::chain::provider(&w.node.url(), std::time::Duration::from_secs(5), None).unwrap();
    let sender = worker::chain::provider(
        &w.node.url(),
        std::time::Duration::from_secs(5),
        Some(signer(&w.node, index)),
    )
    .unwrap();
    let txm = worker::txm::TxManager::new(sender, me, 412_346, config.tx.clone());
    worker::register::register(
        &reader,
        &txm,
        w.core.bridge,
        MODEL,
        U256::from(BOND),
        published,
        "test",
    )
    .await
    .expect("registered");
    let metrics = Arc::new(Metrics::new());
    let worker =
        worker::run::worker(&config, signer(&w.node, index), seal_key, backend, metrics.clone())
            .await
            .expect("worker");
    (worker, metrics)
}

/// The chain's time now.
pub async fn now(w: &World) -> u64 {
    let latest = w.admin.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest).await;
    latest.unwrap().unwrap().header.timestamp
}

/// A request as the key holder (dev account 2) sends it.
#[derive(Debug, Clone)]
pub struct Ask {
    pub prompt: Bytes,
    pub prompt_hash: B256,
    pub prompt_uri: Bytes,
    pub input_tokens: u32,
    pub max_output_tokens: u32,
    pub deadline: u64,
    pub encrypted: bool,
    pub requester_key: B256,
    /// Who may claim it (empty: any provider).
    pub providers: Vec<Address>,
}

impl Ask {
    /// An inline prompt with room for the template, 48 answer tokens.
    pub fn inline(prompt: impl Into<Bytes>, deadline: u64) -> Self {
        Self {
            prompt: prompt.into(),
            prompt_hash: B256::ZERO,
            prompt_uri: Bytes::new(),
            input_tokens: 64,
            max_output_tokens: 48,
            deadline,
            encrypted: false,
            requester_key: B256::ZERO,
            providers: Vec::new(),
        }
    }

    /// A prompt given by `uri` with `hash`.
    pub fn by_uri(uri: &str, hash: B256, deadline: u64) -> Self {
        Self {
            prompt_hash: hash,
            prompt_uri: Bytes::copy_from_slice(uri.as_bytes()),
            ..Self::inline(Bytes::new(), deadline)
        }
    }

    /// Where a prompt sealed for this request belongs (the key holder
    /// sends it, the AI's account pays).
    pub fn place(&self, w: &World) -> sealing::PromptPlace {
        sealing::PromptPlace {
            chain_id: 412_346,
            bridge: w.core.bridge.into(),
            model: MODEL,
            payer: w.community.account.into(),
            requester: w.node.accounts()[2].address.into(),
            requester_key: self.requester_key.0,
            deadline: self.deadline,
        }
    }

    /// `text` sealed to `provider` for this request, answered to
    /// `requester_key`; the request names the tests' worker (dev account 1),
    /// as a sealed request must name its provider.
    pub fn sealed(
        mut self,
        w: &World,
        provider: &[u8; 32],
        text: &str,
        requester_key: B256,
    ) -> Self {
        self.encrypted = true;
        self.providers = vec![w.node.accounts()[1].address];
        self.requester_key = requester_key;
        let context = sealing::Context::prompt(&self.place(w));
        let sealed =
            sealing::seal(provider, sealing::Purpose::Prompt, &context, text.as_bytes()).unwrap();
        self.prompt = sealed.into();
        self
    }
}

/// The key holder sends `a`; returns the request id.
pub async fn request(w: &World, a: &Ask) -> u64 {
    let holder = wallet_provider(&w.node, 2);
    let bridge = IOracleBridge::new(w.core.bridge, &holder);
    let call = bridge.request(
        MODEL,
        w.community.account,
        a.prompt.clone(),
        a.prompt_hash,
        a.prompt_uri.clone(),
        a.input_tokens,
        a.max_output_tokens,
        a.deadline,
        a.encrypted,
        a.requester_key,
        Address::ZERO,
        w.community.keys,
        U256::from(1),
        a.providers.clone(),
    );
    let id = call.call().await.expect("request simulates");
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    id
}

/// Who holds slot 0 of request `id` (zero when nobody ever claimed it, it
/// was reopened, or it is only reserved for the provider the request names).
pub async fn leaseholder(w: &World, id: u64) -> Address {
    let lease = IOracleBridge::new(w.core.bridge, &w.admin).leaseOf(id, 0).call().await.unwrap();
    // Phases: 0 free, 1 named (not claimed), 2 leased and on.
    if lease.phase >= 2 {
        lease.provider
    } else {
        Address::ZERO
    }
}

/// The key holder asks `prompt`; returns the request id.
pub async fn ask(w: &World, prompt: &str, deadline_in: u64) -> u64 {
    // A fresh provider: a cached nonce would be stale after a reorg.
    let holder = wallet_provider(&w.node, 2);
    let now = holder
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let bridge = IOracleBridge::new(w.core.bridge, &holder);
    let call = bridge.request(
        MODEL,
        w.community.account,
        Bytes::copy_from_slice(prompt.as_bytes()),
        B256::ZERO,
        Bytes::new(),
        64,
        48,
        now + deadline_in,
        false,
        B256::ZERO,
        Address::ZERO,
        w.community.keys,
        U256::from(1),
        Vec::new(),
    );
    let id = call.call().await.expect("request simulates");
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    id
}

/// Steps `worker` until request `id` is no longer open on chain and the
/// worker has forgotten it, or `max` rounds. Step errors (RPC failures the
/// worker logs and retries) do not stop it.
pub async fn drive(w: &World, worker: &mut Worker, id: u64, max: usize) {
    for _ in 0..max {
        let _ = worker.step(true).await;
        if worker.tracker().get(id).is_none() && status(w, id).await != 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The request's status (0 none, 1 open, 2 settled, 3 refunded, 4 disputed).
pub async fn status(w: &World, id: u64) -> u8 {
    IOracleBridge::new(w.core.bridge, &w.admin).result(id).call().await.unwrap().status
}

/// Request `id`'s `Fulfilled` events.
pub async fn fulfilled(w: &World, id: u64) -> Vec<IOracleBridge::Fulfilled> {
    use alloy::{rpc::types::Filter, sol_types::SolEvent};
    let filter = Filter::new()
        .address(w.core.bridge)
        .from_block(0)
        .event_signature(IOracleBridge::Fulfilled::SIGNATURE_HASH);
    let logs = w.admin.get_logs(&filter).await.unwrap();
    logs.iter()
        .filter_map(|l| IOracleBridge::Fulfilled::decode_log(&l.inner).ok())
        .map(|e| e.data)
        .filter(|e| e.id == id)
        .collect()
}

/// How many `Fulfilled` events request `id` has.
pub async fn fulfilments(w: &World, id: u64) -> usize {
    fulfilled(w, id).await.len()
}

/// The settled output of request `id`: the bridge keeps its hash, the
/// `Fulfilled` event that carries that hash holds the bytes.
pub async fn output(w: &World, id: u64) -> alloy::primitives::Bytes {
    let hash =
        IOracleBridge::new(w.core.bridge, &w.admin).result(id).call().await.unwrap().outputHash;
    let event = fulfilled(w, id).await.into_iter().find(|e| e.outputHash == hash);
    event.expect("a Fulfilled event with the settled hash").output
}

/// Runs `script` with `OpenAI`'s Python SDK (3.60.0, installed from `PyPI` by
/// `scripts/install-openai-client.sh`) and `args`; returns the JSON it
/// prints.
pub async fn openai_python(script: &'static str, args: &[&str]) -> serde_json::Value {
    let install = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/install-openai-client.sh");
    let installed = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash").arg(install).output()
    })
    .await
    .unwrap()
    .expect("the install script runs");
    assert!(installed.status.success(), "{}", String::from_utf8_lossy(&installed.stderr));
    let site = String::from_utf8(installed.stdout).unwrap().trim().to_owned();
    let mut python = std::process::Command::new("python3");
    python.env("PYTHONPATH", &site).args(["-c", script]).args(args);
    let ran = tokio::task::spawn_blocking(move || python.output()).await.unwrap().expect("python3");
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    serde_json::from_slice(&ran.stdout).expect("the script's JSON")
}
