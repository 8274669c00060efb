//! The Stylus ERC-6551 registry on the devnode, side by side with the
//! canonical EVM registry (its bytecode exactly as the standard publishes
//! it): same proxy bytecode, same address derivation, same idempotence.

use alloy_primitives::{b256, keccak256, Address, B256, U256};
use alloy_sol_types::SolCall;
use bindings::IErc6551Registry;
use e2e::{fixture, Chain, ALICE, BOB, CHAIN_ID};
use revm::DatabaseRef;

/// The deployed code at `who`.
fn code_at(chain: &Chain, who: Address) -> Vec<u8> {
    let info = chain.db.basic_ref(who).expect("db").unwrap_or_default();
    match info.code {
        Some(code) if !code.is_empty() => code.original_bytes().to_vec(),
        _ => chain
            .db
            .code_by_hash_ref(info.code_hash)
            .map(|c| c.original_bytes().to_vec())
            .unwrap_or_default(),
    }
}

/// The account's deployed code, laid out by hand from the standard's text.
fn expected_code(
    implementation: Address,
    salt: B256,
    chain_id: U256,
    token: Address,
    id: U256,
) -> Vec<u8> {
    let mut code = alloy_primitives::hex!("363d3d373d3d3d363d73").to_vec();
    code.extend_from_slice(implementation.as_slice());
    code.extend_from_slice(&alloy_primitives::hex!("5af43d82803e903d91602b57fd5bf3"));
    code.extend_from_slice(salt.as_slice());
    code.extend_from_slice(&chain_id.to_be_bytes::<32>());
    code.extend_from_slice(B256::left_padding_from(token.as_slice()).as_slice());
    code.extend_from_slice(&id.to_be_bytes::<32>());
    code
}

fn create(
    implementation: Address,
    salt: B256,
    chain_id: U256,
    token: Address,
    id: U256,
) -> IErc6551Registry::createAccountCall {
    IErc6551Registry::createAccountCall {
        implementation,
        salt,
        chainId: chain_id,
        tokenContract: token,
        tokenId: id,
    }
}

fn query(
    implementation: Address,
    salt: B256,
    chain_id: U256,
    token: Address,
    id: U256,
) -> IErc6551Registry::accountCall {
    IErc6551Registry::accountCall {
        implementation,
        salt,
        chainId: chain_id,
        tokenContract: token,
        tokenId: id,
    }
}

#[test]
fn the_stylus_registry_creates_the_standard_proxy_once() {
    let mut chain = Chain::new();
    let registry = chain.deploy_stylus(ALICE, "erc6551-registry");
    let implementation = chain.deploy_stylus(ALICE, "token-bound-account");
    let salt = b256!("00000000000000000000000000000000000000000000000000000000000006a1");
    let (chain_id, token, id) = (U256::from(CHAIN_ID), Address::repeat_byte(0xcf), U256::from(123));

    let predicted: Address =
        chain.view(registry, &query(implementation, salt, chain_id, token, id));
    let r = chain.exec(BOB, registry, &create(implementation, salt, chain_id, token, id));
    let created = IErc6551Registry::createAccountCall::abi_decode_returns(&r.output).unwrap();
    assert_eq!(created, predicted);
    // CREATE2 from the registry with the caller's salt over the init code.
    let mut init = alloy_primitives::hex!("3d60ad80600a3d3981f3").to_vec();
    init.extend(expected_code(implementation, salt, chain_id, token, id));
    assert_eq!(created, registry.create2(salt, keccak256(&init)));
    assert_eq!(code_at(&chain, created), expected_code(implementation, salt, chain_id, token, id));

    // The event, exactly as the standard declares it.
    assert_eq!(r.logs.len(), 1);
    let log = &r.logs[0];
    let topic0 =
        keccak256("ERC6551AccountCreated(address,address,bytes32,uint256,address,uint256)");
    assert_eq!(log.address, registry);
    assert_eq!(
        log.topics(),
        [topic0, implementation.into_word(), token.into_word(), B256::from(id)]
    );
    let mut data = created.into_word().to_vec();
    data.extend_from_slice(salt.as_slice());
    data.extend_from_slice(&chain_id.to_be_bytes::<32>());
    assert_eq!(log.data.data.to_vec(), data);

    // A second create returns the same account, deploys nothing, emits nothing.
    let again = chain.exec(ALICE, registry, &create(implementation, salt, chain_id, token, id));
    assert_eq!(
        IErc6551Registry::createAccountCall::abi_decode_returns(&again.output).unwrap(),
        created
    );
    assert!(again.logs.is_empty());
    assert!(again.gas_used < r.gas_used);

    // A different salt is a different account.
    let other: Address =
        chain.view(registry, &query(implementation, B256::ZERO, chain_id, token, id));
    assert_ne!(other, created);
}

#[test]
fn the_stylus_registry_matches_the_canonical_evm_registry() {
    let mut chain = Chain::new();
    let canonical = chain.deploy(ALICE, fixture("ERC6551Registry"));
    let ours = chain.deploy_stylus(ALICE, "erc6551-registry");
    let implementation = chain.deploy_stylus(ALICE, "token-bound-account");
    for (salt, chain_id, id) in [
        (B256::ZERO, 1u64, 0u64),
        (B256::repeat_byte(0xab), CHAIN_ID, 7),
        (B256::with_last_byte(1), 42_161, u64::MAX),
    ] {
        let (chain_id, token, id) =
            (U256::from(chain_id), Address::repeat_byte(0x42), U256::from(id));
        let theirs: Address =
            chain.view(canonical, &query(implementation, salt, chain_id, token, id));
        let mine: Address = chain.view(ours, &query(implementation, salt, chain_id, token, id));
        // Same derivation, each from its own address.
        let init_hash = {
            let mut init = alloy_primitives::hex!("3d60ad80600a3d3981f3").to_vec();
            init.extend(expected_code(implementation, salt, chain_id, token, id));
            keccak256(init)
        };
        assert_eq!(theirs, canonical.create2(salt, init_hash));
        assert_eq!(mine, ours.create2(salt, init_hash));
        // Both deploy byte-identical accounts.
        chain.exec(BOB, canonical, &create(implementation, salt, chain_id, token, id));
        chain.exec(BOB, ours, &create(implementation, salt, chain_id, token, id));
        assert_eq!(code_at(&chain, theirs), code_at(&chain, mine));
        assert_eq!(code_at(&chain, mine).len(), 0xad);
    }
}

#[tokio::test]
async fn the_node_serves_the_project_registry_at_the_canonical_address() {
    use alloy::providers::{Provider, ProviderBuilder};
    use devnode::{system::ERC6551_REGISTRY, Config};

    let wasm = e2e::stylus_dir().join("erc6551-registry.wasm");
    let config = Config { port: 0, erc6551_registry: Some(wasm), ..Config::default() };
    let node = devnode::spawn(config).await.expect("node starts with the registry");
    let provider = ProviderBuilder::new().connect_http(node.url().parse().expect("url"));
    let code = provider.get_code_at(ERC6551_REGISTRY).await.unwrap();
    assert!(code.starts_with(&[0xEF, 0xF0, 0x00]), "a Stylus program at the canonical address");

    let (implementation, salt, token, id) =
        (Address::repeat_byte(0x1A), B256::ZERO, Address::repeat_byte(0x7E), U256::from(3));
    let call = query(implementation, salt, U256::from(CHAIN_ID), token, id);
    let request = alloy::rpc::types::TransactionRequest::default()
        .to(ERC6551_REGISTRY)
        .input(call.abi_encode().into());
    let reply = provider.call(request).await.expect("activated and answering");
    let account = IErc6551Registry::accountCall::abi_decode_returns(&reply).unwrap();
    let init = {
        let mut code = alloy_primitives::hex!("3d60ad80600a3d3981f3").to_vec();
        code.extend(expected_code(implementation, salt, U256::from(CHAIN_ID), token, id));
        code
    };
    assert_eq!(account, ERC6551_REGISTRY.create2(salt, keccak256(&init)));
}
