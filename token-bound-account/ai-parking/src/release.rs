//! Parking and release: who may park a token, the terms of a parking, and
//! the release that runs only after the parking's delay.

use alloy_primitives::{keccak256, Address, B256, U256, U64};
use contract_kit::events::emit;
use stylus_sdk::{block, contract, msg};

use crate::{
    calls, send, AiParking, BadGuardians, DelayTooShort, Error, IBoundAccount, INft, IPermissions,
    NoPendingRelease, NotGuardian, NotParked, NotReady, NotTokenOwner, OwnershipCycle, Parked,
    Parking, Released, SolCall, WrongAccount, ZeroAddress, MAX_GUARDIANS, MIN_DELAY,
};

/// The key of a parked token.
pub fn park_key(nft: Address, token_id: U256) -> B256 {
    let mut buf = [0u8; 52];
    buf[..20].copy_from_slice(nft.as_slice());
    buf[20..].copy_from_slice(&token_id.to_be_bytes::<32>());
    keccak256(buf)
}

/// When a release or proposal made at `now` with `delay` may run.
pub fn eta(now: u64, delay: u64) -> u64 {
    now.saturating_add(delay)
}

/// Checks the terms of a parking. A permanent parking needs them too
/// (review I-5): its controller's `grant`/`allow` proposals wait the delay
/// and its guardians are who can cancel them or revoke an agent at once.
///
/// # Errors
/// [`BadGuardians`], [`DelayTooShort`].
pub fn check_terms(guardians: usize, delay: u64) -> Result<(), Error> {
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

/// Most token-bound accounts a release walks up from its recipient.
const MAX_HOPS: usize = 6;

/// Whether `to` is the token's own account, or an account whose ownership
/// leads back to the token within [`MAX_HOPS`]: released there, the token
/// would own itself and be locked for good (review I-5; `transferFrom`
/// skips the receiver's own cycle check).
fn leads_back_to(to: Address, nft: Address, token_id: U256) -> bool {
    let mut holder = to;
    for _ in 0..MAX_HOPS {
        let bound = calls::view(holder, &IBoundAccount::tokenCall {})
            .ok()
            .and_then(|r| IBoundAccount::tokenCall::abi_decode_returns(&r, true).ok());
        let Some(t) = bound else { return false };
        if t.chainId != U256::from(block::chainid()) {
            return false;
        }
        if t.tokenContract == nft && t.tokenId == token_id {
            return true;
        }
        let owner = calls::view(t.tokenContract, &INft::ownerOfCall { tokenId: t.tokenId })
            .and_then(|r| calls::address(&r));
        match owner {
            Ok(next) if !next.is_zero() && next != contract::address() => holder = next,
            _ => return false,
        }
    }
    false
}

impl AiParking {
    /// Runs a due release ([`Self::execute_release`], under the lock).
    pub(crate) fn release_token(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        let mut p = self.parking(nft, token_id)?;
        let (to, eta) = (p.release_to.get(), p.release_eta.get().to::<u64>());
        if eta == 0 {
            return Err(NoPendingRelease { nft, tokenId: token_id }.into());
        }
        let now = block::timestamp();
        if now < eta {
            return Err(NotReady { eta, now }.into());
        }
        let account = p.account.get();
        if leads_back_to(to, nft, token_id) {
            return Err(OwnershipCycle { to, nft, tokenId: token_id }.into());
        }
        p.account.set(Address::ZERO);
        p.controller.set(Address::ZERO);
        p.release_to.set(Address::ZERO);
        p.release_eta.set(U64::ZERO);
        emit(Released { nft, tokenId: token_id, to });
        // Grants made during this parking end before the token leaves, so
        // a later parking of it does not revive them (review H-2).
        send(self.permissions.get(), &IPermissions::resetAccountCall { account })?;
        send(nft, &INft::transferFromCall { from: contract::address(), to, tokenId: token_id })?;
        Ok(())
    }

    /// Parks a token ([`Self::park`], under the lock).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn park_token(
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
        check_terms(guardians.len(), delay)?;
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
        emit(Parked { nft, tokenId: token_id, account, controller, delay, permanent });
        let this = contract::address();
        send(nft, &INft::transferFromCall { from: caller, to: this, tokenId: token_id })?;
        send(account, &IBoundAccount::setExecutorCall { executor: permissions })?;
        // Nothing granted before this parking acts under it (review H-2).
        send(permissions, &IPermissions::resetAccountCall { account })?;
        Ok(())
    }

    /// The parking of a parked token.
    pub(crate) fn parking(
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
    pub(crate) fn only_guardian(&mut self, nft: Address, token_id: U256) -> Result<(), Error> {
        let caller = msg::sender();
        let p = self.parking(nft, token_id)?;
        if caller != p.controller.get() && p.guardians.get(caller) != p.epoch.get() {
            return Err(NotGuardian { caller }.into());
        }
        Ok(())
    }
}
