//! The project's real contracts on the devnode through JSON-RPC, driven by
//! an alloy client as a dApp would: deploy and activate the Stylus vault and
//! ledger, wire them to Solidity ERC-20 / ERC-4626 contracts, deposit, let
//! time pass, harvest, claim, exit; typed Stylus errors as JSON-RPC errors.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{keccak256, Address, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol,
    sol_types::{SolCall, SolError, SolEvent, SolValue},
};
use bindings::{IComputeCredits, IVault};
use devnode::{Config, Node};
use e2e::{
    fixture,
    rpc::{deploy, deploy_stylus, mined},
    word,
};

sol! {
    #[sol(rpc)]
    interface IToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address who) external view returns (uint256);
    }
    #[sol(rpc)]
    interface ISource {
        function simulateGain(uint256 amount) external;
    }
}

const ETH: u128 = 1_000_000_000_000_000_000;

struct Client<P> {
    node: Node,
    provider: P,
    me: Address,
}

async fn client() -> Client<impl Provider + Clone> {
    let node = devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node starts");
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[0].key).expect("dev key");
    let me = signer.address();
    let url = node.url().parse().expect("url");
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url);
    Client { node, provider, me }
}

#[tokio::test]
async fn vault_and_ledger_through_json_rpc() {
    let Client { node, provider, me } = client().await;
    let token = deploy(&provider, fixture("TestToken")).await;
    let mut init = fixture("TestYieldSource");
    init.extend_from_slice(&token.into_word().0);
    let source = deploy(&provider, init).await;
    let ledger = deploy_stylus(
        &provider,
        "compute-credits",
        &(token, me, word("Credits"), word("CC")).abi_encode_params(),
    )
    .await;
    let community = Address::repeat_byte(0xC0);
    let one_day = 86_400u64;
    let vault_args = (
        token,
        source,
        ledger,
        me,
        community,
        word("Community"),
        word("cVLT"),
        10u16,
        U256::from(ETH),
        0u16,
        U256::ZERO,
        one_day,
    )
        .abi_encode_params();
    let vault = deploy_stylus(&provider, "vault", &vault_args).await;

    let token_c = IToken::new(token, &provider);
    let ledger_c = IComputeCredits::new(ledger, &provider);
    let vault_c = IVault::new(vault, &provider);
    mined(&provider, ledger_c.grantRole(keccak256("VAULT_ROLE"), vault).into_transaction_request())
        .await;

    let stake = U256::from(ETH / 10);
    mined(&provider, token_c.mint(me, stake).into_transaction_request()).await;
    mined(&provider, token_c.approve(vault, stake).into_transaction_request()).await;
    let receipt =
        mined(&provider, vault_c.deposit(stake, community, one_day).into_transaction_request())
            .await;
    assert!(receipt.status());
    assert_eq!(vault_c.balanceOf(me).call().await.unwrap(), stake);

    // Locked: the node reports the vault's typed error as JSON-RPC error 3.
    let err = vault_c.withdraw(stake, me).call().await.expect_err("still locked");
    let revert = err.as_revert_data().expect("revert data");
    assert_eq!(&revert[..4], IVault::StillLocked::SELECTOR);

    // A day and a 5 % gain later, harvest and claim credits for the community.
    let _: serde_json::Value =
        provider.raw_request("evm_increaseTime".into(), (one_day + 1,)).await.unwrap();
    mined(
        &provider,
        ISource::new(source, &provider)
            .simulateGain(stake / U256::from(20))
            .into_transaction_request(),
    )
    .await;
    let harvest = mined(&provider, vault_c.harvest().into_transaction_request()).await;
    assert!(harvest.status());
    mined(&provider, vault_c.claim(me).into_transaction_request()).await;
    let credits = ledger_c.spendableOf(community).call().await.unwrap();
    assert!(credits > U256::ZERO && credits <= stake / U256::from(20));

    // The credits were minted by an event a frontend can filter for.
    let filter = Filter::new()
        .address(ledger)
        .event_signature(IComputeCredits::CreditsMinted::SIGNATURE_HASH)
        .from_block(0);
    let logs = provider.get_logs(&filter).await.unwrap();
    let minted: U256 = logs
        .iter()
        .map(|l| IComputeCredits::CreditsMinted::decode_log_data(l.data()).unwrap().amount)
        .sum();
    assert!(minted >= credits, "minted {minted} vs spendable {credits}");

    // Review L-2: a change of the parameters waits the vault's delay (at
    // least a day) and then applies, with the new tip, buffer and cap.
    let propose = vault_c.proposeParams(50, U256::from(ETH), 100, U256::from(ETH));
    assert!(mined(&provider, propose.into_transaction_request()).await.status());
    let err = vault_c.executeParams().call().await.expect_err("not yet");
    let revert = err.as_revert_data().expect("revert data");
    assert_eq!(&revert[..4], IVault::ChangeNotReady::SELECTOR);
    let _: serde_json::Value =
        provider.raw_request("evm_increaseTime".into(), (one_day,)).await.unwrap();
    assert!(mined(&provider, vault_c.executeParams().into_transaction_request()).await.status());
    let p = vault_c.params().call().await.unwrap();
    let eth = U256::from(ETH);
    assert_eq!((p.tipBps, p.maxTip, p.bufferBps, p.depositCap), (50, eth, 100, eth));
    assert_eq!(vault_c.pendingParams().call().await.unwrap().eta, 0);

    // Exit with exactly the principal.
    let before = token_c.balanceOf(me).call().await.unwrap();
    let estimate = provider
        .estimate_gas(
            TransactionRequest::default()
                .with_to(vault)
                .with_input(IVault::withdrawCall { principal: stake, receiver: me }.abi_encode()),
        )
        .await
        .unwrap();
    assert!(estimate > 21_000);
    mined(&provider, vault_c.withdraw(stake, me).into_transaction_request()).await;
    assert_eq!(token_c.balanceOf(me).call().await.unwrap() - before, stake);
    node.stop().await.unwrap();
}
