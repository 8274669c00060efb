//! The deploy tool against an in-process devnode running the built
//! contracts: a dry run sends nothing, a deployment wires everything, a
//! second run changes nothing, and a community ends up usable.

use alloy::{
    primitives::{keccak256, Address, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use bindings::{
    IAiNft, IComputeCredits, IInferenceAccess, IInferenceRegistry, IKeyNft, IOracleBridge,
    ITokenBoundAccount,
};
use deploy::{
    artifacts::Artifacts,
    community::{self, CommunitySpec},
    config::Config,
    core,
    manifest::Manifest,
    session::Session,
};
use devnode::Node;

async fn node() -> Node {
    devnode::spawn(devnode::Config { port: 0, ..devnode::Config::default() })
        .await
        .expect("node starts")
}

async fn session(node: &Node, out: &std::path::Path, dry_run: bool) -> Session {
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("dev key");
    Session::connect(&node.url(), signer, Artifacts::from_build(), out.to_path_buf(), dry_run)
        .await
        .expect("connects")
}

fn spec() -> CommunitySpec {
    CommunitySpec {
        instructions: "Be kind.".into(),
        instructions_uri: "ipfs://instructions".into(),
        soulbound: true,
        ..CommunitySpec::new("Test community", 1)
    }
}

#[tokio::test]
async fn dry_run_then_deploy_then_nothing_to_do() {
    let node = node().await;
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(None).unwrap();

    let mut dry = session(&node, dir.path(), true).await;
    let planned = core::deploy(&mut dry, &config).await.expect("dry run plans");
    let block = dry.provider.get_block_number().await.unwrap();
    assert!(dry.save().unwrap().is_none(), "a dry run writes no file");
    assert_eq!(block, 0, "a dry run sends nothing");
    assert!(dry.plan.changes() >= 10, "{}", dry.plan);
    assert!(dry.plan.cost() > U256::ZERO);

    let mut s = session(&node, dir.path(), false).await;
    let deployed = core::deploy(&mut s, &config).await.expect("deploys");
    s.save().unwrap();
    // Stylus programs land where the dry run said (CREATE2 through the StylusDeployer).
    assert_eq!(planned.ledger, deployed.ledger);
    assert_eq!(planned.bridge, deployed.bridge);
    assert_eq!(planned.ai_nft, deployed.ai_nft);
    let registry = IInferenceRegistry::new(deployed.registry, &s.provider);
    assert_eq!(registry.wiring().call().await.unwrap().bridge, deployed.bridge);
    let access = IInferenceAccess::new(deployed.access, &s.provider);
    assert_eq!(access.wiring().call().await.unwrap().bridge, deployed.bridge);
    let bridge = IOracleBridge::new(deployed.bridge, &s.provider);
    let wiring = bridge.wiring().call().await.unwrap();
    assert_eq!(
        (wiring.ledger, wiring.registry, wiring.access),
        (deployed.ledger, deployed.registry, deployed.access)
    );
    assert_eq!(
        registry.arbiter().call().await.unwrap(),
        s.from,
        "the deployer arbitrates by default"
    );
    assert_eq!(registry.settings().call().await.unwrap().treasury, s.from, "and keeps the slashes");
    let ledger = IComputeCredits::new(deployed.ledger, &s.provider);
    assert!(ledger.hasRole(keccak256("SPENDER_ROLE"), deployed.bridge).call().await.unwrap());
    // The sessions program is wired as the second market program.
    assert!(ledger.hasRole(keccak256("SPENDER_ROLE"), deployed.sessions).call().await.unwrap());
    assert_eq!(registry.sessions().call().await.unwrap(), deployed.sessions);
    assert_eq!(access.sessions().call().await.unwrap(), deployed.sessions);
    let sessions = bindings::IInferenceSessions::new(deployed.sessions, &s.provider);
    let settings = sessions.settings().call().await.unwrap();
    assert_eq!(
        (settings.ledger, settings.registry, settings.access, settings.challengeSeconds),
        (deployed.ledger, deployed.registry, deployed.access, config.sessions.challenge_seconds)
    );
    assert_eq!(s.manifest.models.get("SmolLM2-135M-Instruct"), Some(&1));
    assert!(s.has_code(deployed.agent_permissions).await.unwrap());
    let parking = bindings::IAiParking::new(deployed.ai_parking, &s.provider);
    assert_eq!(parking.permissions().call().await.unwrap(), deployed.agent_permissions);

    let file = Manifest::load(dir.path(), 412_346).unwrap();
    assert_eq!(file.address("bridge").unwrap(), deployed.bridge);
    let before = s.provider.get_block_number().await.unwrap();
    let mut again = session(&node, dir.path(), false).await;
    core::deploy(&mut again, &config).await.expect("second run");
    assert_eq!(again.plan.changes(), 0, "{}", again.plan);
    assert_eq!(again.provider.get_block_number().await.unwrap(), before, "nothing sent");

    // Even without the file, given the same asset and source (as on a
    // public chain), the Stylus programs are found at their CREATE2 addresses.
    let empty = tempfile::tempdir().unwrap();
    let mut fresh = session(&node, empty.path(), true).await;
    let external = Config { asset: Some(deployed.asset), source: Some(deployed.source), ..config };
    let found = core::deploy(&mut fresh, &external).await.expect("finds");
    assert_eq!(found.bridge, deployed.bridge);
    assert_eq!(found.sessions, deployed.sessions);
    assert_eq!(fresh.plan.changes(), 0, "{}", fresh.plan);
}

#[tokio::test]
async fn community_is_created_once_and_its_key_holder_is_sponsored() {
    let node = node().await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&node, dir.path(), false).await;
    let core = core::deploy(&mut s, &Config::load(None).unwrap()).await.unwrap();
    let c = community::create(&mut s, &core, &spec()).await.expect("community");

    let nft = IAiNft::new(core.ai_nft, &s.provider);
    let record = nft.ai(c.ai_id).call().await.unwrap();
    assert_eq!(
        (record.model, record.instructionsHash, record.keyCollection, record.account),
        (1, keccak256("Be kind."), c.keys, c.account)
    );
    let account = ITokenBoundAccount::new(c.account, &s.provider);
    assert_eq!(account.owner().call().await.unwrap(), s.from);
    let keys = IKeyNft::new(c.keys, s.provider.clone());
    assert_eq!(keys.issuer().call().await.unwrap(), c.account);
    assert!(keys.soulbound().call().await.unwrap());
    let ledger = IComputeCredits::new(core.ledger, &s.provider);
    assert!(ledger.hasRole(keccak256("VAULT_ROLE"), c.vault).call().await.unwrap());
    let access = IInferenceAccess::new(core.access, &s.provider);
    assert_eq!(
        access.quotaLeft(c.account, c.keys, U256::from(1)).call().await.unwrap(),
        spec().quota
    );

    let holder = Address::repeat_byte(0x42);
    community::issue_key(&mut s, &c, holder).await.expect("key issued");
    assert_eq!(keys.balanceOf(holder).call().await.unwrap(), U256::from(1));
    community::issue_key(&mut s, &c, holder).await.expect("second issue is a no-op");
    assert_eq!(keys.balanceOf(holder).call().await.unwrap(), U256::from(1));

    let blocks = s.provider.get_block_number().await.unwrap();
    let again = community::create(&mut s, &core, &spec()).await.expect("again");
    assert_eq!(again, c);
    assert_eq!(
        s.provider.get_block_number().await.unwrap(),
        blocks,
        "nothing sent the second time"
    );
}
