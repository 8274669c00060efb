//! Member votes on key NFTs, the WASM contract on the in-process chain
//! (real time: every block two seconds later): past votes stay what they
//! were as keys move and members delegate, a lookup in a long history
//! costs a binary search, not a scan, and the gas of each call is printed
//! (`cargo test --manifest-path offchain/Cargo.toml -p e2e --test it
//! votes:: -- --nocapture`).

use alloy_primitives::{Address, TxKind, U256};
use alloy_sol_types::SolValue;
use bindings::IKeyNft;
use e2e::{constructor_call, word, Chain, ALICE};

fn member(n: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xBE;
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    Address::from(bytes)
}

/// A key collection issued by [`ALICE`].
fn collection(chain: &mut Chain) -> Address {
    let keys = chain.deploy_stylus(ALICE, "key-nft");
    let args = (word("Community Keys"), word("KEY"), ALICE, false).abi_encode_params();
    assert!(chain.send(ALICE, TxKind::Call(keys), constructor_call(&args), U256::ZERO).success);
    keys
}

fn fund(chain: &mut Chain, who: Address) {
    chain.send(ALICE, TxKind::Call(who), vec![], U256::from(10u128.pow(18)));
}

/// The gas a transaction calling the view `getPastVotes(who, at)` uses.
fn lookup_gas(chain: &mut Chain, keys: Address, who: Address, at: u64) -> u64 {
    let call = IKeyNft::getPastVotesCall { account: who, timepoint: U256::from(at) };
    let r = chain.exec(ALICE, keys, &call);
    assert!(r.success);
    r.gas_used
}

#[test]
fn past_votes_follow_the_history_and_a_lookup_is_a_binary_search() {
    let mut chain = Chain::new();
    let keys = collection(&mut chain);
    let (a, b, c) = (member(1), member(2), member(3));
    for who in [a, b, c] {
        fund(&mut chain, who);
    }
    let issue = chain.exec(ALICE, keys, &IKeyNft::issueCall { to: a }).gas_used;
    let issue_again = chain.exec(ALICE, keys, &IKeyNft::issueCall { to: a }).gas_used;
    let before_transfer = chain.timestamp;
    let transfer =
        chain.exec(a, keys, &IKeyNft::transferFromCall { from: a, to: b, tokenId: U256::from(1) });
    assert!(transfer.success);
    let delegate = chain.exec(b, keys, &IKeyNft::delegateCall { delegatee: c });
    assert!(delegate.success);
    let votes = |chain: &mut Chain, who: Address, at: u64| {
        chain.view(keys, &IKeyNft::getPastVotesCall { account: who, timepoint: U256::from(at) })
    };
    let last = chain.timestamp - 1;
    assert_eq!(votes(&mut chain, a, before_transfer - 1), U256::from(2), "before the transfer");
    assert_eq!(votes(&mut chain, a, last), U256::from(1));
    assert_eq!(votes(&mut chain, c, last), U256::from(1), "b's key votes for c");
    assert_eq!(votes(&mut chain, b, last), U256::ZERO);
    let total = chain.view(keys, &IKeyNft::getPastTotalSupplyCall { timepoint: U256::from(last) });
    assert_eq!(total, U256::from(2));

    // A long history for c: 512 checkpoints (b's key delegated back and forth).
    let last = chain.timestamp - 1;
    let short = lookup_gas(&mut chain, keys, c, last);
    // The next block's time: the first delegation back to b.
    let early = chain.timestamp;
    for _ in 0..256 {
        chain.exec(b, keys, &IKeyNft::delegateCall { delegatee: b });
        chain.exec(b, keys, &IKeyNft::delegateCall { delegatee: c });
    }
    let long_old = lookup_gas(&mut chain, keys, c, early + 1);
    let last = chain.timestamp - 1;
    let long_new = lookup_gas(&mut chain, keys, c, last);
    assert_eq!(votes(&mut chain, c, early + 1), U256::ZERO, "between two delegations");
    // A scan of 512 checkpoints would read 512 cold slots (> 1,000,000 gas).
    assert!(long_old < short + 60_000, "lookup {long_old} vs {short}: not a binary search");
    println!("key votes gas (WASM on the devnode's executor):");
    println!("  issue (first key of a member)   {issue:>9}");
    println!("  issue (another key)             {issue_again:>9}");
    println!("  transfer                        {:>9}", transfer.gas_used);
    println!("  delegate                        {:>9}", delegate.gas_used);
    println!("  getPastVotes, 1 checkpoint      {short:>9}");
    println!("  getPastVotes, 512, oldest half  {long_old:>9}");
    println!("  getPastVotes, 512, most recent  {long_new:>9}");
}
