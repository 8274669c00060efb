//! Proposals: `grant`/`allow` calls for a parked AI's account that the
//! controller proposes and anyone executes after the parking's delay, and
//! the immediate revocation of an agent.

use alloy_primitives::{aliases::B32, keccak256, Address, B256, U256, U64};
use contract_kit::events::emit;
use stylus_sdk::block;

use crate::{
    park_key, send, AiParking, CallFailed, Error, IPermissions, NotReady, ProposalExecuted,
    SolCall, UnknownProposal,
};

/// The id of a proposal: the parked token, the parking's epoch (so that a
/// proposal left pending at a release never runs in a later parking) and
/// the forwarded calldata.
pub fn proposal_id(nft: Address, token_id: U256, epoch: u64, data: &[u8]) -> B256 {
    let mut buf = park_key(nft, token_id).to_vec();
    buf.extend_from_slice(&epoch.to_be_bytes());
    buf.extend_from_slice(data);
    keccak256(buf)
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

impl AiParking {
    /// The id of the proposal of `data` in the token's current parking.
    pub(crate) fn id_of(&self, nft: Address, token_id: U256, data: &[u8]) -> B256 {
        let epoch = self.parked.get(park_key(nft, token_id)).epoch.get().to();
        proposal_id(nft, token_id, epoch, data)
    }

    /// Revokes an agent of a parked account ([`Self::revoke_agent`], under
    /// the lock).
    pub(crate) fn revoke_in_account(
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

    /// Runs a due proposal ([`Self::execute_proposal`], under the lock).
    pub(crate) fn run_proposal(
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
        emit(ProposalExecuted { nft, tokenId: token_id, id });
        let permissions = self.permissions.get();
        // SAFETY: the cache is flushed before the call and the lock refuses
        // reentrant calls.
        unsafe { stylus_sdk::call::RawCall::new().flush_storage_cache().call(permissions, data) }
            .map_err(|_| CallFailed { callee: permissions })?;
        Ok(())
    }
}
