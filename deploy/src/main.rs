//! `computefi-deploy`: see the library's documentation and `--help`.

// clap prints these doc comments as `--help`, where backticks would show.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use alloy::primitives::{Address, U256};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use deploy::{
    artifacts::Artifacts,
    community::{self, CommunitySpec},
    config::Config,
    core::Core,
    session::Session,
    signer,
};

/// Deploys Compute-Fi to a chain and creates communities on it.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "COMPUTEFI_RPC", default_value = "http://127.0.0.1:8547", global = true)]
    rpc: String,
    /// A keystore file holding the deploying key (its password in
    /// COMPUTEFI_KEYSTORE_PASSWORD); without it the key comes from
    /// COMPUTEFI_PRIVATE_KEY.
    #[arg(long, global = true)]
    keystore: Option<PathBuf>,
    /// Use the nitro-devnode's published development key (development chains only).
    #[arg(long, global = true)]
    dev_key: bool,
    /// Where deployment files are read and written.
    #[arg(long, default_value = "deployments", global = true)]
    out: PathBuf,
    /// Print the plan and its estimated cost; send nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Deploy and wire the shared contracts and register the models.
    Core {
        /// Deployment settings (default: config/local.toml, for development chains).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Rebuild the contracts even when built ones exist.
        #[arg(long)]
        build: bool,
    },
    /// Create a community (AI NFT and account, key collection, vault,
    /// access policy) on the deployed contracts, or complete it.
    Community(CommunityArgs),
    /// Issue a community key to a holder (through the AI's account).
    IssueKey {
        /// The community's name.
        #[arg(long)]
        community: String,
        /// Who gets the key.
        #[arg(long)]
        to: Address,
    },
}

#[derive(clap::Args)]
struct CommunityArgs {
    /// The community's name (its key in the deployment file).
    #[arg(long)]
    name: String,
    /// The model its AI asks, by name (default: the first registered).
    #[arg(long)]
    model: Option<String>,
    /// The AI's instructions: the community's values and tuning.
    #[arg(long, default_value = community::DEFAULT_INSTRUCTIONS)]
    instructions: String,
    /// Where the instructions are published.
    #[arg(long, default_value = "")]
    instructions_uri: String,
    /// Credits (base units) each key holder may spend per period.
    #[arg(long, default_value = "1000000000000000")]
    quota: U256,
    /// The quota's period in seconds.
    #[arg(long, default_value_t = 86_400)]
    period: u64,
    /// Make the keys non-transferable.
    #[arg(long)]
    soulbound: bool,
    /// Seconds a change of the vault's parameters waits before it may apply
    /// (at least 86400: members must be able to leave first).
    #[arg(long, default_value_t = community::DEFAULT_PARAM_DELAY)]
    param_delay: u64,
    /// The harvester's tip in basis points (at most 100).
    #[arg(long, default_value_t = 10)]
    tip_bps: u16,
    /// The largest tip in base units.
    #[arg(long, default_value = "1000000000000000")]
    max_tip: U256,
    /// Loss buffer: value kept in the source above principal, in basis
    /// points of principal (at most 500).
    #[arg(long, default_value_t = 0)]
    buffer_bps: u16,
    /// Largest total principal in base units (0: no cap).
    #[arg(long, default_value = "0")]
    deposit_cap: U256,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let signer = if cli.dev_key {
        signer::parse(signer::DEV_KEY)?
    } else {
        signer::load(cli.keystore.as_deref())?
    };
    let artifacts = Artifacts::from_build();
    let chain = Chain { rpc: cli.rpc, out: cli.out, dry_run: cli.dry_run, dev_key: cli.dev_key };
    match cli.command {
        Command::Core { config, build } => {
            let config = Config::load(config.as_deref())?;
            artifacts.ensure_built(build)?;
            let mut s = chain.session(signer, artifacts).await?;
            let outcome = deploy::core::deploy(&mut s, &config).await.map(drop);
            finish(&s, outcome)
        }
        Command::Community(args) => {
            artifacts.ensure_built(false)?;
            let mut s = chain.session(signer, artifacts).await?;
            let spec = args.spec(&s.manifest)?;
            let core = Core::from_manifest(&s.manifest)?;
            let outcome = community::create(&mut s, &core, &spec).await.map(drop);
            finish(&s, outcome)
        }
        Command::IssueKey { community, to } => {
            let mut s = chain.session(signer, artifacts).await?;
            let c =
                s.manifest.communities.get(&community).cloned().with_context(|| {
                    format!("no community {community:?} on chain {}", s.chain_id)
                })?;
            let outcome = community::issue_key(&mut s, &c, to).await;
            finish(&s, outcome)
        }
    }
}

/// Where and how to deploy.
struct Chain {
    rpc: String,
    out: PathBuf,
    dry_run: bool,
    dev_key: bool,
}

impl Chain {
    async fn session(
        &self,
        signer: alloy::signers::local::PrivateKeySigner,
        artifacts: Artifacts,
    ) -> Result<Session> {
        let s =
            Session::connect(&self.rpc, signer, artifacts, self.out.clone(), self.dry_run).await?;
        if self.dev_key && !deploy::core::DEVELOPMENT_CHAINS.contains(&s.chain_id) {
            anyhow::bail!("--dev-key is for development chains; chain {} is not one", s.chain_id);
        }
        Ok(s)
    }
}

/// Saves what was done (also after a failure: a rerun resumes), prints the
/// plan, then reports the outcome.
fn finish(s: &Session, outcome: Result<()>) -> Result<()> {
    let saved = s.save()?;
    println!("chain {} · from {}{}", s.chain_id, s.from, if s.dry_run { " · dry run" } else { "" });
    print!("{}", s.plan);
    outcome?;
    if let Some(path) = saved {
        println!("wrote {}", path.display());
    }
    Ok(())
}

impl CommunityArgs {
    fn spec(self, manifest: &deploy::manifest::Manifest) -> Result<CommunitySpec> {
        let model = match &self.model {
            Some(name) => *manifest
                .models
                .get(name)
                .with_context(|| format!("no model {name:?} registered"))?,
            None => {
                *manifest.models.values().min().context("no model registered: run `core` first")?
            }
        };
        Ok(CommunitySpec {
            name: self.name,
            model,
            instructions: self.instructions,
            instructions_uri: self.instructions_uri,
            quota: self.quota,
            period: self.period,
            soulbound: self.soulbound,
            param_delay: self.param_delay,
            tip_bps: self.tip_bps,
            max_tip: self.max_tip,
            buffer_bps: self.buffer_bps,
            deposit_cap: self.deposit_cap,
        })
    }
}
