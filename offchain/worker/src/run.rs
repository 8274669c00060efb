//! Putting a worker together from its config, and running it until told
//! to stop.

use std::{sync::Arc, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result};
use inference::{Backend, CpuBackend, CpuConfig, OpenAiBackend, OpenAiConfig};
use sealing::Keypair;
use tokio::sync::watch;

use crate::{
    chain,
    config::{BackendConfig, Config},
    cursor::CursorFile,
    fetch::Fetcher,
    metrics::Metrics,
    service::{Parts, Worker},
    txm::TxManager,
};

/// Loads the configured backend (the embedded model takes a moment).
pub async fn backend(config: &BackendConfig) -> Result<Arc<dyn Backend>> {
    match config {
        BackendConfig::Embedded { model_path, threads } => {
            let path = match model_path {
                Some(path) => path.clone(),
                None => inference::locate_model()?,
            };
            let mut cpu = CpuConfig::new(path);
            cpu.threads = *threads;
            cpu.warm_up = true;
            let backend = tokio::task::spawn_blocking(move || CpuBackend::load(&cpu))
                .await
                .context("loading the model")??;
            Ok(Arc::new(backend))
        }
        BackendConfig::Openai { base_url, model, api_key_env } => {
            let mut openai = OpenAiConfig::new(base_url.clone(), model.clone());
            if let Some(var) = api_key_env {
                openai.api_key =
                    Some(std::env::var(var).with_context(|| format!("{var} is not set"))?);
            }
            Ok(Arc::new(OpenAiBackend::new(openai)?))
        }
    }
}

/// A worker for `config` with its keys and backend.
pub async fn worker(
    config: &Config,
    signer: PrivateKeySigner,
    seal_key: Option<Keypair>,
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
) -> Result<Worker> {
    let timeout = Duration::from_millis(config.chain.rpc_timeout_ms);
    let me = signer.address();
    let reader = chain::provider(&config.chain.rpc_url, timeout, None)?;
    let sender = chain::provider(&config.chain.rpc_url, timeout, Some(signer))?;
    let chain_id =
        alloy::providers::Provider::get_chain_id(&reader).await.context("reading the chain id")?;
    let lease_seconds = if let Some(seconds) = config.chain.lease_seconds {
        seconds
    } else {
        let bridge = bindings::IOracleBridge::new(config.chain.bridge, &reader);
        let settings = bridge.settings().call().await.with_context(|| {
            format!("reading the lease length from the bridge at {}", config.chain.bridge)
        })?;
        settings.leaseSeconds
    };
    let parts = Parts {
        reader,
        txm: TxManager::new(sender, me, chain_id, config.tx.clone()),
        bridge: config.chain.bridge,
        model: config.model.id,
        system_prompt: config.model.system_prompt.clone(),
        backend,
        seal_key,
        cursor_file: CursorFile::new(
            config.state_dir.join(format!("cursor-{chain_id}-{}.json", config.chain.bridge)),
        ),
        seen_file: config
            .state_dir
            .join(format!("seen-encs-{chain_id}-{}.json", config.chain.bridge)),
        commits_file: config
            .state_dir
            .join(format!("commits-{chain_id}-{}.json", config.chain.bridge)),
        fetcher: Fetcher::new(
            config.prompts.max_uri_bytes,
            config.prompts.fetch_timeout(),
            config.prompts.allow_private_hosts,
        )?,
        start_block: config.chain.start_block,
        confirmations: config.chain.confirmations,
        max_block_range: config.chain.max_block_range,
        margin_seconds: config.model.margin_seconds,
        lease_seconds,
        metrics,
    };
    Worker::new(parts).await
}

/// Runs `worker` until `stop` turns true, then serves the leases it holds
/// (claiming nothing new) and returns.
pub async fn until_stopped(
    mut worker: Worker,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    loop {
        let stopping = *stop.borrow();
        if stopping && !worker.holds_leases() {
            tracing::info!("stopped; no lease held");
            return Ok(());
        }
        let busy = worker.step(!stopping).await?;
        if !busy {
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}
