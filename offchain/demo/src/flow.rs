//! The demo's steps, each printing what it does.

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::{utils::format_ether, Address, Bytes, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};
use anyhow::{bail, ensure, Context, Result};
use bindings::{IComputeCredits, IOracleBridge, ITestDoubles, IVault, IERC20};
use deploy::{community::CommunitySpec, core::Core, local, manifest::Community};
use tokio::sync::watch;

use crate::{
    actors::{fund_gas, Actor},
    report::Figures,
};

const MEMBERS: usize = 20;
const STEPS: usize = 10;
const QUESTION: &str = "Why is saving money together good for a community?";
const YEAR: u64 = 365 * 24 * 60 * 60;
/// The community's instructions, which the worker serves as the system prompt.
const SYSTEM_PROMPT: &str = "You are the community's AI. Answer in one short, friendly sentence.";

pub(crate) fn step(n: usize, what: &str) {
    println!("\n[{n}/{STEPS}] {what}");
}

pub(crate) async fn mined(
    what: &str,
    call: impl std::future::IntoFuture<
        Output = alloy::contract::Result<
            alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
        >,
    >,
) -> Result<TransactionReceipt> {
    let receipt = call.await.with_context(|| what.to_owned())?.get_receipt().await?;
    ensure!(receipt.status(), "{what}: reverted");
    Ok(receipt)
}

/// The chain, the contracts, the community and its people.
pub(crate) struct World {
    pub(crate) node: devnode::Node,
    pub(crate) admin: Actor,
    pub(crate) core: Core,
    pub(crate) community: Community,
    pub(crate) members: Vec<Actor>,
}

/// Runs every step; returns the figures for the table.
pub(crate) async fn run() -> Result<Figures> {
    let mut f = Figures { members: MEMBERS, question: QUESTION.into(), ..Figures::default() };
    let w = setup(&mut f).await?;
    deposits(&w, &mut f).await?;
    year_of_yield(&w, &mut f).await?;
    let (stop, worker, operator, backend) = start_worker(&w).await?;
    ask(&w, &mut f).await?;
    // One process per operator key: the request loop stops before the
    // chat API sends the session's transactions.
    let _ = stop.send(true);
    worker.await.context("the worker task")??;
    crate::chat::chat(&w, &operator, backend, &mut f).await?;
    settle(&w, &operator, &mut f).await?;
    exits(&w, &mut f).await?;
    Ok(f)
}

async fn setup(f: &mut Figures) -> Result<World> {
    step(1, "Starting a local Stylus chain (devnode) in this process");
    let node = devnode::spawn(devnode::Config { port: 0, ..devnode::Config::default() }).await?;
    println!("      JSON-RPC at {} · chain id {}", node.url(), 412_346);
    step(2, "Deploying the contracts and creating the community");
    let signer = alloy::signers::local::PrivateKeySigner::from_bytes(&node.accounts()[0].key)?;
    let admin = Actor::new(&node.url(), signer.clone())?;
    let out = tempfile::tempdir()?;
    let spec = CommunitySpec {
        instructions: SYSTEM_PROMPT.into(),
        // Inline, so that the worker can read them and check them against
        // the hash on the AI NFT without any network.
        instructions_uri: format!(
            "data:,{}",
            SYSTEM_PROMPT.replace('%', "%25").replace(' ', "%20")
        ),
        soulbound: true,
        ..CommunitySpec::new("Demo community", 1)
    };
    let members =
        (0..MEMBERS).map(|i| Actor::member(&node.url(), i)).collect::<Result<Vec<_>>>()?;
    let local::Local { session, core, community } =
        local::community(&node.url(), signer, out.path().into(), &spec, members[0].address).await?;
    print!("{}", session.plan);
    println!(
        "      AI #{} · its account {} · vault {} · keys {}",
        community.ai_id, community.account, community.vault, community.keys
    );
    println!("      member 1 ({}) holds key #1: the key to the community's AI", members[0].address);
    f.deposit = U256::from(10u64.pow(17));
    Ok(World { node, admin, core, community, members })
}

async fn deposits(w: &World, f: &mut Figures) -> Result<()> {
    step(3, &format!("{MEMBERS} members deposit {} tWETH each", format_ether(f.deposit)));
    for (i, m) in w.members.iter().enumerate() {
        fund_gas(&w.admin.provider, m.address, 1).await?;
        let test_double = ITestDoubles::new(w.core.asset, &m.provider);
        mined("mint tWETH", test_double.mint(m.address, f.deposit).send()).await?;
        let token = IERC20::new(w.core.asset, &m.provider);
        mined("approve", token.approve(w.community.vault, f.deposit).send()).await?;
        let vault = IVault::new(w.community.vault, &m.provider);
        mined("deposit", vault.deposit(f.deposit, Address::ZERO, 0).send()).await?;
        if (i + 1) % 5 == 0 {
            println!("      {} of {MEMBERS} deposited", i + 1);
        }
    }
    let state = IVault::new(w.community.vault, &w.admin.provider).state().call().await?;
    f.principal = state.principal;
    println!("      vault principal: {} tWETH", format_ether(f.principal));
    Ok(())
}

async fn year_of_yield(w: &World, f: &mut Figures) -> Result<()> {
    step(4, "A year passes; the yield source earns 5 % (simulated by the local test double)");
    let p = &w.admin.provider;
    let _: serde_json::Value =
        p.raw_request("evm_increaseTime".into(), serde_json::json!([YEAR])).await?;
    let _: serde_json::Value = p.raw_request("evm_mine".into(), serde_json::json!([])).await?;
    f.yield_earned = f.principal * U256::from(5) / U256::from(100);
    let source = ITestDoubles::new(w.core.source, p);
    mined("simulate the year's gain", source.simulateGain(f.yield_earned).send()).await?;
    step(5, "A member harvests: only the yield leaves the source, as compute credits for the AI");
    let harvester = &w.members[MEMBERS - 1];
    let receipt =
        mined("harvest", IVault::new(w.community.vault, &harvester.provider).harvest().send())
            .await?;
    let h = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| IVault::Harvested::decode_log(&l.inner).ok())
        .context("no Harvested event")?;
    (f.harvested, f.tip, f.credits_minted) = (h.surplus, h.tip, h.credits);
    let credits =
        IComputeCredits::new(w.core.ledger, p).spendableOf(w.community.account).call().await?;
    ensure!(
        credits == f.credits_minted,
        "the AI's account holds {credits}, not the {} minted",
        f.credits_minted
    );
    println!(
        "      surplus {} → tip {} + credits {} to the AI's account",
        format_ether(f.harvested),
        format_ether(f.tip),
        format_ether(f.credits_minted)
    );
    Ok(())
}

type WorkerTask = tokio::task::JoinHandle<Result<()>>;

async fn start_worker(
    w: &World,
) -> Result<(watch::Sender<bool>, WorkerTask, Actor, Arc<dyn inference::Backend>)> {
    step(6, "A GPU operator bonds, registers and starts the worker (SmolLM2-135M-Instruct, embedded, CPU)");
    let operator = Actor::new(
        &w.node.url(),
        alloy::signers::local::PrivateKeySigner::from_bytes(&w.node.accounts()[1].key)?,
    )?;
    let bond = U256::from(2) * U256::from(10u64.pow(18));
    mined(
        "mint the bond",
        ITestDoubles::new(w.core.asset, &w.admin.provider).mint(operator.address, bond).send(),
    )
    .await?;
    let state = tempfile::tempdir()?.keep();
    let config = worker_config(w, &state)?;
    let reader = worker::chain::provider(&w.node.url(), Duration::from_secs(10), None)?;
    let sender = worker::chain::provider(
        &w.node.url(),
        Duration::from_secs(10),
        Some(operator.signer.clone()),
    )?;
    let txm = worker::txm::TxManager::new(sender, operator.address, 412_346, config.tx.clone());
    worker::register::register(&reader, &txm, w.core.bridge, 1, bond, B256::ZERO, "local demo")
        .await?;
    let started = std::time::Instant::now();
    let backend = worker::run::backend(&config.model.backend).await?;
    println!(
        "      model loaded in {:.1} s · bonded {} tWETH",
        started.elapsed().as_secs_f64(),
        format_ether(bond)
    );
    let metrics = Arc::new(worker::metrics::Metrics::new());
    let wk = worker::run::worker(&config, operator.signer.clone(), None, backend.clone(), metrics)
        .await?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(worker::run::until_stopped(wk, config.chain.poll_interval(), stopped));
    Ok((stop, task, operator, backend))
}

fn worker_config(w: &World, state: &std::path::Path) -> Result<worker::config::Config> {
    let text = format!(
        "state_dir = {:?}\nlisten = \"127.0.0.1:0\"\n[chain]\nrpc_url = {:?}\nbridge = \"{}\"\nconfirmations = 0\npoll_interval_ms = 200\n[keys]\n[model]\nid = 1\nsystem_prompt = {:?}\nbackend = {{ kind = \"embedded\" }}\n",
        state.display().to_string(),
        w.node.url(),
        w.core.bridge,
        SYSTEM_PROMPT
    );
    worker::config::Config::parse(&text, std::env::vars())
}

async fn ask(w: &World, f: &mut Figures) -> Result<()> {
    step(7, "Member 1 asks the community AI; the AI's account pays under the community's policy");
    println!("      Q: {QUESTION}");
    let holder = &w.members[0].provider;
    let now = holder
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .context("no block")?
        .header
        .timestamp;
    let bridge = IOracleBridge::new(w.core.bridge, holder);
    let call = bridge.request(
        1,
        w.community.account,
        Bytes::from(QUESTION.as_bytes().to_vec()),
        B256::ZERO,
        Bytes::new(),
        // Room for the worker's chat template and system prompt around the
        // question: it refuses a request that declares fewer input tokens
        // than it will run (the settlement pays only what it reports).
        256,
        64,
        now + 3_600,
        false,
        B256::ZERO,
        Address::ZERO,
        w.community.keys,
        U256::from(1),
        Vec::new(),
    );
    let id = call.call().await.context("simulating the request")?;
    let receipt = mined("request", call.send()).await?;
    let requested = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| IOracleBridge::Requested::decode_log(&l.inner).ok())
        .context("no Requested event")?;
    f.escrowed = requested.maxCost;
    let started = std::time::Instant::now();
    let from = receipt.block_number.context("a mined request without a block")?;
    let (ended, answer) = wait_for_end(&w.admin.provider, w.core.bridge, id, from).await?;
    f.tokens = (answer.inputTokens, answer.outputTokens);
    f.answer_seconds = started.elapsed().as_secs_f64();
    f.refunded = ended.refunded;
    f.cost = ended.paid;
    f.answer = String::from_utf8_lossy(&answer.output).into_owned();
    println!("      A: {}", f.answer.trim());
    println!("      answered on chain {:.1} s after the request", f.answer_seconds);
    Ok(())
}

/// Waits (up to five minutes) for request `id`'s `Ended` event, reading
/// the bridge's logs from the request's block `from`; returns it with the
/// `Fulfilled` event that carries the settled output (the bridge keeps only
/// its hash).
async fn wait_for_end(
    p: &DynProvider,
    bridge: Address,
    id: u64,
    from: u64,
) -> Result<(IOracleBridge::Ended, IOracleBridge::Fulfilled)> {
    use alloy::rpc::types::Filter;
    for _ in 0..1_500 {
        let logs = p.get_logs(&Filter::new().address(bridge).from_block(from)).await?;
        let ended = logs
            .iter()
            .filter_map(|l| IOracleBridge::Ended::decode_log(&l.inner).ok())
            .find(|e| e.id == id);
        if let Some(ended) = ended {
            ensure!(
                ended.status == 2,
                "request {id} ended with status {}, not settled",
                ended.status
            );
            let fulfilled = logs
                .iter()
                .filter_map(|l| IOracleBridge::Fulfilled::decode_log(&l.inner).ok())
                .find(|e| e.id == id && e.outputHash == ended.outputHash)
                .context("a settled request without a Fulfilled event of its output")?;
            return Ok((ended.data, fulfilled.data));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("request {id} was not answered within five minutes")
}

async fn settle(w: &World, operator: &Actor, f: &mut Figures) -> Result<()> {
    step(9, "The operator redeems its earnings; the AI keeps the rest of its credits");
    let ledger = IComputeCredits::new(w.core.ledger, &operator.provider);
    let earned = ledger.earnedOf(operator.address).call().await?;
    let charged = f.cost + f.session_cost;
    ensure!(earned == charged, "the operator earned {earned}, not the {charged} charged");
    let token = IERC20::new(w.core.asset, &operator.provider);
    let before = token.balanceOf(operator.address).call().await?;
    mined("redeem", ledger.redeem(earned, operator.address).send()).await?;
    f.redeemed = token.balanceOf(operator.address).call().await? - before;
    f.credits_left = ledger.spendableOf(w.community.account).call().await?;
    println!(
        "      operator redeemed {} tWETH · the AI's account has {} credits left",
        format_ether(f.redeemed),
        format_ether(f.credits_left)
    );
    Ok(())
}

async fn exits(w: &World, f: &mut Figures) -> Result<()> {
    step(10, "Every member exits with its principal");
    for (i, m) in w.members.iter().enumerate() {
        let token = IERC20::new(w.core.asset, &m.provider);
        let before = token.balanceOf(m.address).call().await?;
        let vault = IVault::new(w.community.vault, &m.provider);
        mined("withdraw", vault.withdraw(f.deposit, m.address).send()).await?;
        f.returned.push(token.balanceOf(m.address).call().await? - before);
        if (i + 1) % 5 == 0 {
            println!("      {} of {MEMBERS} exited", i + 1);
        }
    }
    Ok(())
}
