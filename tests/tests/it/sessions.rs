//! Inference sessions across contracts with motsu: the sessions program
//! wired to the credit ledger, the inference registry and the access
//! contract as deployed, with receipts signed by a real secp256k1 key over
//! EIP-712 typed data built the way a client builds it (alloy here, viem in
//! the TypeScript client).
//!
//! motsu's clock stands still, so the challenge window running out, expiry
//! and a side that disappears are tested on the devnode
//! (`offchain/e2e/tests/it/sessions.rs`).

use crate::{
    bridge::{Market, COLLATERAL_BPS, PRICE},
    common,
};
use alloy_primitives::{Address, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{eip712_domain, sol, SolStruct};
use contract_kit::math::bps_ceil;
use inference_sessions::{
    phase, AlreadyAccepted, AlreadyClosing, BadReceiptSignature, Error, InferenceSessions,
    NoProvider, NotParty, ProviderIneligible, QuotaExceeded, ReceiptOverCap, ReceiptOverPrice,
    SessionClosed, SessionSettled, StaleReceipt,
};
use motsu::prelude::*;
use openzeppelin_stylus::token::erc721::IErc721;

sol! {
    /// A usage receipt, as a client declares it for EIP-712 signing.
    struct Receipt {
        uint64 session;
        uint64 seq;
        uint64 tokensIn;
        uint64 tokensOut;
        uint256 cost;
    }
}

/// How long the other side has to answer a close.
const WINDOW: u64 = 600;
/// The longest session.
const MAX_DURATION: u64 = 86_400;
/// The cap of every session here.
const CAP: u64 = 300;
/// motsu's fixed block time.
const NOW: u64 = crate::bridge::NOW;

/// The market with the sessions program wired in, and a session key.
struct Deployed {
    m: Market,
    sessions: Contract<InferenceSessions>,
    key: PrivateKeySigner,
    /// motsu's `ecrecover` precompile, deployed for as long as this lives.
    _precompiles: Box<dyn std::any::Any>,
}

impl Deployed {
    fn deploy(credits: u64) -> Self {
        let m = Market::deploy(1, credits);
        let sessions = Contract::<InferenceSessions>::new();
        let admin = m.admin;
        sessions
            .sender(admin)
            .constructor(
                m.env.ledger.address(),
                m.registry.address(),
                m.access.address(),
                WINDOW,
                MAX_DURATION,
            )
            .motsu_unwrap();
        m.registry.sender(admin).set_sessions(sessions.address()).motsu_unwrap();
        m.access.sender(admin).set_sessions(sessions.address()).motsu_unwrap();
        m.env.grant_spender(sessions.address());
        let precompiles = Box::new(deploy_precompiles());
        Self { m, sessions, key: PrivateKeySigner::random(), _precompiles: precompiles }
    }

    /// `caller` opens a session on the payer's credits for `provider`
    /// (zero: any), under `key_ref` (zero: none).
    fn open(
        &self,
        caller: Address,
        provider: Address,
        key_ref: (Address, U256),
    ) -> Result<u64, Error> {
        self.sessions.sender(caller).open(
            1,
            self.m.payer,
            provider,
            U256::from(CAP),
            NOW + 3_600,
            self.key.address(),
            key_ref.0,
            key_ref.1,
        )
    }

    /// A receipt for `id` signed by `signer`: `seq`, with `out` output
    /// tokens (10 input tokens) at the model's prices, charging `cost`
    /// (`None`: the priced cost).
    fn receipt(
        &self,
        signer: &PrivateKeySigner,
        id: u64,
        (seq, out): (u64, u64),
        cost: Option<U256>,
    ) -> (Receipt, Vec<u8>) {
        let priced = U256::from(10 * PRICE.0 + out * PRICE.1);
        let receipt = Receipt {
            session: id,
            seq,
            tokensIn: 10,
            tokensOut: out,
            cost: cost.unwrap_or(priced),
        };
        let (_, _, _, chain, contract, _, _) = self.sessions.sender(self.m.admin).eip712_domain();
        let domain = eip712_domain! {
            name: "Compute-Fi Sessions",
            version: "1",
            chain_id: chain.to::<u64>(),
            verifying_contract: contract,
        };
        let digest = receipt.eip712_signing_hash(&domain);
        let signature = signer.sign_hash_sync(&digest).expect("signing a digest cannot fail");
        (receipt, signature.as_bytes().to_vec())
    }

    /// `caller` closes `id` with `receipt` (`None`: none).
    fn close(
        &self,
        caller: Address,
        id: u64,
        receipt: Option<&(Receipt, Vec<u8>)>,
    ) -> Result<(), Error> {
        let (r, sig) = match receipt {
            Some((r, sig)) => (r.clone(), sig.clone()),
            None => (
                Receipt { session: id, seq: 0, tokensIn: 0, tokensOut: 0, cost: U256::ZERO },
                vec![],
            ),
        };
        self.sessions.sender(caller).close(id, r.seq, r.tokensIn, r.tokensOut, r.cost, sig.into())
    }

    fn phase(&self, id: u64) -> u8 {
        self.sessions.sender(self.m.admin).session(id).5
    }

    /// The newest receipt's sequence and cost.
    fn latest(&self, id: u64) -> (u64, U256) {
        let (seq, cost, _, _, _) = self.sessions.sender(self.m.admin).settlement(id);
        (seq, cost)
    }
}

/// The collateral a session of `CAP` locks.
fn collateral() -> U256 {
    bps_ceil(U256::from(CAP), COLLATERAL_BPS)
}

#[test]
fn a_session_escrows_its_cap_serves_many_turns_and_settles_once() {
    let _serial = common::serial();
    let s = Deployed::deploy(1_000);
    let (m, payer) = (&s.m, s.m.payer);
    let worker = m.provider("worker");
    let id = s.open(payer, Address::ZERO, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    assert_eq!(id, 1);
    assert_eq!(m.spendable(payer), U256::from(1_000 - CAP), "the cap is escrowed");
    let prices = s.sessions.sender(payer).prices(id);
    assert_eq!(prices, (U256::from(PRICE.0), U256::from(PRICE.1)), "priced at open");
    s.sessions.sender(worker).accept(id).motsu_unwrap();
    assert_eq!(s.phase(id), phase::ACTIVE);
    assert_eq!(m.locked(worker), collateral(), "the cap's collateral is locked");

    // Twenty turns: each answer is acknowledged by a cumulative receipt,
    // off chain. Only the last one reaches the chain.
    let turns: Vec<_> = (1..=20u64).map(|t| s.receipt(&s.key, id, (t, 5 * t), None)).collect();
    let last = turns.last().unwrap();
    let cost = last.0.cost;
    s.close(worker, id, Some(last)).motsu_unwrap();
    assert_eq!(s.phase(id), phase::CLOSING);
    assert_eq!(s.latest(id), (20, cost));
    // The payer agrees at once: no need to wait for the window.
    s.close(payer, id, None).motsu_unwrap();
    assert_eq!(s.phase(id), phase::SETTLED);
    assert_eq!(m.earned(worker), cost);
    assert_eq!(m.spendable(payer), U256::from(1_000) - cost);
    assert_eq!(m.locked(worker), U256::ZERO, "the collateral is freed whole");
    assert_eq!(m.bond(worker), U256::from(crate::bridge::BOND));
    assert!(s.sessions.emitted(&SessionSettled {
        id,
        provider: worker,
        seq: 20,
        paid: cost,
        refunded: U256::from(CAP) - cost,
    }));
    // Settled once: nothing more can close or finalize it.
    let err = s.close(worker, id, None).motsu_unwrap_err();
    assert!(matches!(err, Error::SessionClosed(SessionClosed { id: 1 })), "{err:?}");
    assert!(matches!(
        s.sessions.sender(worker).finalize(id).motsu_unwrap_err(),
        Error::SessionClosed(_)
    ));
}

#[test]
fn a_stale_receipt_is_challenged_with_a_newer_one() {
    let _serial = common::serial();
    let s = Deployed::deploy(1_000);
    let (m, payer) = (&s.m, s.m.payer);
    let worker = m.provider("worker");
    let id = s.open(payer, worker, (Address::ZERO, U256::ZERO)).motsu_unwrap();
    s.sessions.sender(worker).accept(id).motsu_unwrap();
    let old = s.receipt(&s.key, id, (2, 10), None);
    let new = s.receipt(&s.key, id, (5, 40), None);
    // The payer closes with an old receipt, hoping to pay less...
    s.close(payer, id, Some(&old)).motsu_unwrap();
    assert_eq!(s.latest(id), (2, old.0.cost));
    // ...and may not close again; the provider answers with the newest.
    let err = s.close(payer, id, Some(&new)).motsu_unwrap_err();
    assert!(matches!(err, Error::AlreadyClosing(AlreadyClosing { .. })), "{err:?}");
    s.close(worker, id, Some(&new)).motsu_unwrap();
    assert_eq!(s.phase(id), phase::SETTLED);
    assert_eq!(m.earned(worker), new.0.cost);
    assert_eq!(m.spendable(payer), U256::from(1_000) - new.0.cost);
}

#[test]
fn forged_replayed_over_cap_and_over_price_receipts_are_refused() {
    let _serial = common::serial();
    let s = Deployed::deploy(1_000);
    let (m, payer) = (&s.m, s.m.payer);
    let worker = m.provider("worker");
    let key_ref = (Address::ZERO, U256::ZERO);
    let id = s.open(payer, Address::ZERO, key_ref).motsu_unwrap();
    let other = s.open(payer, Address::ZERO, key_ref).motsu_unwrap();
    s.sessions.sender(worker).accept(id).motsu_unwrap();

    let refused = |receipt: &(Receipt, Vec<u8>)| {
        let before = (s.phase(id), s.latest(id), m.earned(worker));
        let err = s.close(worker, id, Some(receipt)).motsu_unwrap_err();
        assert_eq!((s.phase(id), s.latest(id), m.earned(worker)), before, "a refusal moved state");
        err
    };
    // Forged: signed by a key that is not the session's.
    let forged = s.receipt(&PrivateKeySigner::random(), id, (1, 10), None);
    assert!(matches!(refused(&forged), Error::BadReceiptSignature(BadReceiptSignature { id: 1 })));
    // Replayed from another session with the same key: the session id is
    // in what was signed.
    let mut replayed = s.receipt(&s.key, other, (1, 10), None);
    replayed.0.session = id;
    assert!(matches!(refused(&replayed), Error::BadReceiptSignature(_)));
    // Tampered: more tokens than were signed.
    let mut tampered = s.receipt(&s.key, id, (1, 10), None);
    tampered.0.tokensOut += 1;
    assert!(matches!(refused(&tampered), Error::BadReceiptSignature(_)));
    // A signature of the wrong length.
    let mut short = s.receipt(&s.key, id, (1, 10), None);
    short.1.truncate(64);
    assert!(matches!(refused(&short), Error::BadReceiptSignature(_)));
    // Over the cap, or over what its tokens cost, even when signed.
    let over_cap = s.receipt(&s.key, id, (1, 200), Some(U256::from(CAP + 1)));
    assert!(matches!(refused(&over_cap), Error::ReceiptOverCap(ReceiptOverCap { .. })));
    let over_price =
        s.receipt(&s.key, id, (1, 10), Some(U256::from(10 * PRICE.0 + 10 * PRICE.1 + 1)));
    assert!(matches!(refused(&over_price), Error::ReceiptOverPrice(ReceiptOverPrice { .. })));

    // A good receipt closes; the same one again (or an older one) is stale.
    let good = s.receipt(&s.key, id, (3, 10), None);
    s.close(worker, id, Some(&good)).motsu_unwrap();
    let err = s.close(payer, id, Some(&good)).motsu_unwrap_err();
    assert!(matches!(err, Error::StaleReceipt(StaleReceipt { seq: 3, latest: 3, .. })), "{err:?}");
    let older = s.receipt(&s.key, id, (2, 10), None);
    assert!(matches!(s.close(payer, id, Some(&older)).motsu_unwrap_err(), Error::StaleReceipt(_)));
    assert_eq!(s.phase(id), phase::CLOSING, "a refused answer leaves the close open");
}

#[test]
fn only_the_parties_close_and_only_an_eligible_provider_accepts() {
    let _serial = common::serial();
    let s = Deployed::deploy(1_000);
    let (m, payer) = (&s.m, s.m.payer);
    let [worker, other] = [m.provider("worker"), m.provider("other")];
    let stranger = common::tag("stranger");
    let none = (Address::ZERO, U256::ZERO);
    let id = s.open(payer, worker, none).motsu_unwrap();
    // Named for `worker`: nobody else accepts it, nor the payer.
    let err = s.sessions.sender(other).accept(id).motsu_unwrap_err();
    assert!(
        matches!(err, Error::ProviderIneligible(ProviderIneligible { provider, .. }) if provider == other)
    );
    let err = s.sessions.sender(payer).accept(id).motsu_unwrap_err();
    assert!(matches!(err, Error::ProviderIneligible(_)));
    // An unregistered address cannot accept an open session either.
    let open = s.open(payer, Address::ZERO, none).motsu_unwrap();
    let err = s.sessions.sender(stranger).accept(open).motsu_unwrap_err();
    assert!(matches!(err, Error::ProviderIneligible(_)), "{err:?}");

    s.sessions.sender(worker).accept(id).motsu_unwrap();
    let err = s.sessions.sender(other).accept(id).motsu_unwrap_err();
    assert!(matches!(err, Error::AlreadyAccepted(AlreadyAccepted { .. })));
    // Before expiry only the parties close.
    let err = s.close(stranger, id, None).motsu_unwrap_err();
    assert!(matches!(err, Error::NotParty(NotParty { caller, .. }) if caller == stranger));
    let err = s.close(other, id, None).motsu_unwrap_err();
    assert!(matches!(err, Error::NotParty(_)));

    // A session nobody accepted closes at once, refunding everything; it
    // has no provider to pay, so a receipt is refused.
    let receipt = s.receipt(&s.key, open, (1, 10), None);
    let err = s.close(payer, open, Some(&receipt)).motsu_unwrap_err();
    assert!(matches!(err, Error::NoProvider(NoProvider { .. })));
    s.close(payer, open, None).motsu_unwrap();
    assert_eq!(s.phase(open), phase::SETTLED);
    assert_eq!(
        m.spendable(payer),
        U256::from(1_000 - CAP),
        "only the accepted session holds credits"
    );
}

#[test]
fn a_provider_can_back_only_as_many_sessions_as_its_bond_covers() {
    let _serial = common::serial();
    let s = Deployed::deploy(10_000);
    let (m, payer) = (&s.m, s.m.payer);
    let worker = m.provider("worker");
    let none = (Address::ZERO, U256::ZERO);
    // Bond 1,000 with 100 kept free; each session locks 600.
    let first = s.open(payer, Address::ZERO, none).motsu_unwrap();
    let second = s.open(payer, Address::ZERO, none).motsu_unwrap();
    s.sessions.sender(worker).accept(first).motsu_unwrap();
    let err = s.sessions.sender(worker).accept(second).motsu_unwrap_err();
    assert!(matches!(err, Error::ProviderIneligible(_)), "{err:?}");
    // Once the first settles, its collateral backs the second.
    s.close(payer, first, None).motsu_unwrap();
    s.close(worker, first, None).motsu_unwrap();
    s.sessions.sender(worker).accept(second).motsu_unwrap();
    assert_eq!(m.locked(worker), collateral());
}

#[test]
fn a_key_holders_quota_counts_requests_and_sessions_alike() {
    let _serial = common::serial();
    let s = Deployed::deploy(10_000);
    let (m, payer) = (&s.m, s.m.payer);
    let worker = m.provider("worker");
    let member = common::tag("member");
    let token = m.keys.sender(payer).issue(member).motsu_unwrap();
    let key = (m.keys.address(), token);
    // One session's cap and one request's escrow per period.
    let quota = U256::from(CAP + crate::bridge::MAX_COST);
    m.access.sender(payer).set_policy(key.0, quota, 86_400, true).motsu_unwrap();

    let session = s.open(member, Address::ZERO, key).motsu_unwrap();
    m.ask(member, key).motsu_unwrap();
    let left = || m.access.sender(payer).quota_left(payer, key.0, token);
    assert_eq!(left(), U256::ZERO);
    let err = s.open(member, Address::ZERO, key).motsu_unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded(QuotaExceeded { left, .. }) if left.is_zero()));
    let err = m.ask(member, key).motsu_unwrap_err();
    assert!(matches!(err, oracle_bridge::Error::QuotaExceeded(_)), "{err:?}");

    // The session spends 30 of its 300: the rest comes back to the quota.
    s.sessions.sender(worker).accept(session).motsu_unwrap();
    let used = s.receipt(&s.key, session, (1, 10), None);
    s.close(member, session, Some(&used)).motsu_unwrap();
    s.close(worker, session, None).motsu_unwrap();
    assert_eq!(left(), U256::from(CAP) - used.0.cost);
    // Someone else holding no key is refused.
    let err = s.open(common::tag("stranger"), Address::ZERO, key).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAuthorized(_)));
}

/// A key holder lets a gateway (or an agent) use its key: the delegate
/// opens sessions and requests on the key's quota, which still bounds them,
/// and the delegation ends when the key changes hands or is revoked.
#[test]
fn a_key_holder_delegates_its_key_within_its_quota() {
    let _serial = common::serial();
    let s = Deployed::deploy(10_000);
    let (m, payer) = (&s.m, s.m.payer);
    let [member, gateway, heir] = ["member", "gateway", "heir"].map(common::tag);
    let token = m.keys.sender(payer).issue(member).motsu_unwrap();
    let key = (m.keys.address(), token);
    m.access.sender(payer).set_policy(key.0, U256::from(CAP), 86_400, true).motsu_unwrap();

    // Not delegated yet: the gateway holds no key.
    let err = s.open(gateway, Address::ZERO, key).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAuthorized(_)), "{err:?}");
    // Only the holder delegates.
    let err = m.access.sender(gateway).delegate_key(key.0, token, gateway).motsu_unwrap_err();
    assert!(matches!(err, inference_access::Error::NotKeyHolder(e) if e.holder == member));
    m.access.sender(member).delegate_key(key.0, token, gateway).motsu_unwrap();
    assert_eq!(m.access.sender(member).delegate_of(key.0, token), gateway);

    // The gateway opens on the key's quota, and the quota still bounds it,
    // across sessions and requests alike.
    s.open(gateway, Address::ZERO, key).motsu_unwrap();
    let left = m.access.sender(payer).quota_left(payer, key.0, token);
    assert_eq!(left, U256::ZERO);
    let err = s.open(gateway, Address::ZERO, key).motsu_unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded(_)), "{err:?}");
    let err = m.ask(gateway, key).motsu_unwrap_err();
    assert!(matches!(err, oracle_bridge::Error::QuotaExceeded(_)), "{err:?}");

    // The key changes hands: the delegation ends with it.
    m.keys.sender(member).transfer_from(member, heir, token).motsu_unwrap();
    assert_eq!(m.access.sender(member).delegate_of(key.0, token), Address::ZERO);
    m.access.sender(payer).set_policy(key.0, U256::from(10 * CAP), 86_400, true).motsu_unwrap();
    let err = s.open(gateway, Address::ZERO, key).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAuthorized(_)), "{err:?}");
    // The new holder delegates, then revokes.
    m.access.sender(heir).delegate_key(key.0, token, gateway).motsu_unwrap();
    s.open(gateway, Address::ZERO, key).motsu_unwrap();
    m.access.sender(heir).delegate_key(key.0, token, Address::ZERO).motsu_unwrap();
    let err = s.open(gateway, Address::ZERO, key).motsu_unwrap_err();
    assert!(matches!(err, Error::NotAuthorized(_)), "{err:?}");
}
