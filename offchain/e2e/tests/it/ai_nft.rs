//! The AI NFT on the devnode through JSON-RPC, with the project's ERC-6551
//! registry served at the canonical address: minting an AI deploys its
//! account proxy (the standard's bytecode, bound to the new token) in the
//! same transaction, at the address the registry's `account` view gives;
//! the account answers `token()` and `owner()`, and follows the token. A
//! registry call that fails reverts the whole mint with
//! `AccountCreationFailed()`.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{hex, Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::{SolError, SolEvent, SolValue},
};
use bindings::{IAiNft, IErc6551Registry, ITokenBoundAccount};
use devnode::{system::ERC6551_REGISTRY, Config, Node};
use e2e::{
    constructor_call, contract_wasm, fixture,
    rpc::{deploy, mined, IArbWasm},
    stylus_dir, stylus_init_code, word,
};

/// A node serving the registry at the canonical address, a client that can
/// sign for two dev accounts, and the account implementation.
struct World<P> {
    node: Node,
    provider: P,
    founder: Address,
    heir: Address,
    implementation: Address,
    chain_id: u64,
}

async fn world() -> World<impl Provider + Clone> {
    let wasm = stylus_dir().join("erc6551-registry.wasm");
    let config = Config { port: 0, erc6551_registry: Some(wasm), ..Config::default() };
    let node = devnode::spawn(config).await.expect("node starts with the registry");
    let founder = PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("dev key");
    let heir = PrivateKeySigner::from_bytes(&node.accounts()[1].key).expect("dev key");
    let (founder_address, heir_address) = (founder.address(), heir.address());
    let mut wallet = EthereumWallet::from(founder);
    wallet.register_signer(heir);
    let url = node.url().parse().expect("url");
    let provider = ProviderBuilder::new().wallet(wallet).connect_http(url);
    let chain_id = provider.get_chain_id().await.expect("chain id");

    // The account implementation has no constructor.
    let implementation = program(&provider, "token-bound-account").await;
    World { node, provider, founder: founder_address, heir: heir_address, implementation, chain_id }
}

/// Deploys one of the project's programs and activates its code unless
/// the same code is already active (`e2e::rpc::deploy_stylus` activates
/// every copy, which fails for a second copy of a program).
async fn program(provider: &impl Provider, name: &str) -> Address {
    let program = deploy(provider, stylus_init_code(&contract_wasm(name))).await;
    let arbwasm = IArbWasm::new(devnode::precompiles::ARBWASM, provider);
    let quote = arbwasm.activateProgram(program).value(U256::from(10u128.pow(18)));
    if let Ok(ret) = quote.call().await {
        let activate = arbwasm.activateProgram(program).value(ret.dataFee);
        mined(provider, activate.into_transaction_request()).await;
    }
    program
}

/// Deploys and constructs an AI collection whose accounts `registry` creates.
async fn collection(
    provider: &impl Provider,
    registry: Address,
    implementation: Address,
) -> Address {
    let nft = program(provider, "ai-nft").await;
    let args = (word("Community AIs"), word("AI"), registry, implementation).abi_encode_params();
    let construct = TransactionRequest::default().with_to(nft).with_input(constructor_call(&args));
    mined(provider, construct).await;
    nft
}

/// The account proxy's deployed code, laid out by hand from ERC-6551's text.
fn proxy_code(implementation: Address, chain_id: u64, nft: Address, id: U256) -> Vec<u8> {
    let mut code = hex!("363d3d373d3d3d363d73").to_vec();
    code.extend_from_slice(implementation.as_slice());
    code.extend_from_slice(&hex!("5af43d82803e903d91602b57fd5bf3"));
    code.extend_from_slice(B256::ZERO.as_slice());
    code.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    code.extend_from_slice(nft.into_word().as_slice());
    code.extend_from_slice(&id.to_be_bytes::<32>());
    code
}

#[tokio::test]
async fn minting_an_ai_creates_its_account_through_the_canonical_registry() {
    let w = world().await;
    let p = &w.provider;
    let nft = collection(p, ERC6551_REGISTRY, w.implementation).await;
    let ai = IAiNft::new(nft, p);
    let keys = Address::repeat_byte(0x4e);
    let hash = B256::repeat_byte(0xab);
    let uri = Bytes::from_static(b"ipfs://bafy-community-values");

    // Minted by the founder: one transaction, the token and its account.
    let mint = ai.mint(w.founder, 7, hash, uri.clone(), keys);
    let (id, account) = {
        let ret = mint.call().await.expect("mint simulates");
        (ret.id, ret.account)
    };
    assert_eq!(id, U256::from(1));
    assert!(p.get_code_at(account).await.unwrap().is_empty(), "no account before the mint");
    let receipt = mined(p, mint.into_transaction_request()).await;

    // The account is where the canonical registry says, with the proxy code.
    let registry = IErc6551Registry::new(ERC6551_REGISTRY, p);
    let derived = registry
        .account(w.implementation, B256::ZERO, U256::from(w.chain_id), nft, id)
        .call()
        .await
        .unwrap();
    assert_eq!(account, derived);
    let code = p.get_code_at(account).await.unwrap();
    assert_eq!(code.to_vec(), proxy_code(w.implementation, w.chain_id, nft, id));

    // Through the proxy, the implementation reads the bound token and owner.
    let tba = ITokenBoundAccount::new(account, p);
    let token = tba.token().call().await.unwrap();
    assert_eq!(
        (token.chainId, token.tokenContract, token.tokenId),
        (U256::from(w.chain_id), nft, id)
    );
    assert_eq!(tba.owner().call().await.unwrap(), w.founder);

    // The record, and the event that announced it.
    let record = ai.ai(id).call().await.unwrap();
    assert_eq!(
        (record.model, record.instructionsHash, record.keyCollection, record.account),
        (7, hash, keys, account)
    );
    assert_eq!(ai.instructionsUri(id).call().await.unwrap(), uri);
    assert_eq!(ai.accountOf(id).call().await.unwrap(), account);
    assert_eq!(ai.totalMinted().call().await.unwrap(), U256::from(1));
    let minted = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| IAiNft::AiMinted::decode_log_data(l.data()).ok())
        .expect("AiMinted");
    assert_eq!((minted.id, minted.owner, minted.account), (id, w.founder, account));
    assert_eq!((minted.model, minted.keyCollection, minted.instructionsHash), (7, keys, hash));

    // Anyone mints the next one; its account differs.
    let second = ai.mint(w.heir, 1, B256::ZERO, Bytes::new(), Address::ZERO).from(w.heir);
    let (second_id, second_account) = {
        let ret = second.call().await.unwrap();
        (ret.id, ret.account)
    };
    mined(p, second.into_transaction_request()).await;
    assert_eq!(second_id, U256::from(2));
    assert_ne!(second_account, account);
    assert_eq!(ITokenBoundAccount::new(second_account, p).owner().call().await.unwrap(), w.heir);

    // Control of the record and of the account follows the token.
    let err = ai.setModel(id, 9).from(w.heir).call().await.expect_err("not the holder");
    let expected = IAiNft::NotTokenOwner { caller: w.heir, id }.abi_encode();
    assert_eq!(err.as_revert_data().expect("revert data").to_vec(), expected);
    mined(p, ai.transferFrom(w.founder, w.heir, id).into_transaction_request()).await;
    assert_eq!(tba.owner().call().await.unwrap(), w.heir);
    mined(p, ai.setModel(id, 9).from(w.heir).into_transaction_request()).await;
    assert_eq!(ai.ai(id).call().await.unwrap().model, 9);
    w.node.stop().await.unwrap();
}

#[tokio::test]
async fn a_failed_registry_call_reverts_the_whole_mint() {
    let w = world().await;
    let p = &w.provider;
    // "Registries" that cannot create accounts: an address without code
    // (the call returns nothing) and a contract that reverts.
    let token = deploy(p, fixture("TestToken")).await;
    for registry in [Address::repeat_byte(0x66), token] {
        let nft = collection(p, registry, w.implementation).await;
        let ai = IAiNft::new(nft, p);
        let mint = ai.mint(w.founder, 1, B256::ZERO, Bytes::new(), Address::ZERO);
        let err = mint.call().await.expect_err("no account, no AI");
        let revert = err.as_revert_data().expect("revert data");
        assert_eq!(revert.to_vec(), IAiNft::AccountCreationFailed {}.abi_encode());
        // Mined anyway (a fixed gas limit skips the estimate): it reverts
        // and leaves nothing behind.
        let tx = mint.into_transaction_request().with_gas_limit(3_000_000);
        let receipt = p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
        assert!(!receipt.status());
        assert_eq!(ai.totalMinted().call().await.unwrap(), U256::ZERO);
        let err = ai.ai(U256::from(1)).call().await.expect_err("unknown");
        assert_eq!(&err.as_revert_data().unwrap()[..4], IAiNft::UnknownAi::SELECTOR);
        assert!(ai.ownerOf(U256::from(1)).call().await.is_err());
    }
    w.node.stop().await.unwrap();
}
