//! A parking holder for AI NFTs: where an AI goes so that no single person
//! can take it back ("the AI owns itself").
//!
//! The holder of an AI NFT parks it with [`AiParking::park`] (after
//! approving this contract), naming its token-bound account and either
//!
//! - **permanent** parking: the token never leaves this contract; or
//! - a **controller**, 1 to [`MAX_GUARDIANS`] **guardians** and a release
//!   **delay** of at least [`MIN_DELAY`]: only the controller may request a
//!   release to an address, it runs no sooner than the delay later (anyone
//!   may then execute it), and the controller or any guardian may cancel it
//!   before then. One honest guardian is enough to keep the AI parked.
//!
//! While parked, this contract is the holder, so the account obeys only the
//! agent-permissions contract named at construction, which parking makes
//! the account's executor. The AI keeps acting through its agent key: the
//! controller proposes `grant`/`allow` calls on the agent-permissions
//! contract for the parked AI's account, they run after the parking's delay
//! (anyone may execute them then; the controller or any guardian may cancel
//! them before), and the controller or any guardian may revoke an agent at
//! once. Grants made by the former holder end with the transfer.
//!
//! This contract never calls the account's `execute` itself: nobody moves
//! the account's assets except an agent within its grant.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
#![allow(deprecated)]
extern crate alloc;

mod errors;
#[cfg(test)]
mod tests;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::B32, keccak256, Address, B256, U256, U64};
use alloy_sol_types::{sol, SolCall};
use interfaces::{calls, guard::ReentrancyGuard};
use stylus_sdk::{
    abi::Bytes,
    block, contract, evm, msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU64},
};

pub use errors::*;

/// Shortest release and proposal delay: one day, for the community to see
/// a release coming and a guardian to cancel it.
pub const MIN_DELAY: u64 = 86_400;

/// Most guardians of one parking.
pub const MAX_GUARDIANS: usize = 16;

sol! {
    /// The ERC-721 calls parking makes.
    interface INft {
        function ownerOf(uint256 tokenId) external view returns (address);
        function transferFrom(address from, address to, uint256 tokenId) external;
    }
    /// The token-bound account calls parking makes.
    interface IBoundAccount {
        function token() external view returns (uint256 chainId, address tokenContract, uint256 tokenId);
        function setExecutor(address executor) external;
    }
    /// The agent-permissions calls parking makes or forwards.
    interface IPermissions {
        function grant(address account, address agent, uint64 expiry, uint64 period, uint256 valueCap, uint256 creditCap, address ledger) external returns (uint64);
        function allow(address account, address agent, address target, bytes4 selector, bool allowed) external;
        function revoke(address account, address agent) external;
    }
}

/// One parked token.
#[storage]
pub struct Parking {
    /// The token's account (zero: not parked).
    account: StorageAddress,
    controller: StorageAddress,
    permanent: StorageBool,
    delay: StorageU64,
    /// Grows with every parking of the token; a guardian is one of this
    /// parking's when its entry holds the current epoch.
    epoch: StorageU64,
    guardians: StorageMap<Address, StorageU64>,
    release_to: StorageAddress,
    release_eta: StorageU64,
}

/// State of the parking.
#[entrypoint]
#[storage]
pub struct AiParking {
    permissions: StorageAddress,
    /// By `keccak256(nft, tokenId)`.
    parked: StorageMap<B256, Parking>,
    /// Pending proposals by id: when they may run (zero: none).
    proposals: StorageMap<B256, StorageU64>,
    guard: ReentrancyGuard,
}

/// The key of a parked token.
pub fn park_key(nft: Address, token_id: U256) -> B256 {
    let mut buf = [0u8; 52];
    buf[..20].copy_from_slice(nft.as_slice());
    buf[20..].copy_from_slice(&token_id.to_be_bytes::<32>());
    keccak256(buf)
}

/// The id of a proposal: the parked token, the parking's epoch (so that a
/// proposal left pending at a release never runs in a later parking) and
/// the forwarded calldata.
pub fn proposal_id(nft: Address, token_id: U256, epoch: u64, data: &[u8]) -> B256 {
    let mut buf = park_key(nft, token_id).to_vec();
    buf.extend_from_slice(&epoch.to_be_bytes());
    buf.extend_from_slice(data);
    keccak256(buf)
}

/// When a release or proposal made at `now` with `delay` may run.
pub fn eta(now: u64, delay: u64) -> u64 {
    now.saturating_add(delay)
}

/// Checks the terms of a parking.
///
/// # Errors
/// [`BadGuardians`], [`DelayTooShort`] for a releasable parking.
pub fn check_terms(guardians: usize, delay: u64, permanent: bool) -> Result<(), Error> {
    if permanent {
        return Ok(());
    }
    if guardians == 0 || guardians > MAX_GUARDIANS {
        return Err(
            BadGuardians { count: U256::from(guardians), max: U256::from(MAX_GUARDIANS) }.into()
        );
    }
    if delay < MIN_DELAY {
        return Err(DelayTooShort { delay, min: MIN_DELAY }.into());
    }
    Ok(())
}

/// Whether `data` is a `grant` or `allow` call for `account`.
pub fn is_valid_proposal(data: &[u8], account: Address) -> bool {
    let selector = data.get(..4).map(B32::from_slice);
    let known = selector == Some(B32::from(IPermissions::grantCall::SELECTOR))
        || selector == Some(B32::from(IPermissions::allowCall::SELECTOR));
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(account.as_slice());
    known && data.get(4..36) == Some(&word[..])
}

fn send<C: SolCall>(target: Address, call: &C) -> Result<Vec<u8>, Error> {
    calls::send(target, call).map_err(|_| CallFailed { callee: target }.into())
}

// The router decodes every argument into an owned value.
#[allow(clippy::needless_pass_by_value, clippy::too_many_arguments)]
#[public]
impl AiParking {
    /// Sets the agent-permissions contract every parked account obeys.
    ///
    /// # Errors
    /// [`ZeroAddress`].
    #[constructor]
    pub fn constructor(&mut self, permissions: Address) -> Result<(), Error> {
        if permissions.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.permissions.set(permissions);
        Ok(())
    }

    /// Parks token `token_id` of `nft` (the caller holds it and approved
    /// this contract), whose token-bound account is `account`, and makes
    /// the agent-permissions contract the account's executor. `permanent`:
    /// never released (controller, guardians and delay then only govern
    /// agent grants; a permanent parking still needs them to change
    /// grants, with zero guardians only revocation by the controller is
    /// immediate).
    ///
    /// # Errors
    /// [`NotTokenOwner`], [`WrongAccount`], [`ZeroAddress`] for a zero
    /// controller, [`BadGuardians`], [`DelayTooShort`], [`CallFailed`]
    /// (e.g. the account is locked or the transfer is not approved).
    pub fn park(
        &mut self,
        nft: Address,
        token_id: U256,
        account: Address,
        controller: Address,
        guardians: Vec<Address>,
        delay: u64,
        permanent: bool,
    ) -> Result<(), Error> {
        self.guard.enter()?;
        let result =
            self.park_unguarded(nft, token_id, account, controller, &guardians, delay, permanent);
        self.guard.exit();
        result
    }

    /// Asks to release the token to `to`, no sooner than the parking's delay
    /// from now; returns when. Replaces a pending request.
    ///
    /// # Errors
    /// [`NotParked`], [`NotController`], [`PermanentlyParked`],
    /// [`ZeroAddress`].
    pub fn request_release(
        &mut self,
        nft: Address,
        token_id: U256,
        to: Address,
    ) -> Result<u64, Error> {
        let mut p = self.parking(nft, token_id)?;
        if msg::sender() != p.controller.get() {
            return Err(NotController { caller: msg::sender() }.into());
        }
        if p.permanent.get() {
            return Err(PermanentlyParked { nft, tokenId: token_id }.into());
        }
        if to.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let eta = eta(block::timestamp(), p.delay.get().to());
        p.release_to.set(to);
        p.release_eta.set(U64::from(eta));
        evm::log(ReleaseRequested { nft, tokenId: token_id, to, eta });
        Ok(eta)
    }

    /// Cancels the pending release.
    ///
    /// # Errors
    /// [`NotParked`], [`NotGuardian`] for anyone but the controller and the
    /// guardians, [`NoPendingRelease`].
    pub fn cancel_release(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        self.only_guardian(nft, token_id)?;
        let mut p = self.parked.setter(park_key(nft, token_id));
        if p.release_eta.get().is_zero() {
            return Err(NoPendingRelease { nft, tokenId: token_id }.into());
        }
        p.release_to.set(Address::ZERO);
        p.release_eta.set(U64::ZERO);
        evm::log(ReleaseCancelled { nft, tokenId: token_id, by: msg::sender() });
        Ok(())
    }

    /// Releases the token to the address of the pending request once its
    /// time has come; anyone may call it.
    ///
    /// # Errors
    /// [`NotParked`], [`NoPendingRelease`], [`NotReady`], [`CallFailed`].
    pub fn execute_release(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        self.guard.enter()?;
        let result = self.execute_release_unguarded(nft, token_id);
        self.guard.exit();
        result
    }

    /// Proposes `data`, a `grant` or `allow` call on the agent-permissions
    /// contract for the parked AI's account, to run after the parking's
    /// delay; returns the proposal's id.
    ///
    /// # Errors
    /// [`NotParked`], [`NotController`], [`BadProposal`].
    pub fn propose(&mut self, nft: Address, token_id: U256, data: Bytes) -> Result<B256, Error> {
        let p = self.parking(nft, token_id)?;
        if msg::sender() != p.controller.get() {
            return Err(NotController { caller: msg::sender() }.into());
        }
        if !is_valid_proposal(&data, p.account.get()) {
            return Err(BadProposal {}.into());
        }
        let eta = eta(block::timestamp(), p.delay.get().to());
        let id = proposal_id(nft, token_id, p.epoch.get().to(), &data);
        self.proposals.setter(id).set(U64::from(eta));
        evm::log(Proposed { nft, tokenId: token_id, id, eta, data: data.to_vec().into() });
        Ok(id)
    }

    /// Cancels the pending proposal of `data`.
    ///
    /// # Errors
    /// [`NotParked`], [`NotGuardian`], [`UnknownProposal`].
    pub fn cancel_proposal(
        &mut self,
        nft: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<(), Error> {
        self.only_guardian(nft, token_id)?;
        let id = self.id_of(nft, token_id, &data);
        if self.proposals.get(id).is_zero() {
            return Err(UnknownProposal { id }.into());
        }
        self.proposals.setter(id).set(U64::ZERO);
        evm::log(ProposalCancelled { nft, tokenId: token_id, id, by: msg::sender() });
        Ok(())
    }

    /// Runs the pending proposal of `data` once its time has come; anyone
    /// may call it.
    ///
    /// # Errors
    /// [`NotParked`], [`UnknownProposal`], [`NotReady`], [`CallFailed`].
    pub fn execute_proposal(
        &mut self,
        nft: Address,
        token_id: U256,
        data: Bytes,
    ) -> Result<(), Error> {
        self.guard.enter()?;
        let result = self.execute_proposal_unguarded(nft, token_id, &data);
        self.guard.exit();
        result
    }

    /// Ends the rights of `agent` on the parked AI's account at once.
    ///
    /// # Errors
    /// [`NotParked`], [`NotGuardian`], [`CallFailed`].
    pub fn revoke_agent(
        &mut self,
        nft: Address,
        token_id: U256,
        agent: Address,
    ) -> Result<(), Error> {
        self.guard.enter()?;
        let result = self.revoke_agent_unguarded(nft, token_id, agent);
        self.guard.exit();
        result
    }

    /// The parking of a token: account (zero: not parked), controller,
    /// permanent, delay, pending release's address and time (zero: none).
    pub fn parking_of(
        &self,
        nft: Address,
        token_id: U256,
    ) -> (Address, Address, bool, u64, Address, u64) {
        let p = self.parked.get(park_key(nft, token_id));
        (
            p.account.get(),
            p.controller.get(),
            p.permanent.get(),
            p.delay.get().to(),
            p.release_to.get(),
            p.release_eta.get().to(),
        )
    }

    /// Whether `who` is a guardian of the token's parking.
    pub fn is_guardian(&self, nft: Address, token_id: U256, who: Address) -> bool {
        let p = self.parked.get(park_key(nft, token_id));
        !p.account.get().is_zero() && p.guardians.get(who) == p.epoch.get()
    }

    /// When the proposal of `data` may run (zero: not pending).
    pub fn proposal_eta(&self, nft: Address, token_id: U256, data: Bytes) -> u64 {
        self.proposals.get(self.id_of(nft, token_id, &data)).to()
    }

    /// The agent-permissions contract parked accounts obey.
    pub fn permissions(&self) -> Address {
        self.permissions.get()
    }
}

impl AiParking {
    /// The id of the proposal of `data` in the token's current parking.
    fn id_of(&self, nft: Address, token_id: U256, data: &[u8]) -> B256 {
        let epoch = self.parked.get(park_key(nft, token_id)).epoch.get().to();
        proposal_id(nft, token_id, epoch, data)
    }

    /// The body of [`Self::revoke_agent`], under the reentrancy lock.
    fn revoke_agent_unguarded(
        &mut self,
        nft: Address,
        token_id: U256,
        agent: Address,
    ) -> Result<(), Error> {
        self.only_guardian(nft, token_id)?;
        let account = self.parked.get(park_key(nft, token_id)).account.get();
        send(self.permissions.get(), &IPermissions::revokeCall { account, agent })?;
        Ok(())
    }

    /// The body of [`Self::execute_proposal`], under the reentrancy lock.
    fn execute_proposal_unguarded(
        &mut self,
        nft: Address,
        token_id: U256,
        data: &[u8],
    ) -> Result<(), Error> {
        self.parking(nft, token_id)?;
        let id = self.id_of(nft, token_id, data);
        let eta = self.proposals.get(id).to::<u64>();
        if eta == 0 {
            return Err(UnknownProposal { id }.into());
        }
        let now = block::timestamp();
        if now < eta {
            return Err(NotReady { eta, now }.into());
        }
        self.proposals.setter(id).set(U64::ZERO);
        evm::log(ProposalExecuted { nft, tokenId: token_id, id });
        let permissions = self.permissions.get();
        // SAFETY: the cache is flushed before the call and the lock refuses
        // reentrant calls.
        unsafe { stylus_sdk::call::RawCall::new().flush_storage_cache().call(permissions, data) }
            .map_err(|_| CallFailed { callee: permissions })?;
        Ok(())
    }

    /// The body of [`Self::execute_release`], under the reentrancy lock.
    fn execute_release_unguarded(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        let mut p = self.parking(nft, token_id)?;
        let (to, eta) = (p.release_to.get(), p.release_eta.get().to::<u64>());
        if eta == 0 {
            return Err(NoPendingRelease { nft, tokenId: token_id }.into());
        }
        let now = block::timestamp();
        if now < eta {
            return Err(NotReady { eta, now }.into());
        }
        p.account.set(Address::ZERO);
        p.controller.set(Address::ZERO);
        p.release_to.set(Address::ZERO);
        p.release_eta.set(U64::ZERO);
        evm::log(Released { nft, tokenId: token_id, to });
        send(nft, &INft::transferFromCall { from: contract::address(), to, tokenId: token_id })?;
        Ok(())
    }

    /// The body of [`Self::park`], under the reentrancy lock.
    #[allow(clippy::too_many_arguments)]
    fn park_unguarded(
        &mut self,
        nft: Address,
        token_id: U256,
        account: Address,
        controller: Address,
        guardians: &[Address],
        delay: u64,
        permanent: bool,
    ) -> Result<(), Error> {
        let caller = msg::sender();
        let holder = calls::view(nft, &INft::ownerOfCall { tokenId: token_id })
            .and_then(|r| calls::address(&r))
            .unwrap_or_default();
        if holder != caller {
            return Err(NotTokenOwner { caller, tokenId: token_id }.into());
        }
        let bound = calls::view(account, &IBoundAccount::tokenCall {})
            .ok()
            .and_then(|r| IBoundAccount::tokenCall::abi_decode_returns(&r, true).ok())
            .map(|t| (t.chainId, t.tokenContract, t.tokenId));
        if bound != Some((U256::from(block::chainid()), nft, token_id)) {
            return Err(WrongAccount { account }.into());
        }
        if controller.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        check_terms(guardians.len(), delay, permanent)?;
        let permissions = self.permissions.get();
        let mut p = self.parked.setter(park_key(nft, token_id));
        let epoch = p.epoch.get().to::<u64>() + 1;
        p.epoch.set(U64::from(epoch));
        p.account.set(account);
        p.controller.set(controller);
        p.permanent.set(permanent);
        p.delay.set(U64::from(delay));
        p.release_to.set(Address::ZERO);
        p.release_eta.set(U64::ZERO);
        for g in guardians {
            p.guardians.setter(*g).set(U64::from(epoch));
        }
        evm::log(Parked { nft, tokenId: token_id, account, controller, delay, permanent });
        let this = contract::address();
        send(nft, &INft::transferFromCall { from: caller, to: this, tokenId: token_id })?;
        send(account, &IBoundAccount::setExecutorCall { executor: permissions })?;
        Ok(())
    }
    /// The parking of a parked token.
    fn parking(
        &mut self,
        nft: Address,
        token_id: U256,
    ) -> Result<stylus_sdk::storage::StorageGuardMut<'_, Parking>, Error> {
        let p = self.parked.setter(park_key(nft, token_id));
        if p.account.get().is_zero() {
            return Err(NotParked { nft, tokenId: token_id }.into());
        }
        Ok(p)
    }

    /// Lets the controller and the guardians of a parked token through.
    fn only_guardian(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        let caller = msg::sender();
        let p = self.parking(nft, token_id)?;
        if caller != p.controller.get() && p.guardians.get(caller) != p.epoch.get() {
            return Err(NotGuardian { caller }.into());
        }
        Ok(())
    }
}
