//! "No per-member loop anywhere": on the devnode, the gas of every vault
//! call is the same with a handful of members or many. Prints the figures
//! (`cargo test --test gas -- --nocapture`).

use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_sol_types::{sol, SolValue};
use bindings::{IComputeCredits, IVault};
use e2e::{constructor_call, fixture, word, Chain, ALICE};

sol! {
    interface IToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
    }
    interface ISource {
        function simulateGain(uint256 amount) external;
        function deposit(uint256 assets, address receiver) external returns (uint256);
        function withdraw(uint256 assets, address receiver, address owner) external returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
    }
}

const STAKE: u128 = 100_000_000_000_000_000;

fn member(n: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xAC;
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    Address::from(bytes)
}

/// Gas of each vault call, measured on a vault with `members` members.
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    deposit: u64,
    harvest: u64,
    claim: u64,
    withdraw: u64,
    transfer: u64,
}

fn measure(members: u64) -> Figures {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let mut source_init = fixture("TestYieldSource");
    source_init.extend_from_slice(&token.into_word().0);
    let source = chain.deploy(ALICE, source_init);
    let ledger = chain.deploy_stylus(ALICE, "compute-credits");
    let args = (token, ALICE, word("Credits"), word("CC")).abi_encode_params();
    assert!(chain.send(ALICE, TxKind::Call(ledger), constructor_call(&args), U256::ZERO).success);
    let vault = chain.deploy_stylus(ALICE, "vault");
    let args = (
        token,
        source,
        ledger,
        ALICE,
        Address::ZERO,
        word("Vault"),
        word("VLT"),
        10u16,
        U256::from(STAKE),
        0u16,
        U256::ZERO,
        86_400u64,
    )
        .abi_encode_params();
    assert!(chain.send(ALICE, TxKind::Call(vault), constructor_call(&args), U256::ZERO).success);
    chain.exec(
        ALICE,
        ledger,
        &IComputeCredits::grantRoleCall { role: keccak256("VAULT_ROLE"), account: vault },
    );

    let stake = U256::from(STAKE);
    let mut deposit = 0;
    for n in 1..=members {
        let who = member(n);
        chain.send(ALICE, TxKind::Call(who), vec![], U256::from(10u128.pow(18)));
        chain.exec(ALICE, token, &IToken::mintCall { to: who, amount: stake });
        chain.exec(who, token, &IToken::approveCall { spender: vault, amount: stake });
        let call = IVault::depositCall { assets: stake, beneficiary: who, lockSeconds: 0 };
        deposit = chain.exec(who, vault, &call).gas_used;
    }
    // Two rounds of yield; measure the second, when every slot is warm-started.
    let gain = stake * U256::from(members) / U256::from(20);
    let mut harvest = 0;
    for _ in 0..2 {
        chain.exec(ALICE, source, &ISource::simulateGainCall { amount: gain });
        harvest = chain.exec(ALICE, vault, &IVault::harvestCall {}).gas_used;
    }
    let last = member(members);
    let claim = chain.exec(ALICE, vault, &IVault::claimCall { member: last }).gas_used;
    // A transfer between two other members who both hold shares, with yield
    // accrued since the last harvest.
    chain.exec(ALICE, source, &ISource::simulateGainCall { amount: gain });
    let call = IVault::transferCall { to: member(2), value: stake / U256::from(2) };
    let transfer = chain.exec(member(1), vault, &call).gas_used;
    let withdraw = chain
        .exec(last, vault, &IVault::withdrawCall { principal: stake, receiver: last })
        .gas_used;
    Figures { deposit, harvest, claim, withdraw, transfer }
}

/// The Solidity anchor: `OpenZeppelin`'s ERC-4626 (the test source, a plain
/// vault with no yield skimming) on the same chain, for the same calls by
/// the last of `members` holders after a gain.
fn measure_anchor(members: u64) -> (u64, u64, u64) {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let mut source_init = fixture("TestYieldSource");
    source_init.extend_from_slice(&token.into_word().0);
    let source = chain.deploy(ALICE, source_init);
    let stake = U256::from(STAKE);
    let mut deposit = 0;
    for n in 1..=members {
        let who = member(n);
        chain.send(ALICE, TxKind::Call(who), vec![], U256::from(10u128.pow(18)));
        chain.exec(ALICE, token, &IToken::mintCall { to: who, amount: stake });
        chain.exec(who, token, &IToken::approveCall { spender: source, amount: stake });
        deposit = chain
            .exec(who, source, &ISource::depositCall { assets: stake, receiver: who })
            .gas_used;
    }
    chain.exec(ALICE, source, &ISource::simulateGainCall { amount: stake });
    let half = stake / U256::from(2);
    let transfer = chain
        .exec(member(1), source, &ISource::transferCall { to: member(2), value: half })
        .gas_used;
    let last = member(members);
    let call = ISource::withdrawCall { assets: half, receiver: last, owner: last };
    let withdraw = chain.exec(last, source, &call).gas_used;
    (deposit, withdraw, transfer)
}

#[test]
fn vault_gas_does_not_grow_with_members() {
    let few = measure(3);
    let many = measure(60);
    println!("gas with 3 members:  {few:?}");
    println!("gas with 60 members: {many:?}");
    let (deposit, withdraw, transfer) = measure_anchor(60);
    println!(
        "anchor, OpenZeppelin ERC-4626 in Solidity, 60 holders: deposit {deposit}, withdraw {withdraw}, transfer {transfer}"
    );
    // The same work whatever the number of members. What may differ is
    // whether a rounding remainder stored along the way is zero or not (a
    // slot written from zero costs 20,000 more than one rewritten): a few
    // thousand members would cost thousands of times more with a loop.
    let pairs = [
        ("deposit", few.deposit, many.deposit),
        ("harvest", few.harvest, many.harvest),
        ("claim", few.claim, many.claim),
        ("withdraw", few.withdraw, many.withdraw),
        ("transfer", few.transfer, many.transfer),
    ];
    for (call, a, b) in pairs {
        assert!(a.abs_diff(b) <= 20_000, "{call}: {a} with 3 members, {b} with 60");
    }
}
