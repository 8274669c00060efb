//! A community: its AI NFT with the AI's ERC-6551 account (created in the
//! mint), its key collection issued by that account, its vault paying the
//! yield to that account, and the bridge policy under which key holders
//! ask the AI at the account's expense.

use alloy::{
    primitives::{keccak256, Address, Bytes, U256},
    sol_types::{SolCall, SolValue},
};
use anyhow::{Context, Result};
use bindings::{IAiNft, IComputeCredits, IInferenceAccess, IKeyNft, ITokenBoundAccount};

use crate::{
    config::short_string, core::Core, manifest::Community, plan::Status, session::Session,
};

/// What a community is created with.
#[derive(Debug, Clone)]
pub struct CommunitySpec {
    /// Its name: the key of the deployment file's entry, and (shortened)
    /// of its vault shares and keys.
    pub name: String,
    /// The model its AI asks (a registry id).
    pub model: u32,
    /// The AI's instructions (values and tuning): their hash goes on chain.
    pub instructions: String,
    /// Where the instructions are published.
    pub instructions_uri: String,
    /// Credits each key holder may spend per period.
    pub quota: U256,
    /// The quota's period in seconds.
    pub period: u64,
    /// Whether keys cannot be transferred.
    pub soulbound: bool,
    /// Seconds a change of the vault's parameters (tip, buffer, cap) waits
    /// before it may apply, so members can leave first: at least a day.
    pub param_delay: u64,
    /// The harvester's tip, in basis points of the harvest.
    pub tip_bps: u16,
    /// The largest tip, in base units.
    pub max_tip: U256,
    /// Loss buffer: value kept in the source above principal, in basis
    /// points of principal, never harvested.
    pub buffer_bps: u16,
    /// Largest total principal (0: none).
    pub deposit_cap: U256,
}

impl CommunitySpec {
    /// A community named `name` whose AI asks `model`, with the defaults
    /// the CLI uses: the AI's default instructions, a quota of 0.001
    /// credits (base units of an 18-decimal asset) per key holder per day,
    /// transferable keys, parameter changes that wait two days, a 0.1 %
    /// harvest tip capped at 0.001, no loss buffer and no deposit cap.
    pub fn new(name: &str, model: u32) -> Self {
        Self {
            name: name.to_owned(),
            model,
            instructions: DEFAULT_INSTRUCTIONS.to_owned(),
            instructions_uri: String::new(),
            quota: U256::from(10u64.pow(15)),
            period: 86_400,
            soulbound: false,
            param_delay: DEFAULT_PARAM_DELAY,
            tip_bps: 10,
            max_tip: U256::from(10u64.pow(15)),
            buffer_bps: 0,
            deposit_cap: U256::ZERO,
        }
    }
}

/// How long a change of a community vault's parameters waits by default:
/// two days (the vault refuses less than one).
pub const DEFAULT_PARAM_DELAY: u64 = 2 * 86_400;

/// The AI's instructions when none are given.
pub const DEFAULT_INSTRUCTIONS: &str = "You are the community's AI. Answer briefly and kindly.";

/// Creates the community, or finds it and completes what is missing.
pub async fn create(s: &mut Session, core: &Core, spec: &CommunitySpec) -> Result<Community> {
    let (ai_id, account) = ai(s, core, spec).await?;
    let tag = short_tag(&spec.name);
    let key_args =
        (short_string(&format!("{tag} key"))?, short_string("KEY")?, account, spec.soulbound);
    let keys = s
        .ensure_stylus(
            &format!("community:{}:keys", spec.name),
            "key-nft",
            Some(&key_args.abi_encode_params()),
        )
        .await?;
    let nft = IAiNft::new(core.ai_nft, &s.provider);
    let linked = nft.ai(ai_id).call().await.is_ok_and(|r| r.keyCollection == keys);
    let call = IAiNft::setKeyCollectionCall { id: ai_id, keyCollection: keys };
    s.ensure_call(&format!("{}: aiNft.setKeyCollection", spec.name), core.ai_nft, &call, linked)
        .await?;
    let vault = vault(s, core, spec, account).await?;
    policy(s, core, spec, account, keys).await?;
    let community = Community {
        ai_id,
        account,
        vault,
        keys,
        model: spec.model,
        quota: spec.quota,
        period: spec.period,
    };
    s.manifest.communities.insert(spec.name.clone(), community.clone());
    Ok(community)
}

/// The first 20 bytes of `name`, cut at a character boundary.
fn short_tag(name: &str) -> &str {
    let mut end = name.len().min(20);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Mints the AI NFT (creating its account) unless the community has one.
async fn ai(s: &mut Session, core: &Core, spec: &CommunitySpec) -> Result<(U256, Address)> {
    if let Some(c) = s.manifest.communities.get(&spec.name) {
        if s.has_code(c.account).await? {
            s.plan.push(
                format!("{}: AI #{}", spec.name, c.ai_id),
                Status::Exists(c.account),
                0,
                U256::ZERO,
            );
            return Ok((c.ai_id, c.account));
        }
    }
    let call = IAiNft::mintCall {
        to: s.from,
        model: spec.model,
        instructionsHash: keccak256(spec.instructions.as_bytes()),
        instructionsUri: Bytes::from(spec.instructions_uri.clone().into_bytes()),
        keyCollection: Address::ZERO,
    };
    let nft = IAiNft::new(core.ai_nft, s.provider.clone());
    let minted = nft.call_builder(&call).from(s.from).call().await;
    let label = format!("{}: aiNft.mint (AI and its account)", spec.name);
    if s.dry_run {
        let (id, account) = minted.map_or((U256::ZERO, Address::ZERO), |m| (m.id, m.account));
        s.ensure_call(&label, core.ai_nft, &call, false).await?;
        return Ok((id, account));
    }
    let minted = minted.context("simulating the AI's mint")?;
    s.ensure_call(&label, core.ai_nft, &call, false).await?;
    // The id is the next one; read the record back rather than trust the simulation.
    let account = nft.accountOf(minted.id).call().await?;
    anyhow::ensure!(account == minted.account, "the AI's account is not where the mint said");
    Ok((minted.id, account))
}

async fn vault(
    s: &mut Session,
    core: &Core,
    spec: &CommunitySpec,
    account: Address,
) -> Result<Address> {
    let tag = short_tag(&spec.name);
    let vault_args = (
        core.asset,
        core.source,
        core.ledger,
        s.from,
        account,
        short_string(&format!("{tag} stake"))?,
        short_string("STAKE")?,
        spec.tip_bps,
        spec.max_tip,
        spec.buffer_bps,
        spec.deposit_cap,
        spec.param_delay,
    );
    let role = format!("community:{}:vault", spec.name);
    let vault = s.ensure_stylus(&role, "vault", Some(&vault_args.abi_encode_params())).await?;
    let ledger = IComputeCredits::new(core.ledger, &s.provider);
    let vault_role = keccak256("VAULT_ROLE");
    let granted = ledger.hasRole(vault_role, vault).call().await.unwrap_or(false);
    let call = IComputeCredits::grantRoleCall { role: vault_role, account: vault };
    s.ensure_call(
        &format!("{}: ledger.grantRole(VAULT_ROLE, vault)", spec.name),
        core.ledger,
        &call,
        granted,
    )
    .await?;
    Ok(vault)
}

/// The AI's account sponsors the key holders: `setPolicy` on the access
/// contract, sent by the NFT's owner through the account.
async fn policy(
    s: &mut Session,
    core: &Core,
    spec: &CommunitySpec,
    account: Address,
    keys: Address,
) -> Result<()> {
    let access = IInferenceAccess::new(core.access, &s.provider);
    let set = access
        .policy(account, keys)
        .call()
        .await
        .is_ok_and(|p| (p.quota, p.period, p.allModels) == (spec.quota, spec.period, true));
    let inner = IInferenceAccess::setPolicyCall {
        collection: keys,
        quota: spec.quota,
        period: spec.period,
        allModels: true,
    };
    let call = execute(core.access, &inner);
    s.ensure_call(&format!("{}: account.execute(access.setPolicy)", spec.name), account, &call, set)
        .await
}

/// `execute(to, 0, call, CALL)` on a token-bound account.
pub fn execute(to: Address, call: &impl SolCall) -> ITokenBoundAccount::executeCall {
    ITokenBoundAccount::executeCall {
        to,
        value: U256::ZERO,
        data: call.abi_encode().into(),
        operation: 0,
    }
}

/// Issues a key of `community` to `holder` (through the AI's account);
/// returns nothing new when `holder` already has one.
pub async fn issue_key(s: &mut Session, community: &Community, holder: Address) -> Result<()> {
    let keys = IKeyNft::new(community.keys, &s.provider);
    let held = keys.balanceOf(holder).call().await.unwrap_or(U256::ZERO) > U256::ZERO;
    let call = execute(community.keys, &IKeyNft::issueCall { to: holder });
    s.ensure_call(&format!("key for {holder}"), community.account, &call, held).await
}
