//! Unit tests of the registry on motsu. motsu models neither CREATE2 nor
//! account code, so `createAccount` itself is tested on the devnode
//! (`offchain/e2e/tests/it/registry.rs`); here the view derives addresses from the
//! registry's own address exactly as the standard does.

use alloy_primitives::{address, Address, B256, U256};
use erc6551::BoundToken;
use motsu::prelude::*;

use crate::Erc6551Registry;

#[motsu::test]
fn account_is_create2_from_the_registry_over_the_standard_proxy(
    registry: Contract<Erc6551Registry>,
    alice: Address,
) {
    let implementation = address!("00000000000000000000000000000000000000be");
    let token_contract = address!("00000000000000000000000000000000000000cf");
    let salt = B256::with_last_byte(7);
    let (chain_id, token_id) = (U256::from(42_161), U256::from(123));
    let got =
        registry.sender(alice).account(implementation, salt, chain_id, token_contract, token_id);

    // Independently: alloy's CREATE2 over the init code laid out by hand.
    let mut code = alloy_primitives::hex!("3d60ad80600a3d3981f3363d3d373d3d3d363d73").to_vec();
    code.extend_from_slice(implementation.as_slice());
    code.extend_from_slice(&alloy_primitives::hex!("5af43d82803e903d91602b57fd5bf3"));
    code.extend_from_slice(salt.as_slice());
    code.extend_from_slice(&chain_id.to_be_bytes::<32>());
    code.extend_from_slice(B256::left_padding_from(token_contract.as_slice()).as_slice());
    code.extend_from_slice(&token_id.to_be_bytes::<32>());
    assert_eq!(got, registry.address().create2_from_code(salt, &code));

    // Every input changes the address.
    let token = BoundToken { chain_id, token_contract, token_id };
    let base = erc6551::account_address(registry.address(), implementation, salt, &token);
    assert_eq!(got, base);
    let other_salt = registry.sender(alice).account(
        implementation,
        B256::ZERO,
        chain_id,
        token_contract,
        token_id,
    );
    let other_chain = registry.sender(alice).account(
        implementation,
        salt,
        U256::from(1),
        token_contract,
        token_id,
    );
    let other_id = registry.sender(alice).account(
        implementation,
        salt,
        chain_id,
        token_contract,
        U256::from(124),
    );
    let other_impl =
        registry.sender(alice).account(Address::ZERO, salt, chain_id, token_contract, token_id);
    let all = [got, other_salt, other_chain, other_id, other_impl];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}
