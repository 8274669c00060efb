//! motsu tests of the parking with stand-in NFT and account (the real ones
//! run on the devnode) and the real agent-permissions contract. motsu's
//! clock stands still, so what happens after a delay is tested through the
//! pure rules and on the devnode (`offchain/e2e/tests/it/agent.rs`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use agent_permissions::AgentPermissions;
use alloy_primitives::{aliases::B32, Address, U256};
use alloy_sol_types::{sol, SolCall};
use motsu::prelude::*;
use stylus_sdk::{
    abi::Bytes,
    block,
    call::RawCall,
    msg,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256},
};

use crate::*;

sol! {
    interface ITarget {
        function ping() external returns (uint256);
    }
}

/// A stand-in ERC-721: `ownerOf`, and `transferFrom` by the holder or an
/// operator it approved.
#[storage]
struct TestNft {
    owners: StorageMap<U256, StorageAddress>,
    operators: StorageMap<Address, StorageAddress>,
}

// SAFETY: a test double used only as a motsu contract.
unsafe impl TopLevelStorage for TestNft {}

#[public]
impl TestNft {
    fn set_owner(&mut self, id: U256, owner: Address) {
        self.owners.setter(id).set(owner);
    }

    fn set_operator(&mut self, operator: Address) {
        self.operators.setter(msg::sender()).set(operator);
    }

    fn owner_of(&self, id: U256) -> Address {
        self.owners.get(id)
    }

    fn transfer_from(&mut self, from: Address, to: Address, id: U256) -> Result<(), Vec<u8>> {
        let caller = msg::sender();
        if self.owners.get(id) != from || (caller != from && self.operators.get(from) != caller) {
            return Err(b"not approved".to_vec());
        }
        self.owners.setter(id).set(to);
        Ok(())
    }
}

/// A stand-in token-bound account bound to token 1 of `nft`: `token()`,
/// `owner()` read from the NFT, `setExecutor` and `execute` as the real
/// account rules them.
#[storage]
struct TestAccount {
    nft: StorageAddress,
    executor: StorageAddress,
    pings: StorageU256,
}

// SAFETY: a test double used only as a motsu contract.
unsafe impl TopLevelStorage for TestAccount {}

#[public]
impl TestAccount {
    fn bind(&mut self, nft: Address) {
        self.nft.set(nft);
    }

    fn token(&self) -> (U256, Address, U256) {
        (U256::from(block::chainid()), self.nft.get(), U256::from(1))
    }

    fn owner(&self) -> Address {
        let call = agent_like::ownerOfCall { tokenId: U256::from(1) }.abi_encode();
        // SAFETY: a static call in a test double.
        let reply =
            unsafe { RawCall::new_static().call(self.nft.get(), &call) }.unwrap_or_default();
        reply.get(12..32).map(Address::from_slice).unwrap_or_default()
    }

    fn set_executor(&mut self, executor: Address) -> Result<(), Vec<u8>> {
        if msg::sender() != self.owner() {
            return Err(b"not authorized".to_vec());
        }
        self.executor.set(executor);
        Ok(())
    }

    fn executor(&self) -> Address {
        self.executor.get()
    }

    #[allow(clippy::needless_pass_by_value)]
    fn execute(
        &mut self,
        to: Address,
        value: U256,
        data: Bytes,
        operation: u8,
    ) -> Result<Bytes, Vec<u8>> {
        let _ = (to, value, data, operation);
        let caller = msg::sender();
        if caller != self.owner() && caller != self.executor.get() {
            return Err(b"not authorized".to_vec());
        }
        let n = self.pings.get() + U256::from(1);
        self.pings.set(n);
        Ok(n.to_be_bytes::<32>().to_vec().into())
    }
}

sol! {
    interface agent_like {
        function ownerOf(uint256 tokenId) external view returns (address);
    }
}

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

const ID: U256 = U256::from_limbs([1, 0, 0, 0]);

struct Env {
    parking: Contract<AiParking>,
    perms: Contract<AgentPermissions>,
    nft: Contract<TestNft>,
    account: Contract<TestAccount>,
    alice: Account,
    guardian: Account,
    agent: Account,
    mallory: Account,
}

impl Env {
    /// Alice holds AI 1 and approved the parking; nothing is parked yet.
    fn new() -> Self {
        let parking = Contract::<AiParking>::new();
        let perms = Contract::<AgentPermissions>::new();
        let nft = Contract::<TestNft>::new();
        let account = Contract::<TestAccount>::new();
        let [alice, guardian, agent, mallory] =
            ["alice", "guardian", "agent", "mallory"].map(Account::from_seed);
        parking.sender(alice).constructor(perms.address()).motsu_unwrap();
        nft.sender(alice).set_owner(ID, alice.address());
        nft.sender(alice).set_operator(parking.address());
        account.sender(alice).bind(nft.address());
        Self { parking, perms, nft, account, alice, guardian, agent, mallory }
    }

    fn park(&self, guardians: Vec<Address>, delay: u64, permanent: bool) -> Result<(), Error> {
        self.parking.sender(self.alice).park(
            self.nft.address(),
            ID,
            self.account.address(),
            self.alice.address(),
            guardians,
            delay,
            permanent,
        )
    }

    fn parked(self) -> Self {
        self.park(vec![self.guardian.address()], MIN_DELAY, false).motsu_unwrap();
        self
    }

    fn grant_call(&self, account: Address) -> Bytes {
        IPermissions::grantCall {
            account,
            agent: self.agent.address(),
            expiry: u64::MAX,
            period: 86_400,
            valueCap: U256::ZERO,
            creditCap: U256::from(100),
            ledger: Address::ZERO,
        }
        .abi_encode()
        .into()
    }
}

#[test]
fn parking_takes_the_token_and_names_the_executor() {
    let _s = serial();
    let env = Env::new();
    env.park(vec![env.guardian.address()], MIN_DELAY, false).motsu_unwrap();
    assert_eq!(env.nft.sender(env.alice).owner_of(ID), env.parking.address());
    assert_eq!(env.account.sender(env.alice).owner(), env.parking.address());
    assert_eq!(env.account.sender(env.alice).executor(), env.perms.address());
    let p = env.parking.sender(env.alice).parking_of(env.nft.address(), ID);
    assert_eq!(p, (env.account.address(), env.alice.address(), false, MIN_DELAY, Address::ZERO, 0));
    assert!(env.parking.sender(env.alice).is_guardian(
        env.nft.address(),
        ID,
        env.guardian.address()
    ));
    assert!(!env.parking.sender(env.alice).is_guardian(
        env.nft.address(),
        ID,
        env.mallory.address()
    ));
}

#[test]
fn parking_terms_are_checked() {
    let _s = serial();
    let env = Env::new();
    let r = env.parking.sender(env.mallory).park(
        env.nft.address(),
        ID,
        env.account.address(),
        env.mallory.address(),
        vec![env.mallory.address()],
        MIN_DELAY,
        false,
    );
    assert_eq!(r, Err(NotTokenOwner { caller: env.mallory.address(), tokenId: ID }.into()));
    let r = env.parking.sender(env.alice).park(
        env.nft.address(),
        ID,
        env.perms.address(),
        env.alice.address(),
        vec![env.guardian.address()],
        MIN_DELAY,
        false,
    );
    assert_eq!(r, Err(WrongAccount { account: env.perms.address() }.into()));
    assert_eq!(
        env.park(vec![], MIN_DELAY, false),
        Err(BadGuardians { count: U256::ZERO, max: U256::from(MAX_GUARDIANS) }.into())
    );
    assert_eq!(
        env.park(vec![env.guardian.address(); MAX_GUARDIANS + 1], MIN_DELAY, false),
        Err(BadGuardians { count: U256::from(MAX_GUARDIANS + 1), max: U256::from(MAX_GUARDIANS) }
            .into())
    );
    assert_eq!(
        env.park(vec![env.guardian.address()], MIN_DELAY - 1, false),
        Err(DelayTooShort { delay: MIN_DELAY - 1, min: MIN_DELAY }.into())
    );
    env.park(vec![env.guardian.address()], MIN_DELAY, true).motsu_unwrap();
    let r =
        env.parking.sender(env.alice).request_release(env.nft.address(), ID, env.alice.address());
    assert_eq!(r, Err(PermanentlyParked { nft: env.nft.address(), tokenId: ID }.into()));
}

/// Review I-5: a permanent parking took any delay (zero included) and any
/// number of guardians, so its controller changed grants at once. It now
/// has the same terms as any parking.
#[test]
fn i5_a_permanent_parking_needs_a_delay_and_guardians() {
    let _s = serial();
    let env = Env::new();
    assert_eq!(
        env.park(vec![], 0, true),
        Err(BadGuardians { count: U256::ZERO, max: U256::from(MAX_GUARDIANS) }.into())
    );
    assert_eq!(
        env.park(vec![env.guardian.address()], 0, true),
        Err(DelayTooShort { delay: 0, min: MIN_DELAY }.into())
    );
    assert_eq!(env.nft.sender(env.alice).owner_of(ID), env.alice.address(), "nothing moved");
    env.park(vec![env.guardian.address()], MIN_DELAY, true).motsu_unwrap();
    assert_eq!(env.nft.sender(env.alice).owner_of(ID), env.parking.address());
}

#[test]
fn a_release_waits_for_its_delay_and_a_guardian_can_cancel_it() {
    let _s = serial();
    let env = Env::new().parked();
    let (nft, me) = (env.nft.address(), env.alice.address());
    // Only the controller requests; nothing is pending yet.
    let r = env.parking.sender(env.mallory).request_release(nft, ID, env.mallory.address());
    assert_eq!(r, Err(NotController { caller: env.mallory.address() }.into()));
    assert_eq!(
        env.parking.sender(env.mallory).execute_release(nft, ID),
        Err(NoPendingRelease { nft, tokenId: ID }.into())
    );
    let now = block::timestamp();
    let eta = env.parking.sender(env.alice).request_release(nft, ID, me).motsu_unwrap();
    assert_eq!(eta, now + MIN_DELAY);
    // Not before the delay.
    assert_eq!(
        env.parking.sender(env.alice).execute_release(nft, ID),
        Err(NotReady { eta, now }.into())
    );
    assert_eq!(env.nft.sender(env.alice).owner_of(ID), env.parking.address());
    // Only the controller or a guardian cancels.
    let r = env.parking.sender(env.mallory).cancel_release(nft, ID);
    assert_eq!(r, Err(NotGuardian { caller: env.mallory.address() }.into()));
    env.parking.sender(env.guardian).cancel_release(nft, ID).motsu_unwrap();
    env.parking.assert_emitted(&ReleaseCancelled { nft, tokenId: ID, by: env.guardian.address() });
    assert_eq!(
        env.parking.sender(env.alice).execute_release(nft, ID),
        Err(NoPendingRelease { nft, tokenId: ID }.into())
    );
    assert_eq!(
        env.parking.sender(env.guardian).cancel_release(nft, ID),
        Err(NoPendingRelease { nft, tokenId: ID }.into())
    );
    // A token that is not parked.
    let other = U256::from(2);
    assert_eq!(
        env.parking.sender(env.alice).request_release(nft, other, me),
        Err(NotParked { nft, tokenId: other }.into())
    );
}

#[test]
fn grants_are_proposed_with_the_delay_and_revoked_at_once() {
    let _s = serial();
    let env = Env::new();
    // Alice grants her agent a ping before parking.
    let (account, agent) = (env.account.address(), env.agent.address());
    env.account.sender(env.alice).set_executor(env.perms.address()).motsu_unwrap();
    env.perms
        .sender(env.alice)
        .grant(account, agent, u64::MAX, 0, U256::ZERO, U256::ZERO, Address::ZERO)
        .motsu_unwrap();
    let ping = B32::from(ITarget::pingCall::SELECTOR);
    env.perms
        .sender(env.alice)
        .allow(account, agent, env.nft.address(), ping, true, false)
        .motsu_unwrap();
    let call: Bytes = ITarget::pingCall {}.abi_encode().into();
    env.perms
        .sender(env.agent)
        .execute(account, env.nft.address(), U256::ZERO, call.clone())
        .motsu_unwrap();
    let env = env.parked();
    let nft = env.nft.address();
    // Her grant ended with the parking, which reset the account: it is
    // not even looked at any more (review H-2: a later parking of the same
    // token cannot revive it either).
    let r = env.perms.sender(env.agent).execute(account, nft, U256::ZERO, call.clone());
    assert_eq!(r, Err(agent_permissions::AgentNotAllowed { account, agent }.into()));
    assert_eq!(env.perms.sender(env.alice).generation(account), 1);
    // Proposals: only grant/allow calls for this AI's account, by the controller.
    let good = env.grant_call(account);
    assert_eq!(
        env.parking.sender(env.mallory).propose(nft, ID, good.clone()),
        Err(NotController { caller: env.mallory.address() }.into())
    );
    assert_eq!(
        env.parking.sender(env.alice).propose(nft, ID, env.grant_call(env.mallory.address())),
        Err(BadProposal {}.into())
    );
    let revoke: Bytes = IPermissions::revokeCall { account, agent }.abi_encode().into();
    assert_eq!(env.parking.sender(env.alice).propose(nft, ID, revoke), Err(BadProposal {}.into()));
    let id = env.parking.sender(env.alice).propose(nft, ID, good.clone()).motsu_unwrap();
    assert_eq!(id, proposal_id(nft, ID, 1, &good));
    let now = block::timestamp();
    assert_eq!(env.parking.sender(env.alice).proposal_eta(nft, ID, good.clone()), now + MIN_DELAY);
    assert_eq!(
        env.parking.sender(env.mallory).execute_proposal(nft, ID, good.clone()),
        Err(NotReady { eta: now + MIN_DELAY, now }.into())
    );
    // A guardian cancels it.
    assert_eq!(
        env.parking.sender(env.mallory).cancel_proposal(nft, ID, good.clone()),
        Err(NotGuardian { caller: env.mallory.address() }.into())
    );
    env.parking.sender(env.guardian).cancel_proposal(nft, ID, good.clone()).motsu_unwrap();
    assert_eq!(
        env.parking.sender(env.alice).execute_proposal(nft, ID, good),
        Err(UnknownProposal { id }.into())
    );
    // Only a guardian revokes; nothing of Alice's survived the parking, so
    // there is no grant left to revoke (a live grant revoked by a guardian:
    // `offchain/e2e/tests/it/agent.rs`, where time passes).
    assert_eq!(
        env.parking.sender(env.mallory).revoke_agent(nft, ID, agent),
        Err(NotGuardian { caller: env.mallory.address() }.into())
    );
    assert!(env.parking.sender(env.guardian).revoke_agent(nft, ID, agent).is_err());
    let r = env.perms.sender(env.agent).execute(account, nft, U256::ZERO, call);
    assert_eq!(r, Err(agent_permissions::AgentNotAllowed { account, agent }.into()));
}

#[test]
fn pure_rules() {
    assert_eq!(eta(10, MIN_DELAY), 10 + MIN_DELAY);
    assert_eq!(eta(u64::MAX, 1), u64::MAX);
    assert!(check_terms(0, MIN_DELAY).is_err());
    assert!(check_terms(1, MIN_DELAY - 1).is_err());
    assert!(check_terms(1, MIN_DELAY).is_ok());
    let account = Address::repeat_byte(7);
    let allow: Vec<u8> = IPermissions::allowCall {
        account,
        agent: Address::ZERO,
        target: Address::ZERO,
        selector: B32::ZERO,
        allowed: true,
        dangerous: false,
    }
    .abi_encode();
    assert!(is_valid_proposal(&allow, account));
    assert!(!is_valid_proposal(&allow, Address::repeat_byte(8)));
    assert!(!is_valid_proposal(&allow[..20], account));
}
