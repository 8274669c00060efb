//! The token-bound account behind the registry's real proxy on the devnode:
//! the footer read through delegatecall, execution by the holder only,
//! ETH in and out, the lock over time, ownership-cycle refusals with the
//! transfer undone, reentrant receipts during an execution, and ERC-1271
//! signatures from a real key.

use alloy::signers::SignerSync;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolError};
use bindings::{IErc6551Registry, ITokenBoundAccount};
use e2e::{fixture, Chain, ALICE, BOB, CHAIN_ID};

sol! {
    interface ITestNft {
        function mint(address to, uint256 id) external;
        function ownerOf(uint256 id) external view returns (address);
        function safeTransferFrom(address from, address to, uint256 id) external;
    }
}

struct Env {
    chain: Chain,
    registry: Address,
    implementation: Address,
    nft: Address,
}

impl Env {
    fn new() -> Self {
        let mut chain = Chain::new();
        let registry = chain.deploy_stylus(ALICE, "erc6551-registry");
        let implementation = chain.deploy_stylus(ALICE, "token-bound-account");
        let nft = chain.deploy(ALICE, fixture("TestNft"));
        Self { chain, registry, implementation, nft }
    }

    /// Mints token `id` to `holder` and creates its account.
    fn account(&mut self, holder: Address, id: u64) -> Address {
        let id = U256::from(id);
        self.chain.exec(ALICE, self.nft, &ITestNft::mintCall { to: holder, id });
        let call = IErc6551Registry::createAccountCall {
            implementation: self.implementation,
            salt: B256::ZERO,
            chainId: U256::from(CHAIN_ID),
            tokenContract: self.nft,
            tokenId: id,
        };
        let r = self.chain.exec(BOB, self.registry, &call);
        IErc6551Registry::createAccountCall::abi_decode_returns(&r.output).unwrap()
    }

    fn execute(
        &mut self,
        from: Address,
        account: Address,
        to: Address,
        value: U256,
        data: Vec<u8>,
        op: u8,
    ) -> Result<Bytes, Bytes> {
        let call = ITokenBoundAccount::executeCall { to, value, data: data.into(), operation: op };
        let r = self.chain.send(from, TxKind::Call(account), call.abi_encode(), U256::ZERO);
        if r.success {
            Ok(r.output)
        } else {
            Err(r.output)
        }
    }
}

#[test]
fn the_holder_controls_the_account_through_the_registry_proxy() {
    let mut env = Env::new();
    let account = env.account(ALICE, 1);
    let token = env.chain.view(account, &ITokenBoundAccount::tokenCall {});
    assert_eq!(
        (token.chainId, token.tokenContract, token.tokenId),
        (U256::from(CHAIN_ID), env.nft, U256::from(1))
    );
    assert_eq!(env.chain.view(account, &ITokenBoundAccount::ownerCall {}), ALICE);
    // The implementation itself is bound to nothing.
    let bare = env.chain.view(env.implementation, &ITokenBoundAccount::tokenCall {});
    assert_eq!(bare.tokenContract, Address::ZERO);
    assert!(env.chain.view(
        account,
        &ITokenBoundAccount::supportsInterfaceCall { interfaceId: [0x6f, 0xaf, 0xf5, 0xf1].into() }
    ));

    // ETH in (receive), then out by the holder.
    let one = U256::from(10u128.pow(18));
    assert!(env.chain.send(BOB, TxKind::Call(account), vec![], one).success);
    assert_eq!(env.chain.balance(account), one);
    let payee = Address::repeat_byte(0x77);
    env.execute(ALICE, account, payee, one / U256::from(4), vec![], 0).expect("holder executes");
    assert_eq!(env.chain.balance(payee), one / U256::from(4));
    assert_eq!(env.chain.view(account, &ITokenBoundAccount::stateCall {}), U256::from(1));

    // Everyone else, and every other operation, is refused with its error.
    let r = env.execute(BOB, account, payee, U256::from(1), vec![], 0);
    assert_eq!(r, Err(ITokenBoundAccount::NotAuthorized { caller: BOB }.abi_encode().into()));
    let r = env.execute(ALICE, account, payee, U256::from(1), vec![], 1);
    assert_eq!(r, Err(ITokenBoundAccount::InvalidOperation { operation: 1 }.abi_encode().into()));
    assert_eq!(env.chain.balance(payee), one / U256::from(4));

    // The account follows the token.
    let transfer = ITestNft::safeTransferFromCall { from: ALICE, to: BOB, id: U256::from(1) };
    env.chain.exec(ALICE, env.nft, &transfer);
    assert!(env.execute(ALICE, account, payee, U256::from(1), vec![], 0).is_err());
    env.execute(BOB, account, payee, U256::from(1), vec![], 0).expect("new holder executes");
}

#[test]
fn a_lock_holds_until_its_time() {
    let mut env = Env::new();
    let account = env.account(ALICE, 1);
    let until = U256::from(env.chain.timestamp + 100);
    env.chain.exec(ALICE, account, &ITokenBoundAccount::lockCall { until });
    assert!(env.chain.view(account, &ITokenBoundAccount::isLockedCall {}));
    let r = env.execute(ALICE, account, env.nft, U256::ZERO, vec![], 0);
    assert_eq!(r, Err(ITokenBoundAccount::Locked { until }.abi_encode().into()));
    let signer = ITokenBoundAccount::isValidSignerCall { signer: ALICE, context: Bytes::new() };
    assert_eq!(env.chain.view(account, &signer), [0u8; 4]);
    env.chain.timestamp += 200;
    assert!(!env.chain.view(account, &ITokenBoundAccount::isLockedCall {}));
    assert_eq!(env.chain.view(account, &signer), [0x52, 0x3e, 0x32, 0x60]);
    let mint = ITestNft::mintCall { to: BOB, id: U256::from(9) }.abi_encode();
    env.execute(ALICE, account, env.nft, U256::ZERO, mint, 0).expect("unlocked again");
}

#[test]
fn ownership_cycles_are_refused_and_reentrant_receipts_accepted() {
    let mut env = Env::new();
    let a = env.account(ALICE, 1);
    // Its own token: refused, and the transfer is undone.
    let own = ITestNft::safeTransferFromCall { from: ALICE, to: a, id: U256::from(1) };
    let r = env.chain.send(ALICE, TxKind::Call(env.nft), own.abi_encode(), U256::ZERO);
    let refusal =
        ITokenBoundAccount::OwnershipCycle { tokenContract: env.nft, tokenId: U256::from(1) };
    assert_eq!((r.success, r.output.to_vec()), (false, refusal.abi_encode()));
    assert_eq!(env.chain.view(env.nft, &ITestNft::ownerOfCall { id: U256::from(1) }), ALICE);

    // One hop: B (token 2) holds token 1, so B controls A; A may not take token 2.
    let b = env.account(ALICE, 2);
    env.chain.exec(
        ALICE,
        env.nft,
        &ITestNft::safeTransferFromCall { from: ALICE, to: b, id: U256::from(1) },
    );
    assert_eq!(env.chain.view(a, &ITokenBoundAccount::ownerCall {}), b);
    let cycle = ITestNft::safeTransferFromCall { from: ALICE, to: a, id: U256::from(2) };
    let r = env.chain.send(ALICE, TxKind::Call(env.nft), cycle.abi_encode(), U256::ZERO);
    let refusal =
        ITokenBoundAccount::OwnershipCycle { tokenContract: env.nft, tokenId: U256::from(2) };
    assert_eq!((r.success, r.output.to_vec()), (false, refusal.abi_encode()), "one hop");
    assert_eq!(env.chain.view(env.nft, &ITestNft::ownerOfCall { id: U256::from(2) }), ALICE);

    // A token received while the account is executing: B's execute makes
    // the NFT call B's own hook (a reentrant call, which a Stylus program
    // refuses unless it allows reentrancy, as the account does), then sends
    // the token on to A.
    env.chain.exec(ALICE, env.nft, &ITestNft::mintCall { to: b, id: U256::from(3) });
    let pull = ITestNft::safeTransferFromCall { from: b, to: b, id: U256::from(3) }.abi_encode();
    let to_a = ITestNft::safeTransferFromCall { from: b, to: a, id: U256::from(3) }.abi_encode();
    env.execute(ALICE, b, env.nft, U256::ZERO, pull, 0).expect("reentrant self-receipt");
    env.execute(ALICE, b, env.nft, U256::ZERO, to_a, 0).expect("receipt by an account");
    assert_eq!(env.chain.view(env.nft, &ITestNft::ownerOfCall { id: U256::from(3) }), a);
}

#[test]
fn signatures_from_the_holder_key_are_valid_only_for_its_account() {
    let mut env = Env::new();
    let key = PrivateKeySigner::random();
    let mine = env.account(key.address(), 1);
    let other = env.account(key.address(), 2);
    let hash = B256::repeat_byte(0x5a);
    let digest = env.chain.view(mine, &ITokenBoundAccount::replaySafeHashCall { hash });
    let sig = key.sign_hash_sync(&digest).unwrap();
    let check = ITokenBoundAccount::isValidSignatureCall {
        hash,
        signature: sig.as_bytes().to_vec().into(),
    };
    assert_eq!(env.chain.view(mine, &check), [0x16, 0x26, 0xba, 0x7e]);
    assert_ne!(
        env.chain.view(other, &check),
        [0x16, 0x26, 0xba, 0x7e],
        "no replay across accounts"
    );
    let raw = key.sign_hash_sync(&hash).unwrap();
    let raw_check = ITokenBoundAccount::isValidSignatureCall {
        hash,
        signature: raw.as_bytes().to_vec().into(),
    };
    assert_ne!(env.chain.view(mine, &raw_check), [0x16, 0x26, 0xba, 0x7e]);
}
