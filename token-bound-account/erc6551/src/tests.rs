//! The ERC-6551 constants and functions against the standard's own
//! published vectors and an independent CREATE2 implementation (alloy's).

use alloy_primitives::{address, b256, hex, keccak256, Address, B256, U256};
use proptest::prelude::*;

use super::*;

/// The canonical registry's init code, exactly as the ERC-6551 text
/// publishes it in the deployment transaction to Nick's factory (the data
/// after the 32-byte salt). Shared with the devnode's tests, which run it.
const CANONICAL_REGISTRY_INIT: &str = include_str!("../../../fixtures/ERC6551Registry.bin");

/// Nick's deterministic deployment factory, named by the standard.
const NICKS_FACTORY: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
/// The salt the standard deploys the registry with.
const REGISTRY_SALT: B256 =
    b256!("0000000000000000000000000000000000000000fd8eb4e1dca713016c518e31");
/// Where the standard says the registry lives on every chain.
const CANONICAL_REGISTRY: Address = address!("000000006551c19487814612e58FE06813775758");

fn token(chain_id: u64, token_contract: Address, token_id: u64) -> BoundToken {
    BoundToken { chain_id: U256::from(chain_id), token_contract, token_id: U256::from(token_id) }
}

/// The standard's worked example ("Registry" section): implementation
/// 0xbebe…, salt 0, chain id 1, token contract 0xcfcf…, token id 123 gives
/// exactly this deployed bytecode.
#[test]
fn deployed_code_matches_the_standards_example() {
    let expected = hex!(
        "363d3d373d3d3d363d73bebebebebebebebebebebebebebebebebebebebe5af43d82803e903d91602b57fd5bf3"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000001"
        "000000000000000000000000cfcfcfcfcfcfcfcfcfcfcfcfcfcfcfcfcfcfcfcf"
        "000000000000000000000000000000000000000000000000000000000000007b"
    );
    let bound = token(1, Address::repeat_byte(0xcf), 123);
    let code = init_code(Address::repeat_byte(0xbe), B256::ZERO, &bound);
    assert_eq!(code[CONSTRUCTOR_LEN..], expected[..]);
    assert_eq!(parse_footer(&expected), Some(bound));
    assert_eq!(parse_salt(&expected), Some(B256::ZERO));
}

/// The CREATE2 formula on the standard's own deployment: Nick's factory,
/// the published salt and init code give the canonical registry address.
#[test]
fn create2_derives_the_canonical_registry_address() {
    let init = hex::decode(CANONICAL_REGISTRY_INIT.trim()).expect("hex");
    assert_eq!(create2_address(NICKS_FACTORY, REGISTRY_SALT, keccak256(&init)), CANONICAL_REGISTRY);
}

/// The canonical registry's bytecode embeds the same proxy prefix, suffix
/// and event topic as this crate (as PUSH20, PUSH15 and PUSH32 operands).
#[test]
fn constants_match_the_canonical_registry_bytecode() {
    let init = hex::decode(CANONICAL_REGISTRY_INIT.trim()).expect("hex");
    let contains = |needle: &[u8]| init.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&[&[0x73][..], &PROXY_PREFIX].concat()));
    assert!(contains(&[&[0x6e][..], &PROXY_SUFFIX].concat()));
    assert!(contains(&[&[0x7f][..], &ACCOUNT_CREATED_TOPIC].concat()));
    // `create2(0, 0x55, 0xb7, salt)`: the init code is 0xb7 bytes.
    assert_eq!(INIT_CODE_LEN, 0xb7);
    assert_eq!(DATA_OFFSET, 0x2d);
}

/// The interface ids are the XOR of their functions' selectors.
#[test]
fn interface_ids_are_xor_of_selectors() {
    let selector = |sig: &str| -> [u8; 4] { keccak256(sig)[..4].try_into().unwrap() };
    let xor = |sigs: &[&str]| {
        sigs.iter().map(|s| selector(s)).fold([0u8; 4], |mut acc, s| {
            acc.iter_mut().zip(s).for_each(|(a, b)| *a ^= b);
            acc
        })
    };
    assert_eq!(xor(&["token()", "state()", "isValidSigner(address,bytes)"]), IERC6551_ACCOUNT_ID);
    assert_eq!(xor(&["execute(address,uint256,bytes,uint8)"]), IERC6551_EXECUTABLE_ID);
    assert_eq!(selector("isValidSigner(address,bytes)"), VALID_SIGNER_MAGIC);
}

#[test]
fn footer_parsing_refuses_other_code() {
    let bound = token(42_161, Address::repeat_byte(7), 9);
    let good = init_code(Address::repeat_byte(1), B256::repeat_byte(2), &bound);
    let runtime = &good[CONSTRUCTOR_LEN..];
    assert_eq!(parse_footer(runtime), Some(bound));
    // The init code itself, a truncated or extended copy: not an account.
    assert_eq!(parse_footer(&good), None);
    assert_eq!(parse_footer(&runtime[..RUNTIME_LEN - 1]), None);
    assert_eq!(parse_footer(&[runtime, &[0]].concat()), None);
    assert_eq!(parse_footer(&[]), None);
    // A Stylus program's code (the implementation called directly).
    assert_eq!(parse_footer(&[0xef, 0xf0, 0x00, 0x00]), None);
    // A damaged header or footer, or a dirty address word.
    for at in [0, 9, 30, 44, DATA_OFFSET + 64] {
        let mut bad = runtime.to_vec();
        bad[at] ^= 1;
        assert_eq!(parse_footer(&bad), None, "byte {at} flipped");
    }
}

proptest! {
    /// The registry's derivation equals alloy's independent CREATE2 over
    /// init code built directly from the standard's layout.
    #[test]
    fn account_address_matches_alloy_create2(
        registry: [u8; 20],
        implementation: [u8; 20],
        salt: [u8; 32],
        chain_id: [u8; 32],
        token_contract: [u8; 20],
        token_id: [u8; 32],
    ) {
        let (registry, implementation, salt) =
            (Address::from(registry), Address::from(implementation), B256::from(salt));
        let bound = BoundToken {
            chain_id: U256::from_be_bytes(chain_id),
            token_contract: Address::from(token_contract),
            token_id: U256::from_be_bytes(token_id),
        };
        let spec_layout = [
            &hex!("3d60ad80600a3d3981f3363d3d373d3d3d363d73")[..],
            implementation.as_slice(),
            &hex!("5af43d82803e903d91602b57fd5bf3"),
            salt.as_slice(),
            &chain_id,
            B256::left_padding_from(token_contract.as_slice()).as_slice(),
            &token_id,
        ]
        .concat();
        prop_assert_eq!(&init_code(implementation, salt, &bound)[..], &spec_layout[..]);
        prop_assert_eq!(
            account_address(registry, implementation, salt, &bound),
            registry.create2_from_code(salt, &spec_layout)
        );
        prop_assert_eq!(parse_footer(&spec_layout[CONSTRUCTOR_LEN..]), Some(bound));
    }
}
