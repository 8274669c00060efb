//! The shared contracts of a chain: asset and yield source (test doubles on
//! development chains), credit ledger, inference registry, inference access,
//! oracle bridge, sessions program,
//! ERC-6551 account implementation and registry, AI NFT, agent permissions
//! and the AI parking holder; their wiring; and the configured models.

use alloy::{
    primitives::{keccak256, Address, U256},
    sol_types::SolValue,
};
use anyhow::{bail, Context, Result};
use bindings::{IComputeCredits, IInferenceAccess, IInferenceRegistry, ERC6551_REGISTRY};

use crate::{
    artifacts::{test_double, TEST_TOKEN, TEST_YIELD_SOURCE},
    config::{short_string, Config, ModelConfig},
    session::Session,
};

/// Chains on which test doubles stand in for a missing asset or source:
/// the devnode (and nitro-devnode), anvil and hardhat.
pub const DEVELOPMENT_CHAINS: [u64; 3] = [412_346, 31_337, 1_337];

/// The addresses of the shared contracts.
#[derive(Debug, Clone, Copy)]
pub struct Core {
    /// The vaults' and ledger's asset.
    pub asset: Address,
    /// The ERC-4626 yield source.
    pub source: Address,
    /// The credit ledger.
    pub ledger: Address,
    /// The inference registry.
    pub registry: Address,
    /// The inference access contract (who may charge a payer).
    pub access: Address,
    /// The oracle bridge.
    pub bridge: Address,
    /// The sessions program.
    pub sessions: Address,
    /// The ERC-6551 account implementation.
    pub account_implementation: Address,
    /// The ERC-6551 registry.
    pub erc6551_registry: Address,
    /// The AI NFT collection.
    pub ai_nft: Address,
    /// Agent permissions, shared by every account.
    pub agent_permissions: Address,
    /// The parking holder for AI NFTs.
    pub ai_parking: Address,
}

/// Deploys (or finds) and wires everything shared, then registers models.
pub async fn deploy(s: &mut Session, config: &Config) -> Result<Core> {
    let (asset, source) = asset_and_source(s, config).await?;
    let admin = s.from;
    let ledger_args =
        (asset, admin, short_string(&config.ledger.name)?, short_string(&config.ledger.symbol)?);
    let ledger = s
        .ensure_stylus("ledger", "compute-credits", Some(&ledger_args.abi_encode_params()))
        .await?;
    let r = &config.registry;
    let arbiter = r.arbiter.unwrap_or(admin);
    let treasury = r.treasury.unwrap_or(admin);
    let registry_args = (
        asset,
        admin,
        arbiter,
        treasury,
        r.unbond_delay,
        r.collateral_bps,
        r.abandon_bps,
        r.min_bond,
    );
    let registry = s
        .ensure_stylus("registry", "inference-registry", Some(&registry_args.abi_encode_params()))
        .await?;
    let access_args = (admin,).abi_encode_params();
    let access = s.ensure_stylus("access", "inference-access", Some(&access_args)).await?;
    let b = &config.bridge;
    let bridge_args = (
        ledger,
        registry,
        access,
        b.lease_seconds,
        b.max_deadline,
        b.callback_gas,
        b.dispute_window,
    );
    let bridge =
        s.ensure_stylus("bridge", "oracle-bridge", Some(&bridge_args.abi_encode_params())).await?;
    let t = &config.sessions;
    let sessions_args = (ledger, registry, access, t.challenge_seconds, t.max_duration);
    let sessions = s
        .ensure_stylus("sessions", "inference-sessions", Some(&sessions_args.abi_encode_params()))
        .await?;
    let account_implementation =
        s.ensure_stylus("accountImplementation", "token-bound-account", None).await?;
    let erc6551_registry = erc6551_registry(s).await?;
    let nft_args = (
        short_string(&config.ai_nft.name)?,
        short_string(&config.ai_nft.symbol)?,
        erc6551_registry,
        account_implementation,
    );
    let ai_nft = s.ensure_stylus("aiNft", "ai-nft", Some(&nft_args.abi_encode_params())).await?;
    let agent_permissions = s.ensure_stylus("agentPermissions", "agent-permissions", None).await?;
    let parking_args = (agent_permissions,).abi_encode_params();
    let ai_parking = s.ensure_stylus("aiParking", "ai-parking", Some(&parking_args)).await?;
    let core = Core {
        asset,
        source,
        ledger,
        registry,
        access,
        bridge,
        sessions,
        account_implementation,
        erc6551_registry,
        ai_nft,
        agent_permissions,
        ai_parking,
    };
    wire(s, &core).await?;
    for model in &config.models {
        register_model(s, &core, model).await?;
    }
    Ok(core)
}

async fn asset_and_source(s: &mut Session, config: &Config) -> Result<(Address, Address)> {
    let development = DEVELOPMENT_CHAINS.contains(&s.chain_id);
    let asset = match config.asset {
        Some(asset) => external(s, "asset", asset).await?,
        None if development => {
            s.ensure_evm("asset", "test-double:TestToken", test_double(TEST_TOKEN)?).await?
        }
        None => bail!("chain {} is not a development chain: set `asset` in the config", s.chain_id),
    };
    let source = match config.source {
        Some(source) => external(s, "source", source).await?,
        None if development => {
            let mut init = test_double(TEST_YIELD_SOURCE)?;
            init.extend_from_slice(&asset.abi_encode());
            s.ensure_evm("source", "test-double:TestYieldSource", init).await?
        }
        None => {
            bail!("chain {} is not a development chain: set `source` in the config", s.chain_id)
        }
    };
    Ok((asset, source))
}

/// Records a contract the config names, after checking it exists.
async fn external(s: &mut Session, role: &str, address: Address) -> Result<Address> {
    if !s.has_code(address).await? {
        bail!("the configured {role} {address} has no code on chain {}", s.chain_id);
    }
    let contract = crate::manifest::Contract {
        address,
        artifact: "external".into(),
        code_hash: None,
        tx: None,
    };
    s.manifest.contracts.insert(role.to_owned(), contract);
    s.plan.push(format!("{role}: external"), crate::plan::Status::Exists(address), 0, U256::ZERO);
    Ok(address)
}

/// The canonical registry where the chain has one (Arbitrum's, or the
/// devnode's), else the project's own, deployed.
async fn erc6551_registry(s: &mut Session) -> Result<Address> {
    if s.has_code(ERC6551_REGISTRY).await? {
        return external(s, "erc6551Registry", ERC6551_REGISTRY).await;
    }
    s.ensure_stylus("erc6551Registry", "erc6551-registry", None).await
}

/// The registry and the access contract answer to the bridge and the
/// sessions program; both may escrow on the ledger.
async fn wire(s: &mut Session, core: &Core) -> Result<()> {
    let registry = || IInferenceRegistry::new(core.registry, &s.provider);
    let bridge_set = registry().wiring().call().await.is_ok_and(|w| w.bridge == core.bridge);
    let sessions_set = registry().sessions().call().await.is_ok_and(|a| a == core.sessions);
    let call = IInferenceRegistry::setBridgeCall { bridge: core.bridge };
    s.ensure_call("registry.setBridge(bridge)", core.registry, &call, bridge_set).await?;
    let call = IInferenceRegistry::setSessionsCall { sessions: core.sessions };
    s.ensure_call("registry.setSessions(sessions)", core.registry, &call, sessions_set).await?;
    let access = || IInferenceAccess::new(core.access, &s.provider);
    let bridge_set = access().wiring().call().await.is_ok_and(|w| w.bridge == core.bridge);
    let sessions_set = access().sessions().call().await.is_ok_and(|a| a == core.sessions);
    let call = IInferenceAccess::setBridgeCall { bridge: core.bridge };
    s.ensure_call("access.setBridge(bridge)", core.access, &call, bridge_set).await?;
    let call = IInferenceAccess::setSessionsCall { sessions: core.sessions };
    s.ensure_call("access.setSessions(sessions)", core.access, &call, sessions_set).await?;
    let role = keccak256("SPENDER_ROLE");
    for (name, spender) in [("bridge", core.bridge), ("sessions", core.sessions)] {
        let ledger = IComputeCredits::new(core.ledger, &s.provider);
        let granted = ledger.hasRole(role, spender).call().await.unwrap_or(false);
        let call = IComputeCredits::grantRoleCall { role, account: spender };
        let what = format!("ledger.grantRole(SPENDER_ROLE, {name})");
        s.ensure_call(&what, core.ledger, &call, granted).await?;
    }
    Ok(())
}

/// Registers `model` unless a model of that name is there; records its id.
async fn register_model(s: &mut Session, core: &Core, model: &ModelConfig) -> Result<()> {
    let name = alloy::primitives::B256::right_padding_from(model.name.as_bytes());
    if let Some(id) = find_model(s, core.registry, name).await? {
        s.manifest.models.insert(model.name.clone(), id);
        s.plan.push(
            format!("model {}", model.name),
            crate::plan::Status::AlreadySet,
            0,
            U256::ZERO,
        );
        return Ok(());
    }
    let call = IInferenceRegistry::registerModelCall {
        name,
        weightsHash: model.weights_hash,
        weightsUri: model.weights_uri.clone(),
        priceIn: model.price_in,
        priceOut: model.price_out,
        maxInputTokens: model.max_input_tokens,
        maxOutputTokens: model.max_output_tokens,
        redundancy: model.redundancy,
    };
    s.ensure_call(&format!("registry.registerModel({})", model.name), core.registry, &call, false)
        .await?;
    if !s.dry_run {
        let id = find_model(s, core.registry, name)
            .await?
            .context("the model is not in the registry")?;
        s.manifest.models.insert(model.name.clone(), id);
    }
    Ok(())
}

/// The id of the model named `name`: ids are sequential from 1, and an
/// unknown id reads as an empty name.
async fn find_model(
    s: &Session,
    registry: Address,
    name: alloy::primitives::B256,
) -> Result<Option<u32>> {
    if !s.has_code(registry).await? {
        return Ok(None);
    }
    let registry = IInferenceRegistry::new(registry, &s.provider);
    for id in 1..=u32::MAX {
        let found = registry.model(id).call().await.context("reading a model")?;
        if found.name.is_zero() {
            return Ok(None);
        }
        if found.name == name {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

impl Core {
    /// The shared contracts recorded in a deployment file.
    pub fn from_manifest(m: &crate::manifest::Manifest) -> Result<Self> {
        Ok(Self {
            asset: m.address("asset")?,
            source: m.address("source")?,
            ledger: m.address("ledger")?,
            registry: m.address("registry")?,
            access: m.address("access")?,
            bridge: m.address("bridge")?,
            sessions: m.address("sessions")?,
            account_implementation: m.address("accountImplementation")?,
            erc6551_registry: m.address("erc6551Registry")?,
            ai_nft: m.address("aiNft")?,
            agent_permissions: m.address("agentPermissions")?,
            ai_parking: m.address("aiParking")?,
        })
    }
}
