//! Voting power for governance, as `OpenZeppelin`'s `Votes` keeps it
//! (`IVotes`, ERC-5805) but clocked by timestamps (ERC-6372
//! `mode=timestamp`: on Arbitrum `block.number` is an L1 estimate).
//!
//! A contract that holds voting units (keys, shares) moves them with
//! [`Votes::transfer_units`] on every mint, burn and transfer; an account's
//! units count for its delegate. As in Nouns, an account that never
//! delegated votes for itself, so that a member votes without a first
//! transaction; delegating to the zero address returns to that.
//!
//! Each delegate and the total keep checkpoints ([`history`]: 48-bit
//! timestamps, 208-bit values, one slot each), so a past lookup is a binary
//! search: O(log n), no loop over members. Several changes in one second
//! share one checkpoint.

pub mod history;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U48, Address, U256};
use alloy_sol_types::sol;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU256},
};

use self::history::History;
use crate::events::emit;

/// ERC-6372's description of the clock.
pub const CLOCK_MODE: &str = "mode=timestamp";

sol! {
    /// A past lookup of a time that is not past yet.
    #[derive(Debug, PartialEq, Eq)]
    error ERC5805FutureLookup(uint256 timepoint, uint48 clock);
    /// A delegation signature used after its expiry.
    #[derive(Debug, PartialEq, Eq)]
    error VotesExpiredSignature(uint256 expiry);
    /// A signature with a nonce other than the signer's next one (a replay).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidAccountNonce(address account, uint256 currentNonce);
    /// A change of voting power out of order in time (the clock went back).
    #[derive(Debug, PartialEq, Eq)]
    error CheckpointUnorderedInsertion();

    /// `delegator` moved its votes from `fromDelegate` to `toDelegate`.
    event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate);
    /// `delegate`'s votes changed.
    event DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes);
}

/// Why a votes operation failed.
#[derive(SolidityError, Debug)]
pub enum VotesError {
    /// [`ERC5805FutureLookup`].
    FutureLookup(ERC5805FutureLookup),
    /// [`VotesExpiredSignature`].
    ExpiredSignature(VotesExpiredSignature),
    /// [`InvalidAccountNonce`].
    InvalidNonce(InvalidAccountNonce),
    /// [`CheckpointUnorderedInsertion`].
    Unordered(CheckpointUnorderedInsertion),
}

/// The clock at unix time `now` (48 bits last until the year 8.9 million).
pub fn clock(now: u64) -> U48 {
    U48::saturating_from(now)
}

/// Delegations, checkpoints and delegation nonces.
#[storage]
pub struct Votes {
    delegation: StorageMap<Address, StorageAddress>,
    power: StorageMap<Address, History>,
    total: History,
    nonces: StorageMap<Address, StorageU256>,
}

impl Votes {
    /// Whom `account`'s units vote for: its delegate, or itself.
    pub fn delegates(&self, account: Address) -> Address {
        let chosen = self.delegation.get(account);
        if chosen.is_zero() {
            account
        } else {
            chosen
        }
    }

    /// `account`'s votes now.
    pub fn get_votes(&self, account: Address) -> U256 {
        self.power.getter(account).latest()
    }

    /// `account`'s votes at the end of second `timepoint`, before `now`.
    ///
    /// # Errors
    /// [`ERC5805FutureLookup`] unless `timepoint < now`.
    pub fn get_past_votes(
        &self,
        account: Address,
        timepoint: U256,
        now: u64,
    ) -> Result<U256, VotesError> {
        let at = past(timepoint, now)?;
        Ok(self.power.getter(account).at(at))
    }

    /// All units at the end of second `timepoint`, before `now`.
    ///
    /// # Errors
    /// [`ERC5805FutureLookup`] unless `timepoint < now`.
    pub fn get_past_total_supply(&self, timepoint: U256, now: u64) -> Result<U256, VotesError> {
        let at = past(timepoint, now)?;
        Ok(self.total.at(at))
    }

    /// All units now.
    pub fn total_supply(&self) -> U256 {
        self.total.latest()
    }

    /// The nonce `owner`'s next delegation signature must carry.
    pub fn nonces(&self, owner: Address) -> U256 {
        self.nonces.get(owner)
    }

    /// Consumes `owner`'s nonce `nonce`.
    ///
    /// # Errors
    /// [`InvalidAccountNonce`] when it is not the next one.
    pub fn use_nonce(&mut self, owner: Address, nonce: U256) -> Result<(), VotesError> {
        let current = self.nonces.get(owner);
        if nonce != current {
            return Err(VotesError::InvalidNonce(InvalidAccountNonce {
                account: owner,
                currentNonce: current,
            }));
        }
        self.nonces.setter(owner).set(current + U256::from(1));
        Ok(())
    }

    /// `account`, holding `units`, delegates to `delegatee` (zero: itself).
    ///
    /// # Errors
    /// [`CheckpointUnorderedInsertion`] if the clock went back.
    pub fn delegate(
        &mut self,
        account: Address,
        delegatee: Address,
        units: U256,
        now: u64,
    ) -> Result<(), VotesError> {
        let from = self.delegates(account);
        self.delegation.setter(account).set(if delegatee == account {
            Address::ZERO
        } else {
            delegatee
        });
        let to = self.delegates(account);
        emit(DelegateChanged { delegator: account, fromDelegate: from, toDelegate: to });
        self.move_votes(from, to, units, now)
    }

    /// Moves `units` held by `from` to `to` (zero `from`: minted; zero
    /// `to`: burnt), with the votes of their delegates.
    ///
    /// # Errors
    /// [`CheckpointUnorderedInsertion`] if the clock went back.
    pub fn transfer_units(
        &mut self,
        from: Address,
        to: Address,
        units: U256,
        now: u64,
    ) -> Result<(), VotesError> {
        if from.is_zero() {
            self.total.update(now, |total| total.saturating_add(units))?;
        }
        if to.is_zero() {
            self.total.update(now, |total| total.saturating_sub(units))?;
        }
        let (from, to) = (self.delegate_of_holder(from), self.delegate_of_holder(to));
        self.move_votes(from, to, units, now)
    }

    /// The delegate of a holder; zero for zero (minting, burning).
    fn delegate_of_holder(&self, holder: Address) -> Address {
        if holder.is_zero() {
            Address::ZERO
        } else {
            self.delegates(holder)
        }
    }

    fn move_votes(
        &mut self,
        from: Address,
        to: Address,
        units: U256,
        now: u64,
    ) -> Result<(), VotesError> {
        if from == to || units.is_zero() {
            return Ok(());
        }
        if !from.is_zero() {
            self.checkpoint(from, now, |votes| votes.saturating_sub(units))?;
        }
        if !to.is_zero() {
            self.checkpoint(to, now, |votes| votes.saturating_add(units))?;
        }
        Ok(())
    }

    /// Writes `delegate`'s votes, changed by `change`, at `key`.
    fn checkpoint(
        &mut self,
        delegate: Address,
        now: u64,
        change: impl FnOnce(U256) -> U256,
    ) -> Result<(), VotesError> {
        let (previous, new) = self.power.setter(delegate).update(now, change)?;
        emit(DelegateVotesChanged { delegate, previousVotes: previous, newVotes: new });
        Ok(())
    }
}

/// A past timepoint as a checkpoint key.
fn past(timepoint: U256, now: u64) -> Result<u64, VotesError> {
    let current = clock(now);
    if timepoint >= U256::from(current) {
        return Err(VotesError::FutureLookup(ERC5805FutureLookup { timepoint, clock: current }));
    }
    // Below the current clock, so it fits 48 bits.
    Ok(timepoint.saturating_to())
}

#[cfg(test)]
mod tests;
