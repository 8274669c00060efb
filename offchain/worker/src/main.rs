//! `computefi-worker`: see the library's documentation and `--help`.

// clap prints these doc comments as `--help`, where backticks would show.
#![allow(clippy::doc_markdown)]

use std::{path::PathBuf, sync::Arc, time::Duration};

use alloy::primitives::{Address, B256, U256};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::sync::watch;
use worker::{
    chain, chat_api,
    config::Config,
    keeper::{Keeper, KeeperConfig},
    keys,
    metrics::Metrics,
    run,
    sessions::{DeskConfig, SessionDesk},
    txm::TxManager,
};

/// Answers the Compute-Fi oracle bridge's inference requests.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The TOML config (every field can be overridden by
    /// COMPUTEFI_WORKER__<SECTION>__<FIELD>).
    #[arg(long, short, env = "COMPUTEFI_WORKER_CONFIG", default_value = "worker.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Watch the bridge and serve requests (the default).
    Run,
    /// Register as a provider of the configured model (bond, seal key, endpoint).
    Register {
        /// The bond, in base units of the registry's asset.
        #[arg(long)]
        bond: U256,
        /// The endpoint published (informational).
        #[arg(long, default_value = "")]
        endpoint: String,
    },
    /// Harvest vaults when the tip pays for the gas times a margin, and
    /// claim the credits of the members named (metrics on `listen`).
    Keeper {
        /// A vault to harvest (repeat for several).
        #[arg(long = "vault", required = true)]
        vaults: Vec<Address>,
        /// A member whose waiting credits are claimed (repeat for several).
        #[arg(long = "claim-for")]
        claim_for: Vec<Address>,
        /// How much the tip must exceed the gas cost, in basis points of it.
        #[arg(long, default_value_t = 15_000)]
        margin_bps: u32,
        /// Seconds between rounds.
        #[arg(long, default_value_t = 600)]
        interval: u64,
    },
    /// Serve an OpenAI-compatible chat API (/v1/models, /v1/chat/completions,
    /// streaming too) over the configured model, off chain.
    Chat {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: std::net::SocketAddr,
        /// The environment variable holding the bearer key every request
        /// must carry (none: the API is open; bind it to localhost).
        #[arg(long)]
        api_key_env: Option<String>,
        /// Output tokens when a request names none.
        #[arg(long, default_value_t = 256)]
        default_max_tokens: u32,
        /// The most output tokens a request may ask for.
        #[arg(long, default_value_t = 2_048)]
        max_tokens: u32,
        /// The most answers in flight at once; more get 429.
        #[arg(long, default_value_t = 8)]
        max_in_flight: usize,
        /// The AI NFT whose AIs (of the configured model) are served as
        /// model `ai:<id>`, with their instructions as the system prompt.
        #[arg(long)]
        ai_nft: Option<Address>,
        /// An IPFS HTTP gateway for `ipfs://` instructions.
        #[arg(long)]
        ipfs_gateway: Option<String>,
        /// The sessions program: every answer is then paid by a session
        /// named in X-Computefi-Session (402 otherwise), accepted on chain
        /// with the configured key on first use.
        #[arg(long)]
        sessions: Option<Address>,
        /// Answers served in a session that may lack a signed receipt
        /// before the next one is refused.
        #[arg(long, default_value_t = 1)]
        max_unsigned: u64,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::load(&cli.config)?;
    let signer = || keys::signing_key(config.keys.signing_key_file.as_deref());
    let seal_key = || keys::seal_key(config.keys.seal_key_file.as_deref());
    match cli.command.unwrap_or(Command::Run) {
        Command::Register { bond, endpoint } => {
            let (signer, seal_key) = (signer()?, seal_key()?);
            let timeout = Duration::from_millis(config.chain.rpc_timeout_ms);
            let me = signer.address();
            let reader = chain::provider(&config.chain.rpc_url, timeout, None)?;
            let sender = chain::provider(&config.chain.rpc_url, timeout, Some(signer))?;
            let chain_id = alloy::providers::Provider::get_chain_id(&reader).await?;
            let txm = TxManager::new(sender, me, chain_id, config.tx.clone());
            let key = seal_key.map_or(B256::ZERO, |k| B256::from(k.public_key()));
            worker::register::register(
                &reader,
                &txm,
                config.chain.bridge,
                config.model.id,
                bond,
                key,
                &endpoint,
            )
            .await?;
            println!("{me} serves model {} on {}", config.model.id, config.chain.bridge);
            Ok(())
        }
        Command::Keeper { vaults, claim_for, margin_bps, interval } => {
            let keeper = KeeperConfig { vaults, claim_for, margin_bps };
            let signer = signer()?;
            keep(config, signer, keeper, Duration::from_secs(interval)).await
        }
        Command::Run => {
            let (signer, seal_key) = (signer()?, seal_key()?);
            serve(config, signer, seal_key).await
        }
        Command::Chat {
            listen,
            api_key_env,
            default_max_tokens,
            max_tokens,
            max_in_flight,
            ai_nft,
            ipfs_gateway,
            sessions,
            max_unsigned,
        } => {
            let limits = chat_api::Limits { default_max_tokens, max_tokens, max_in_flight };
            let ais = match ai_nft {
                Some(nft) => {
                    Some(Arc::new(ai_source(&config, nft, ipfs_gateway, seal_key()?).await?))
                }
                None => None,
            };
            let desk = match sessions {
                Some(contract) => {
                    let desk = DeskConfig { contract, model: config.model.id, max_unsigned };
                    Some(Arc::new(session_desk(&config, signer()?, desk).await?))
                }
                None => None,
            };
            chat(&config, listen, api_key_env.as_deref(), limits, (ais, desk)).await
        }
    }
}

/// Where the chat API finds AIs: the AI NFT `nft` on the configured
/// chain, instructions fetched under the prompt rules, and those sealed to
/// the worker's key (`seal_key`) opened.
async fn ai_source(
    config: &Config,
    nft: Address,
    ipfs_gateway: Option<String>,
    seal_key: Option<sealing::Keypair>,
) -> Result<chat_api::AiSource> {
    let timeout = Duration::from_millis(config.chain.rpc_timeout_ms);
    let prompts = &config.prompts;
    let fetcher = worker::fetch::Fetcher::new(
        prompts.max_uri_bytes,
        Duration::from_millis(prompts.fetch_timeout_ms),
        prompts.allow_private_hosts,
    )?;
    let provider = chain::provider(&config.chain.rpc_url, timeout, None)?;
    let mut instructions = worker::instructions::Instructions::new(fetcher, ipfs_gateway);
    if let Some(key) = seal_key {
        let chain_id = alloy::providers::Provider::get_chain_id(&provider).await?;
        instructions = instructions.with_seal_key(key, chain_id);
    }
    Ok(chat_api::AiSource { provider, nft, model: config.model.id, instructions })
}

/// The sessions desk, sending with `signer` through its own transaction
/// manager.
async fn session_desk(
    config: &Config,
    signer: alloy::signers::local::PrivateKeySigner,
    desk: DeskConfig,
) -> Result<SessionDesk> {
    let timeout = Duration::from_millis(config.chain.rpc_timeout_ms);
    let me = signer.address();
    let reader = chain::provider(&config.chain.rpc_url, timeout, None)?;
    let sender = chain::provider(&config.chain.rpc_url, timeout, Some(signer))?;
    let chain_id = alloy::providers::Provider::get_chain_id(&reader).await?;
    let txm = Arc::new(TxManager::new(sender, me, chain_id, config.tx.clone()));
    let kept = config.state_dir.join("sessions.json");
    SessionDesk::new(reader, txm, desk, Some(kept)).await
}

async fn chat(
    config: &Config,
    listen: std::net::SocketAddr,
    api_key_env: Option<&str>,
    limits: chat_api::Limits,
    (ais, desk): (Option<Arc<chat_api::AiSource>>, Option<Arc<SessionDesk>>),
) -> Result<()> {
    let api_key = match api_key_env {
        Some(var) => {
            Some(std::env::var(var).with_context(|| format!("reading the API key from ${var}"))?)
        }
        None => None,
    };
    let backend = run::backend(&config.model.backend).await?;
    let model = backend.model_name().to_owned();
    let app = chat_api::router_with_sessions(backend, limits, api_key, ais, desk.clone());
    let addr = worker::http::serve(listen, app, shutdown_signal(), "chat API")
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(%addr, %model, "OpenAI-compatible chat API: {addr}/v1");
    let Some(desk) = desk else {
        shutdown_signal().await;
        return Ok(());
    };
    // Answer the payers' closes, close expired sessions and settle our own
    // closes, until asked to stop; then close every session with its
    // newest receipt (anyone settles them once the window is over).
    let tend = async {
        loop {
            let _ = desk.tend().await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    };
    tokio::select! {
        () = shutdown_signal() => {}
        () = tend => {}
    }
    desk.close_all().await;
    Ok(())
}

async fn keep(
    config: Config,
    signer: alloy::signers::local::PrivateKeySigner,
    keeper: KeeperConfig,
    interval: Duration,
) -> Result<()> {
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop) = watch::channel(false);
    let mut http_stop = stop.clone();
    let addr = worker::metrics::serve(config.listen, metrics.clone(), async move {
        let _ = http_stop.wait_for(|s| *s).await;
    })
    .await
    .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(%addr, vaults = keeper.vaults.len(), "keeper: metrics and health");
    let timeout = Duration::from_millis(config.chain.rpc_timeout_ms);
    let me = signer.address();
    let reader = chain::provider(&config.chain.rpc_url, timeout, None)?;
    let sender = chain::provider(&config.chain.rpc_url, timeout, Some(signer))?;
    let chain_id = alloy::providers::Provider::get_chain_id(&reader).await?;
    let txm = TxManager::new(sender, me, chain_id, config.tx.clone());
    let keeper = Keeper::new(reader, txm, keeper, metrics);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    keeper.run_until_stopped(interval, stop).await;
    Ok(())
}

async fn serve(
    config: Config,
    signer: alloy::signers::local::PrivateKeySigner,
    seal_key: Option<sealing::Keypair>,
) -> Result<()> {
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop) = watch::channel(false);
    let mut http_stop = stop.clone();
    let addr = worker::metrics::serve(config.listen, metrics.clone(), async move {
        let _ = http_stop.wait_for(|s| *s).await;
    })
    .await
    .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(%addr, "metrics and health");
    let backend = run::backend(&config.model.backend).await?;
    let worker = run::worker(&config, signer, seal_key, backend, metrics).await?;
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing held leases, claiming nothing new");
        let _ = stop_tx.send(true);
    });
    run::until_stopped(worker, config.chain.poll_interval(), stop).await
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
