//! Agent permissions and parking on the devnode, with the real account
//! behind the real registry proxy, the real credit ledger and the real
//! parking: the holder names the agent-permissions contract as the
//! account's executor and grants an agent rights; the agent executes an
//! allowed call through the account, and every call beyond its rights
//! reverts with its exact typed error (wrong selector, wrong target, value
//! over the period's cap, credits over the cap with the spend undone,
//! expiry, revocation, a transfer of the token). A parked AI keeps acting
//! through grants proposed under the parking's delay; a release waits for
//! the delay, a guardian cancels it, and a permanent parking never releases.

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use bindings::{
    IAgentPermissions, IAiParking, IComputeCredits, IErc6551Registry, ITokenBoundAccount,
};
use e2e::{constructor_call, fixture, word, Chain, ALICE, BOB, CHAIN_ID};

sol! {
    interface ITestNft {
        function mint(address to, uint256 id) external;
        function ownerOf(uint256 id) external view returns (address);
        function approve(address to, uint256 id) external;
        function transferFrom(address from, address to, uint256 id) external;
    }
    interface IToken {
        function mint(address to, uint256 amount) external;
        function balanceOf(address who) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

/// The agent key.
const AGENT: Address = BOB;
/// A guardian of the parking.
const GUARDIAN: Address = Address::repeat_byte(0x9a);
/// Who receives payments and, once, the AI.
const CAROL: Address = Address::repeat_byte(0xca);
/// An hour: the period of the caps.
const HOUR: u64 = 3_600;
/// A day: the parking's delay.
const DAY: u64 = 86_400;

struct World {
    chain: Chain,
    registry: Address,
    implementation: Address,
    permissions: Address,
    parking: Address,
    nft: Address,
    token: Address,
    ledger: Address,
}

impl World {
    fn new() -> Self {
        let mut chain = Chain::new();
        let registry = chain.deploy_stylus(ALICE, "erc6551-registry");
        let implementation = chain.deploy_stylus(ALICE, "token-bound-account");
        let permissions = chain.deploy_stylus(ALICE, "agent-permissions");
        let parking = chain.deploy_stylus(ALICE, "ai-parking");
        let r = chain.send(
            ALICE,
            TxKind::Call(parking),
            constructor_call(&permissions.abi_encode()),
            U256::ZERO,
        );
        assert!(r.success, "parking constructor: {}", r.output);
        let nft = chain.deploy(ALICE, fixture("TestNft"));
        let token = chain.deploy(ALICE, fixture("TestToken"));
        let ledger = chain.deploy_stylus(ALICE, "compute-credits");
        let args = (token, ALICE, word("Credits"), word("CC")).abi_encode_params();
        let r = chain.send(ALICE, TxKind::Call(ledger), constructor_call(&args), U256::ZERO);
        assert!(r.success, "ledger constructor: {}", r.output);
        Self { chain, registry, implementation, permissions, parking, nft, token, ledger }
    }

    /// Mints AI `id` to ALICE and creates its account, which holds 1,000
    /// tokens, 1,000 credits (and may escrow its own credits, standing in
    /// for the bridge's request) and 1 ETH.
    fn ai(&mut self, id: u64) -> Address {
        let id = U256::from(id);
        self.chain.exec(ALICE, self.nft, &ITestNft::mintCall { to: ALICE, id });
        let call = IErc6551Registry::createAccountCall {
            implementation: self.implementation,
            salt: B256::ZERO,
            chainId: U256::from(CHAIN_ID),
            tokenContract: self.nft,
            tokenId: id,
        };
        let r = self.chain.exec(ALICE, self.registry, &call);
        let account = IErc6551Registry::createAccountCall::abi_decode_returns(&r.output).unwrap();
        let thousand = U256::from(1_000);
        self.chain.exec(ALICE, self.token, &IToken::mintCall { to: account, amount: thousand });
        self.chain.exec(ALICE, self.token, &IToken::mintCall { to: ALICE, amount: thousand });
        self.chain.exec(
            ALICE,
            self.token,
            &IToken::approveCall { spender: self.ledger, amount: thousand },
        );
        self.chain.exec(
            ALICE,
            self.ledger,
            &IComputeCredits::topUpCall { to: account, amount: thousand },
        );
        let spender = alloy_primitives::keccak256("SPENDER_ROLE");
        self.chain.exec(
            ALICE,
            self.ledger,
            &IComputeCredits::grantRoleCall { role: spender, account },
        );
        assert!(
            self.chain
                .send(ALICE, TxKind::Call(account), vec![], U256::from(10u128.pow(18)))
                .success
        );
        account
    }

    /// `agent` has `account` call `to` through the permissions contract.
    fn act(
        &mut self,
        account: Address,
        to: Address,
        value: u64,
        data: Vec<u8>,
    ) -> Result<Bytes, Bytes> {
        let call = IAgentPermissions::executeCall {
            account,
            to,
            value: U256::from(value),
            data: data.into(),
        };
        let r =
            self.chain.send(AGENT, TxKind::Call(self.permissions), call.abi_encode(), U256::ZERO);
        if r.success {
            Ok(r.output)
        } else {
            Err(r.output)
        }
    }

    fn grant(&mut self, from: Address, account: Address, expiry: u64) {
        let call = IAgentPermissions::grantCall {
            account,
            agent: AGENT,
            expiry,
            period: HOUR,
            valueCap: U256::from(100),
            creditCap: U256::from(100),
            ledger: self.ledger,
        };
        self.chain.exec(from, self.permissions, &call);
    }

    fn allow_calls(&self, account: Address) -> Vec<IAgentPermissions::allowCall> {
        let allow = |target, selector: [u8; 4]| IAgentPermissions::allowCall {
            account,
            agent: AGENT,
            target,
            selector: selector.into(),
            allowed: true,
            dangerous: false,
        };
        vec![
            allow(self.token, IToken::transferCall::SELECTOR),
            allow(self.ledger, IComputeCredits::escrowCall::SELECTOR),
            allow(CAROL, [0; 4]),
        ]
    }

    fn allow(&mut self, account: Address) {
        for call in self.allow_calls(account) {
            self.chain.exec(ALICE, self.permissions, &call);
        }
    }

    fn transfer(amount: u64) -> Vec<u8> {
        IToken::transferCall { to: CAROL, amount: U256::from(amount) }.abi_encode()
    }

    fn escrow(account: Address, amount: u64) -> Vec<u8> {
        IComputeCredits::escrowCall { payer: account, amount: U256::from(amount) }.abi_encode()
    }
}

#[allow(clippy::needless_pass_by_value)]
fn err<E: SolError>(e: E) -> Result<Bytes, Bytes> {
    Err(e.abi_encode().into())
}

#[test]
fn an_agent_acts_within_its_rights_and_each_excess_has_its_error() {
    let mut w = World::new();
    let account = w.ai(1);
    let (token, ledger) = (w.token, w.ledger);
    w.chain.exec(ALICE, account, &ITokenBoundAccount::setExecutorCall { executor: w.permissions });
    assert_eq!(w.chain.view(account, &ITokenBoundAccount::executorCall {}), w.permissions);

    // No grant yet.
    let transfer = World::transfer(10);
    assert_eq!(
        w.act(account, token, 0, transfer.clone()),
        err(IAgentPermissions::AgentNotAllowed { account, agent: AGENT })
    );
    let expiry = w.chain.timestamp + 10 * HOUR;
    w.grant(ALICE, account, expiry);
    w.allow(account);

    // An allowed call, through the account.
    w.act(account, token, 0, transfer.clone()).expect("allowed transfer");
    assert_eq!(w.chain.view(token, &IToken::balanceOfCall { who: CAROL }), U256::from(10));
    // The agent is no holder: the account refuses it directly.
    let direct = ITokenBoundAccount::executeCall {
        to: token,
        value: U256::ZERO,
        data: transfer.clone().into(),
        operation: 0,
    };
    let r = w.chain.send(AGENT, TxKind::Call(account), direct.abi_encode(), U256::ZERO);
    assert_eq!(
        r.output,
        Bytes::from(ITokenBoundAccount::NotAuthorized { caller: AGENT }.abi_encode())
    );

    // Wrong selector, wrong target.
    let approve = IToken::approveCall { spender: AGENT, amount: U256::MAX }.abi_encode();
    let sel = IToken::approveCall::SELECTOR.into();
    assert_eq!(
        w.act(account, token, 0, approve),
        err(IAgentPermissions::TargetNotAllowed { target: token, selector: sel })
    );
    let other = w.nft;
    let sel = IToken::transferCall::SELECTOR.into();
    assert_eq!(
        w.act(account, other, 0, transfer.clone()),
        err(IAgentPermissions::TargetNotAllowed { target: other, selector: sel })
    );

    // ETH: 100 wei an hour.
    w.act(account, CAROL, 60, vec![]).expect("within the value cap");
    assert_eq!(w.chain.balance(CAROL), U256::from(60));
    assert_eq!(
        w.act(account, CAROL, 41, vec![]),
        err(IAgentPermissions::ValueCapExceeded {
            value: U256::from(41),
            remaining: U256::from(40)
        })
    );

    // Credits: 100 an hour, measured on the ledger; a refused call's spend
    // is undone with it.
    w.act(account, ledger, 0, World::escrow(account, 30)).expect("within the credit cap");
    assert_eq!(
        w.chain.view(ledger, &IComputeCredits::spendableOfCall { account }),
        U256::from(970)
    );
    assert_eq!(
        w.act(account, ledger, 0, World::escrow(account, 80)),
        err(IAgentPermissions::CreditCapExceeded {
            credits: U256::from(80),
            remaining: U256::from(70)
        })
    );
    assert_eq!(
        w.chain.view(ledger, &IComputeCredits::spendableOfCall { account }),
        U256::from(970)
    );

    // The next period starts with the whole caps again.
    w.chain.timestamp += HOUR;
    w.act(account, CAROL, 100, vec![]).expect("a new period");
    w.act(account, ledger, 0, World::escrow(account, 80)).expect("a new period");

    // The account's own lock still binds the agent (its error passes on).
    let until = w.chain.timestamp + 60;
    w.chain.exec(ALICE, account, &ITokenBoundAccount::lockCall { until: U256::from(until) });
    assert_eq!(
        w.act(account, token, 0, transfer.clone()),
        err(ITokenBoundAccount::Locked { until: U256::from(until) })
    );
    w.chain.timestamp += 61;

    // Expiry.
    w.chain.timestamp = expiry;
    assert_eq!(
        w.act(account, token, 0, transfer.clone()),
        err(IAgentPermissions::AgentExpired { account, agent: AGENT, expiry })
    );

    // Revocation, at once.
    w.grant(ALICE, account, u64::MAX);
    w.allow(account);
    w.act(account, token, 0, transfer.clone()).expect("granted again");
    w.chain.exec(ALICE, w.permissions, &IAgentPermissions::revokeCall { account, agent: AGENT });
    assert_eq!(
        w.act(account, token, 0, transfer.clone()),
        err(IAgentPermissions::AgentRevoked { account, agent: AGENT })
    );

    // A transfer of the token ends the grant and the executor.
    w.grant(ALICE, account, u64::MAX);
    w.allow(account);
    w.chain.exec(
        ALICE,
        w.nft,
        &ITestNft::transferFromCall { from: ALICE, to: CAROL, id: U256::from(1) },
    );
    assert_eq!(
        w.act(account, token, 0, transfer),
        err(IAgentPermissions::OwnerChanged { granter: ALICE, owner: CAROL })
    );
    assert_eq!(w.chain.view(account, &ITokenBoundAccount::executorCall {}), Address::ZERO);
}

#[test]
#[allow(clippy::too_many_lines)]
fn h2_a_parked_ai_acts_through_its_agent_leaves_after_the_delay_and_a_re_parking_revives_nothing() {
    let mut w = World::new();
    let account = w.ai(1);
    let (nft, parking, token) = (w.nft, w.parking, w.token);
    let id = U256::from(1);
    w.chain.exec(ALICE, nft, &ITestNft::approveCall { to: parking, id });
    let park = IAiParking::parkCall {
        nft,
        tokenId: id,
        account,
        controller: ALICE,
        guardians: vec![GUARDIAN],
        delay: DAY,
        permanent: false,
    };
    w.chain.exec(ALICE, parking, &park);
    assert_eq!(w.chain.view(account, &ITokenBoundAccount::ownerCall {}), parking);
    assert_eq!(w.chain.view(account, &ITokenBoundAccount::executorCall {}), w.permissions);

    // Grants go through the delay.
    let grant = IAgentPermissions::grantCall {
        account,
        agent: AGENT,
        expiry: u64::MAX,
        period: HOUR,
        valueCap: U256::ZERO,
        creditCap: U256::from(100),
        ledger: w.ledger,
    }
    .abi_encode();
    let mut proposals = vec![grant];
    proposals.extend(w.allow_calls(account).iter().map(SolCall::abi_encode));
    let now = w.chain.timestamp;
    for data in &proposals {
        w.chain.exec(
            ALICE,
            parking,
            &IAiParking::proposeCall { nft, tokenId: id, data: data.clone().into() },
        );
    }
    let early =
        IAiParking::executeProposalCall { nft, tokenId: id, data: proposals[0].clone().into() };
    let at = w.chain.timestamp;
    let r = w.chain.send(BOB, TxKind::Call(parking), early.abi_encode(), U256::ZERO);
    let eta = now + DAY;
    assert_eq!(r.output, Bytes::from(IAiParking::NotReady { eta, now: at }.abi_encode()));
    w.chain.timestamp = eta + proposals.len() as u64 * 2;
    for data in proposals {
        w.chain.exec(
            BOB,
            parking,
            &IAiParking::executeProposalCall { nft, tokenId: id, data: data.into() },
        );
    }
    // The parked AI acts through its agent.
    w.act(account, token, 0, World::transfer(5)).expect("the parked AI's agent acts");
    assert_eq!(w.chain.view(token, &IToken::balanceOfCall { who: CAROL }), U256::from(5));

    // A release waits for the delay; a guardian cancels it.
    let request = IAiParking::requestReleaseCall { nft, tokenId: id, to: ALICE };
    let asked = w.chain.timestamp;
    w.chain.exec(ALICE, parking, &request);
    let release = IAiParking::executeReleaseCall { nft, tokenId: id };
    let at = w.chain.timestamp;
    let r = w.chain.send(BOB, TxKind::Call(parking), release.abi_encode(), U256::ZERO);
    assert_eq!(
        r.output,
        Bytes::from(IAiParking::NotReady { eta: asked + DAY, now: at }.abi_encode())
    );
    let r = w.chain.send(
        BOB,
        TxKind::Call(parking),
        IAiParking::cancelReleaseCall { nft, tokenId: id }.abi_encode(),
        U256::ZERO,
    );
    assert_eq!(r.output, Bytes::from(IAiParking::NotGuardian { caller: BOB }.abi_encode()));
    w.chain.exec(GUARDIAN, parking, &IAiParking::cancelReleaseCall { nft, tokenId: id });
    w.chain.timestamp += 2 * DAY;
    let r = w.chain.send(BOB, TxKind::Call(parking), release.abi_encode(), U256::ZERO);
    assert_eq!(
        r.output,
        Bytes::from(IAiParking::NoPendingRelease { nft, tokenId: id }.abi_encode())
    );

    // A release nobody cancels runs after the delay; the parking's grants end
    // (the parking resets the account before the token leaves).
    w.chain.exec(ALICE, parking, &request);
    w.chain.timestamp += DAY;
    w.chain.exec(BOB, parking, &release);
    assert_eq!(w.chain.view(nft, &ITestNft::ownerOfCall { id }), ALICE);
    let ended = err(IAgentPermissions::AgentNotAllowed { account, agent: AGENT });
    assert_eq!(w.act(account, token, 0, World::transfer(5)), ended);
    // H-2: the token comes back to the same parking under a new controller;
    // the grants of the earlier parking stay ended (before, the parking was
    // the granter again and they acted at once, unseen by the new guardians).
    w.chain.exec(ALICE, nft, &ITestNft::approveCall { to: parking, id });
    let again = IAiParking::parkCall {
        nft,
        tokenId: id,
        account,
        controller: BOB,
        guardians: vec![GUARDIAN],
        delay: DAY,
        permanent: false,
    };
    w.chain.exec(ALICE, parking, &again);
    assert_eq!(w.chain.view(account, &ITokenBoundAccount::ownerCall {}), parking);
    assert_eq!(w.act(account, token, 0, World::transfer(5)), ended);

    // I-5: a release into the token's own account would lock the AI for
    // good (`transferFrom` skips the account's cycle check); it is refused
    // after the delay too, and the token stays parked.
    let into_itself = IAiParking::requestReleaseCall { nft, tokenId: id, to: account };
    w.chain.exec(BOB, parking, &into_itself);
    w.chain.timestamp += DAY;
    let r = w.chain.send(ALICE, TxKind::Call(parking), release.abi_encode(), U256::ZERO);
    let cycle = IAiParking::OwnershipCycle { to: account, nft, tokenId: id };
    assert_eq!(r.output, Bytes::from(cycle.abi_encode()));
    assert_eq!(w.chain.view(nft, &ITestNft::ownerOfCall { id }), parking);

    // A permanent parking never releases.
    let other = w.ai(2);
    let id2 = U256::from(2);
    w.chain.exec(ALICE, nft, &ITestNft::approveCall { to: parking, id: id2 });
    let park = IAiParking::parkCall {
        nft,
        tokenId: id2,
        account: other,
        controller: ALICE,
        guardians: vec![GUARDIAN],
        delay: DAY,
        permanent: true,
    };
    w.chain.exec(ALICE, parking, &park);
    let r = w.chain.send(
        ALICE,
        TxKind::Call(parking),
        IAiParking::requestReleaseCall { nft, tokenId: id2, to: ALICE }.abi_encode(),
        U256::ZERO,
    );
    assert_eq!(
        r.output,
        Bytes::from(IAiParking::PermanentlyParked { nft, tokenId: id2 }.abi_encode())
    );
}
