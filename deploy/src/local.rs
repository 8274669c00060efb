//! A whole community on a development chain in one call: the recipe that
//! the demo, the worker's tests and the TypeScript client's test share, so
//! that each sets up the same world the same way (core with the development
//! settings, one community, its first key).

use std::path::PathBuf;

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use anyhow::{Context, Result};

use crate::{
    artifacts::Artifacts,
    community::{self, CommunitySpec},
    config::Config,
    core::{self, Core},
    manifest::Community,
    session::Session,
};

/// What [`community`] deployed, with the session that did it (its plan and
/// deployment file).
pub struct Local {
    /// The session, connected as the deployer.
    pub session: Session,
    /// The core contracts.
    pub core: Core,
    /// The community.
    pub community: Community,
}

/// Connects to `rpc` as `signer`, deploys the core contracts with the
/// default settings (test doubles for the asset and the yield source on a
/// development chain), creates the community `spec` and issues its first
/// key to `holder`. The deployment file goes under `out_dir`.
///
/// # Errors
/// Whatever a step refuses, with the step named.
pub async fn community(
    rpc: &str,
    signer: PrivateKeySigner,
    out_dir: PathBuf,
    spec: &CommunitySpec,
    holder: Address,
) -> Result<Local> {
    let mut session = Session::connect(rpc, signer, Artifacts::from_build(), out_dir, false)
        .await
        .context("connecting the deployer")?;
    let core = core::deploy(&mut session, &Config::load(None)?)
        .await
        .context("deploying the core contracts")?;
    let community = community::create(&mut session, &core, spec)
        .await
        .with_context(|| format!("creating the community {}", spec.name))?;
    community::issue_key(&mut session, &community, holder)
        .await
        .with_context(|| format!("issuing the first key to {holder}"))?;
    Ok(Local { session, core, community })
}
