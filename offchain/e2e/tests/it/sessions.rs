//! Inference sessions on the devnode, built to WASM with the real ledger,
//! registry and access contract: what needs the clock to move (the
//! challenge window running out, expiry), either side disappearing, and the
//! gas of a chat turn in a session against a per-request answer.

use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolError, SolStruct, SolValue};
use bindings::{
    receipt::{close_call, domain, Receipt},
    IComputeCredits, IInferenceAccess, IInferenceRegistry, IInferenceSessions,
};
use e2e::{Chain, ALICE, BOB, CHAIN_ID};

use crate::bridge::{construct, earned, spendable, world, World, CAROL, ETH, PAYER, P_IN, P_OUT};

/// How long the other side has to answer a close.
const WINDOW: u64 = 600;
/// A session's cap: 0.01 of the payer's 1 ETH of credits.
const CAP: u128 = ETH / 100;
/// Turns of the benchmark conversation.
const TURNS: u64 = 20;

/// The bridge's world with the sessions program wired in, and the session
/// key of the payer's client.
struct Deployed {
    w: World,
    sessions: Address,
    key: PrivateKeySigner,
}

fn deploy() -> Deployed {
    let mut w = world(1);
    let sessions = w.chain.deploy_stylus(ALICE, "inference-sessions");
    let args = (w.ledger, w.registry, w.access, WINDOW, 86_400u64);
    construct(&mut w.chain, sessions, &args.abi_encode_params());
    w.chain.exec(ALICE, w.registry, &IInferenceRegistry::setSessionsCall { sessions });
    w.chain.exec(ALICE, w.access, &IInferenceAccess::setSessionsCall { sessions });
    let role = keccak256("SPENDER_ROLE");
    w.chain.exec(ALICE, w.ledger, &IComputeCredits::grantRoleCall { role, account: sessions });
    Deployed { w, sessions, key: PrivateKeySigner::random() }
}

impl Deployed {
    fn chain(&mut self) -> &mut Chain {
        &mut self.w.chain
    }

    /// PAYER opens a session for any provider, expiring in an hour.
    fn open(&mut self) -> (u64, u64) {
        let call = IInferenceSessions::openCall {
            model: 1,
            payer: PAYER,
            provider: Address::ZERO,
            cap: U256::from(CAP),
            expires: self.w.chain.timestamp + 3_600,
            sessionKey: self.key.address(),
            collection: Address::ZERO,
            token: U256::ZERO,
        };
        let r = self.w.chain.exec(PAYER, self.sessions, &call);
        (IInferenceSessions::openCall::abi_decode_returns(&r.output).unwrap(), r.gas_used)
    }

    /// The session key's receipt for turn `seq` of session `id`: each turn
    /// 40 input and 60 output tokens.
    fn receipt(&self, id: u64, seq: u64) -> (Receipt, Bytes) {
        let (tokens_in, tokens_out) = (40 * seq, 60 * seq);
        let cost = U256::from(tokens_in * P_IN + tokens_out * P_OUT);
        let receipt =
            Receipt { session: id, seq, tokensIn: tokens_in, tokensOut: tokens_out, cost };
        let digest = receipt.eip712_signing_hash(&domain(CHAIN_ID, self.sessions));
        let signature = alloy::signers::SignerSync::sign_hash_sync(&self.key, &digest).unwrap();
        (receipt, Bytes::from(signature.as_bytes().to_vec()))
    }

    /// `from` closes `id` with `receipt` (`None`: none).
    fn close(
        &mut self,
        from: Address,
        id: u64,
        receipt: Option<&(Receipt, Bytes)>,
    ) -> e2e::Receipt {
        let call = close_call(id, receipt.map(|(r, sig)| (r, sig.as_ref())));
        let sessions = self.sessions;
        self.w.chain.send(from, TxKind::Call(sessions), call.abi_encode(), U256::ZERO)
    }

    fn accept(&mut self, provider: Address, id: u64) -> e2e::Receipt {
        let sessions = self.sessions;
        let call = IInferenceSessions::acceptCall { id };
        self.w.chain.send(provider, TxKind::Call(sessions), call.abi_encode(), U256::ZERO)
    }

    fn finalize(&mut self, from: Address, id: u64) -> e2e::Receipt {
        let sessions = self.sessions;
        let call = IInferenceSessions::finalizeCall { id };
        self.w.chain.send(from, TxKind::Call(sessions), call.abi_encode(), U256::ZERO)
    }

    fn phase(&mut self, id: u64) -> u8 {
        let sessions = self.sessions;
        self.chain().view(sessions, &IInferenceSessions::sessionCall { id }).phase
    }

    /// When the challenge window of `id` ends.
    fn closes_at(&mut self, id: u64) -> u64 {
        let sessions = self.sessions;
        self.chain().view(sessions, &IInferenceSessions::settlementCall { id }).closesAt
    }

    fn locked(&mut self, provider: Address) -> U256 {
        let registry = self.w.registry;
        self.chain().view(registry, &IInferenceRegistry::providerCall { provider }).locked
    }
}

/// The error a failed transaction reverted with, by name.
fn reverted_with<E: SolError>(r: &e2e::Receipt) -> bool {
    !r.success && E::abi_decode(&r.output).is_ok()
}

#[test]
fn the_payer_disappears_and_the_provider_is_paid_after_the_window() {
    let mut s = deploy();
    let (id, _) = s.open();
    assert!(s.accept(BOB, id).success);
    let last = s.receipt(id, TURNS);
    let closing = s.close(BOB, id, Some(&last));
    assert!(closing.success, "{}", closing.output);
    // The window runs: not even the provider can settle early.
    let early = s.finalize(CAROL, id);
    assert!(reverted_with::<IInferenceSessions::WrongWindow>(&early), "{}", early.output);
    s.chain().timestamp += WINDOW;
    let before = spendable(&mut s.w, PAYER);
    assert!(s.finalize(CAROL, id).success, "anyone settles once the window is over");
    assert_eq!(s.phase(id), 4);
    assert_eq!(earned(&mut s.w, BOB), last.0.cost);
    assert_eq!(spendable(&mut s.w, PAYER), before + U256::from(CAP) - last.0.cost);
    assert_eq!(s.locked(BOB), U256::ZERO);
    assert!(!s.finalize(CAROL, id).success, "settled once");
}

#[test]
fn the_provider_disappears_and_the_payer_gets_everything_back() {
    let mut s = deploy();
    let before = spendable(&mut s.w, PAYER);
    let (id, _) = s.open();
    assert!(s.accept(BOB, id).success);
    assert!(s.locked(BOB) > U256::ZERO);
    // No answer ever came: the payer closes with no receipt.
    assert!(s.close(PAYER, id, None).success);
    let closes_at = s.closes_at(id);
    s.chain().timestamp = closes_at - 1;
    assert!(reverted_with::<IInferenceSessions::WrongWindow>(&s.finalize(PAYER, id)));
    s.chain().timestamp = closes_at;
    // The provider could still have answered in the window; too late now.
    let late = s.close(BOB, id, Some(&s.receipt(id, 1)));
    assert!(reverted_with::<IInferenceSessions::WrongWindow>(&late), "{}", late.output);
    assert!(s.finalize(PAYER, id).success);
    assert_eq!(spendable(&mut s.w, PAYER), before);
    assert_eq!(earned(&mut s.w, BOB), U256::ZERO);
    assert_eq!(s.locked(BOB), U256::ZERO, "no slash: nothing proves it stopped serving");
}

#[test]
fn after_expiry_no_provider_accepts_and_anyone_starts_the_close() {
    let mut s = deploy();
    let (unaccepted, _) = s.open();
    let (id, _) = s.open();
    assert!(s.accept(BOB, id).success);
    // Before expiry a third party may not close.
    assert!(reverted_with::<IInferenceSessions::NotParty>(&s.close(ALICE, id, None)));
    s.chain().timestamp += 3_600;
    let late = s.accept(CAROL, unaccepted);
    assert!(reverted_with::<IInferenceSessions::SessionExpired>(&late), "{}", late.output);
    // Anyone may start the close of an expired session; each side may
    // still present its receipt in the window.
    assert!(s.close(ALICE, id, None).success);
    let receipt = s.receipt(id, 3);
    assert!(s.close(BOB, id, Some(&receipt)).success);
    assert_eq!(s.phase(id), 3, "the payer's side may still answer");
    assert!(s.close(PAYER, id, None).success);
    assert_eq!(s.phase(id), 4);
    assert_eq!(earned(&mut s.w, BOB), receipt.0.cost);
    // The unaccepted one: anyone closes it, at once, refunding the cap.
    assert!(s.close(ALICE, unaccepted, None).success);
    assert_eq!(s.phase(unaccepted), 4);
}

/// The gas of a chat turn: a whole session of `TURNS` answers (open,
/// accept, the provider's close with the last receipt, the payer's
/// agreement) divided by its turns, against one answered request (request,
/// claim, fulfil) on the same chain. Prints the figures
/// (`cargo test -p e2e --test it sessions::gas -- --nocapture`).
#[test]
fn gas_per_chat_turn_in_a_session_and_per_request() {
    let mut s = deploy();
    // Warm the counters (first writes from zero) as the request figure does.
    crate::market::lifecycle_gas(&mut s.w, 1);
    let request: u64 = crate::market::lifecycle_gas(&mut s.w, 1).iter().map(|(_, g)| g).sum();
    let session = |s: &mut Deployed, turns: u64| {
        let (id, open) = s.open();
        let accept = s.accept(BOB, id).gas_used;
        let close = s.close(BOB, id, Some(&s.receipt(id, turns)));
        assert!(close.success, "{}", close.output);
        let agree = s.close(PAYER, id, None);
        assert!(agree.success && s.phase(id) == 4);
        [("open", open), ("accept", accept), ("close", close.gas_used), ("agree", agree.gas_used)]
    };
    session(&mut s, 1);
    let one = session(&mut s, 1);
    let steps = session(&mut s, TURNS);
    let total: u64 = steps.iter().map(|(_, g)| g).sum();
    let per_turn = total / TURNS;
    // Per mille, to one decimal of a per cent without float casts.
    let per_mille = per_turn * 1_000 / request;
    let ratio = format!("{}.{}", per_mille / 10, per_mille % 10);
    println!("gas per answered request (redundancy 1): {request}");
    println!("gas per {TURNS}-turn session: {steps:?}, total {total}");
    println!("gas per chat turn in a {TURNS}-turn session: {per_turn} ({ratio} % of a request)");
    // Nothing per message: one turn or twenty cost the same on chain, but
    // for the receipt's larger numbers in the close's calldata (16 gas a
    // non-zero byte).
    for ((step, a), (_, b)) in one.iter().zip(&steps) {
        assert!(a.abs_diff(*b) <= 16 * 8, "{step}: {a} for one turn, {b} for {TURNS}");
    }
    assert!(per_turn * 10 <= request, "a session turn costs more than 10 % of a request");
}
