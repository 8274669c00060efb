//! A parking holder for AI NFTs: where an AI goes so that no single person
//! can take it back ("the AI owns itself").
//!
//! The holder of an AI NFT parks it with [`AiParking::park`] (after
//! approving this contract), naming its token-bound account, a
//! **controller**, 1 to [`MAX_GUARDIANS`] **guardians** and a **delay** of
//! at least [`MIN_DELAY`], and whether the parking is
//!
//! - **permanent**: the token never leaves this contract; or
//! - releasable: only the controller may request a release to an address,
//!   it runs no sooner than the delay later (anyone may then execute it),
//!   and the controller or any guardian may cancel it before then. One
//!   honest guardian is enough to keep the AI parked. A release to an
//!   address whose ownership leads back to the token (its own account) is
//!   refused: the token would own itself.
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
mod proposals;
mod release;
#[cfg(test)]
mod tests;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256, U64};
use alloy_sol_types::{sol, SolCall};
use contract_kit::{
    calls,
    events::emit,
    guard::{Guarded, ReentrancyGuard},
};
use stylus_sdk::{
    abi::Bytes,
    block, msg,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU64},
};

pub use errors::*;
pub use proposals::{is_valid_proposal, proposal_id};
pub use release::{check_terms, eta, park_key};

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
        function allow(address account, address agent, address target, bytes4 selector, bool allowed, bool dangerous) external;
        function revoke(address account, address agent) external;
        function resetAccount(address account) external returns (uint64);
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

impl Guarded for AiParking {
    fn lock(&mut self) -> &mut ReentrancyGuard {
        &mut self.guard
    }
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
        self.guarded(|s| {
            s.park_token(nft, token_id, account, controller, &guardians, delay, permanent)
        })
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
        emit(ReleaseRequested { nft, tokenId: token_id, to, eta });
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
        emit(ReleaseCancelled { nft, tokenId: token_id, by: msg::sender() });
        Ok(())
    }

    /// Releases the token to the address of the pending request once its
    /// time has come; anyone may call it.
    ///
    /// # Errors
    /// [`NotParked`], [`NoPendingRelease`], [`NotReady`], [`CallFailed`].
    pub fn execute_release(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        self.guarded(|s| s.release_token(nft, token_id))
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
        emit(Proposed { nft, tokenId: token_id, id, eta, data: data.to_vec().into() });
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
        emit(ProposalCancelled { nft, tokenId: token_id, id, by: msg::sender() });
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
        self.guarded(|s| s.run_proposal(nft, token_id, &data))
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
        self.guarded(|s| s.revoke_in_account(nft, token_id, agent))
    }

    /// The parking of a token: account (zero: not parked), controller,
    /// permanent, delay, pending release's address and time (zero: none).
    ///
    /// Returns: account, controller, permanent, delay, releaseTo, releaseEta
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
