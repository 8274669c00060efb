//! `computefi-gateway --config gateway.toml`: serves the gateway until
//! interrupted, then closes its sessions with their newest receipts.

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use gateway::{config::Config, router, serve, spawn_tending, Gateway};

/// The Compute-Fi gateway: sign in with Ethereum, chat with any `OpenAI`
/// client, paid by on-chain sessions on your key's quota.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The TOML settings (see the gateway's README section).
    #[arg(long, env = "COMPUTEFI_GATEWAY_CONFIG")]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = Config::load(&args.config)?;
    let gw = Gateway::new(&config, config.signing_key()?).await?;
    match gw.book.recover(config.chain.from_block).await {
        Ok(n) => tracing::info!("closed {n} sessions an earlier run left open"),
        Err(e) => tracing::warn!("recovering earlier sessions: {e:#}"),
    }
    let tending =
        spawn_tending(&gw, std::time::Duration::from_millis(config.sessions.tend_interval_ms));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let addr = serve(config.listen, router(gw.clone()), async {
        let _ = stopped.await;
    })
    .await?;
    tracing::info!("gateway listening on http://{addr}/v1");
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping: closing sessions");
    let _ = stop.send(());
    tending.abort();
    gw.book.close_all().await;
    Ok(())
}
