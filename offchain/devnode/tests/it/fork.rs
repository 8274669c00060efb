//! `--fork-url`: a devnode forked from another one (the upstream) reads
//! the upstream's state lazily at the fork block (balances, a Solidity
//! token's storage, a Stylus program and its activation) and continues the
//! upstream's numbering; what happens on the fork stays on the fork.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol,
    sol_types::SolValue,
};
use bindings::IComputeCredits;
use devnode::{Config, Node};
use e2e::{
    fixture,
    rpc::{deploy, deploy_stylus},
};

sol! {
    #[sol(rpc)]
    interface IToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address who) external view returns (uint256);
    }
}

fn wallet(node: &Node, index: usize) -> (Address, impl Provider + Clone) {
    let signer = PrivateKeySigner::from_bytes(&node.accounts()[index].key).expect("key");
    let url = node.url().parse().expect("url");
    (
        signer.address(),
        ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url),
    )
}

/// A node on a runtime of its own, as a remote upstream is: a fork's
/// executions block on the upstream's answers, so an upstream sharing the
/// test's worker threads could be starved by them.
struct Remote {
    node: Node,
    runtime: tokio::runtime::Runtime,
}

impl Remote {
    fn spawn() -> Self {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            let config = Config { port: 0, ..Config::default() };
            let node = runtime.block_on(devnode::spawn(config)).expect("upstream");
            Self { node, runtime }
        })
        .join()
        .expect("the upstream starts")
    }

    /// Stops the node and its runtime (outside the caller's runtime, where
    /// a runtime may not be dropped).
    fn stop(self) {
        std::thread::spawn(move || {
            self.runtime.block_on(self.node.stop()).expect("upstream stops");
        })
        .join()
        .expect("the upstream stops");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fork_reads_the_upstream_lazily_and_keeps_its_own_changes() {
    // The upstream: a token, a Stylus ledger, credits topped up.
    let remote = Remote::spawn();
    let upstream = &remote.node;
    let (me, up) = wallet(upstream, 0);
    let token = deploy(&up, fixture("TestToken")).await;
    let args = (token, me, B256::right_padding_from(b"Credits"), B256::right_padding_from(b"CC"))
        .abi_encode_params();
    let ledger = deploy_stylus(&up, "compute-credits", &args).await;
    let amount = U256::from(7_000u64);
    let tok = IToken::new(token, &up);
    tok.mint(me, amount).send().await.unwrap().get_receipt().await.unwrap();
    tok.approve(ledger, amount).send().await.unwrap().get_receipt().await.unwrap();
    let credits = U256::from(3_000u64);
    let led = IComputeCredits::new(ledger, &up);
    led.topUp(me, credits).send().await.unwrap().get_receipt().await.unwrap();
    let head = up.get_block_number().await.unwrap();

    // The fork, at the upstream's head.
    let config = Config { port: 0, fork_url: Some(upstream.url()), ..Config::default() };
    let fork = devnode::spawn(config).await.expect("fork starts");
    let (_, forked) = wallet(&fork, 0);
    let first = head + 1;
    assert_eq!(forked.get_block_number().await.unwrap(), first, "numbering continues");
    assert_eq!(forked.get_chain_id().await.unwrap(), up.get_chain_id().await.unwrap());
    // The token's storage and the Stylus ledger (code and activation) come
    // from the upstream on first use.
    let fork_token = IToken::new(token, &forked);
    assert_eq!(fork_token.balanceOf(me).call().await.unwrap(), amount - credits);
    let fork_ledger = IComputeCredits::new(ledger, &forked);
    assert_eq!(fork_ledger.spendableOf(me).call().await.unwrap(), credits);
    assert_eq!(forked.get_code_at(ledger).await.unwrap(), up.get_code_at(ledger).await.unwrap());

    // Changes on the fork stay there: a transfer and a Stylus top-up.
    let bob = Address::repeat_byte(0xB0);
    let sent = U256::from(1_000u64);
    fork_token.transfer(bob, sent).send().await.unwrap().get_receipt().await.unwrap();
    fork_token.approve(ledger, sent).send().await.unwrap().get_receipt().await.unwrap();
    let receipt = fork_ledger.topUp(bob, U256::from(500u64)).send().await.unwrap();
    assert!(receipt.get_receipt().await.unwrap().status());
    assert_eq!(fork_token.balanceOf(bob).call().await.unwrap(), sent);
    assert_eq!(fork_ledger.spendableOf(bob).call().await.unwrap(), U256::from(500u64));
    assert_eq!(tok.balanceOf(bob).call().await.unwrap(), U256::ZERO, "the upstream is untouched");
    assert_eq!(up.get_block_number().await.unwrap(), head);
    // The fork's first block still reads as the upstream left it, for slots
    // changed on the fork since (EVM and Stylus storage alike).
    let then = fork_token.balanceOf(me).block(first.into()).call().await.unwrap();
    assert_eq!(then, amount - credits, "the token balance at the fork's first block");
    let then = fork_ledger.spendableOf(bob).block(first.into()).call().await.unwrap();
    assert_eq!(then, U256::ZERO);
    let then = fork_ledger.spendableOf(me).block(first.into()).call().await.unwrap();
    assert_eq!(then, credits, "an untouched Stylus slot read at a past block");
    assert_eq!(
        forked.get_storage_at(token, U256::ZERO).number(first).await.unwrap(),
        up.get_storage_at(token, U256::ZERO).await.unwrap()
    );
    // Reads at a block before the fork are refused with a pointer upstream.
    let before = forked.get_balance(me).number(head - 1).await.unwrap_err().to_string();
    assert!(before.contains("before the fork"), "{before}");
    fork.stop().await.unwrap();
    remote.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_does_not_answer_stops_the_fork_at_start() {
    let config =
        Config { port: 0, fork_url: Some("http://127.0.0.1:9/".into()), ..Config::default() };
    let err = devnode::spawn(config).await.unwrap_err().to_string();
    assert!(err.contains("did not answer"), "{err}");
}
