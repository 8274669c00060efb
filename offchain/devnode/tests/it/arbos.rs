//! `ArbSys`, `ArbGasInfo` and `ArbOwnerPublic` through `eth_call`, as tools read
//! them: the chain's block number and id, recent block hashes (the real
//! ones, as `BLOCKHASH` now gives), prices consistent with `eth_gasPrice`,
//! no L1 fees, the chain owner; unknown methods revert.

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{address, Address, Bytes, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    sol,
};
use devnode::{Config, Node};

sol! {
    #[sol(rpc)]
    interface ArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbBlockHash(uint256 arbBlockNum) external view returns (bytes32);
        function arbChainID() external view returns (uint256);
        function wasMyCallersAddressAliased() external view returns (bool);
        function arbOSVersion() external pure returns (uint256);
    }
    #[sol(rpc)]
    interface ArbGasInfo {
        function getPricesInWei() external view returns (uint256, uint256, uint256, uint256, uint256, uint256);
        function getMinimumGasPrice() external view returns (uint256);
        function getL1BaseFeeEstimate() external view returns (uint256);
        function getCurrentTxL1GasFees() external view returns (uint256);
    }
    #[sol(rpc)]
    interface ArbOwnerPublic {
        function getAllChainOwners() external view returns (address[]);
        function isChainOwner(address addr) external view returns (bool);
    }
}

const ARBSYS: Address = address!("0000000000000000000000000000000000000064");
const ARBGASINFO: Address = address!("000000000000000000000000000000000000006c");
const ARBOWNERPUBLIC: Address = address!("000000000000000000000000000000000000006b");
const OWNER: Address = address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E");

async fn node_with_blocks(blocks: u64) -> (Node, impl Provider + Clone) {
    let node = devnode::spawn(Config { port: 0, ..Config::default() }).await.expect("node starts");
    let url = node.url().parse().expect("url");
    let provider = ProviderBuilder::new().connect_http(url);
    for _ in 0..blocks {
        let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    }
    (node, provider)
}

#[tokio::test]
async fn arbsys_answers_the_block_number_chain_id_and_recent_hashes() {
    let (node, provider) = node_with_blocks(3).await;
    let sys = ArbSys::new(ARBSYS, &provider);
    for n in 1..=3u64 {
        let at = BlockId::number(n);
        assert_eq!(sys.arbBlockNumber().block(at).call().await.unwrap(), U256::from(n));
        // The hash of the block before, as the chain has it.
        let parent = provider.get_block_by_number((n - 1).into()).await.unwrap().unwrap();
        let hash = sys.arbBlockHash(U256::from(n - 1)).block(at).call().await.unwrap();
        assert_eq!(hash, parent.header.hash, "arbBlockHash({}) at block {n}", n - 1);
        // The current block and later ones have no hash yet: a revert.
        assert!(sys.arbBlockHash(U256::from(n)).block(at).call().await.is_err());
    }
    assert_eq!(sys.arbChainID().call().await.unwrap(), U256::from(412_346u64));
    assert!(!sys.wasMyCallersAddressAliased().call().await.unwrap());
    // 55 + 61, as Arbitrum One answers since Elara.
    assert_eq!(sys.arbOSVersion().call().await.unwrap(), U256::from(116u64));
    // The precompiles have code, so tools that check for it find them.
    assert_eq!(provider.get_code_at(ARBSYS).await.unwrap(), Bytes::from_static(&[0xfe]));
    // An unknown selector reverts with no data.
    let unknown = TransactionRequest::default().with_to(ARBSYS).with_input(vec![1, 2, 3, 4]);
    assert!(provider.call(unknown).await.is_err());
    node.stop().await.unwrap();
}

#[tokio::test]
async fn arbgasinfo_prices_execution_at_the_base_fee_with_no_l1_fees() {
    let (node, provider) = node_with_blocks(0).await;
    let info = ArbGasInfo::new(ARBGASINFO, &provider);
    let gas_price = U256::from(provider.get_gas_price().await.unwrap());
    let prices = info.getPricesInWei().call().await.unwrap();
    assert_eq!((prices._0, prices._1), (U256::ZERO, U256::ZERO), "no L1 component");
    assert_eq!(prices._3, gas_price, "per ArbGas base");
    assert_eq!(prices._5, gas_price, "per ArbGas total");
    assert_eq!(prices._2, gas_price * U256::from(20_000u64), "per storage allocation");
    assert_eq!(info.getMinimumGasPrice().call().await.unwrap(), gas_price);
    assert_eq!(info.getL1BaseFeeEstimate().call().await.unwrap(), U256::ZERO);
    assert_eq!(info.getCurrentTxL1GasFees().call().await.unwrap(), U256::ZERO);

    let owners = ArbOwnerPublic::new(ARBOWNERPUBLIC, &provider);
    assert_eq!(owners.getAllChainOwners().call().await.unwrap(), vec![OWNER]);
    assert!(owners.isChainOwner(OWNER).call().await.unwrap());
    assert!(!owners.isChainOwner(Address::repeat_byte(1)).call().await.unwrap());
    node.stop().await.unwrap();
}
