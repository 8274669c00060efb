//! The vault's shares as an ERC-20 token: one share is one asset unit of
//! principal. Shares move freely once their holder's lock has passed; a
//! transfer first harvests (in vaults whose members choose beneficiaries)
//! and checkpoints both sides, so that credits earned so far stay with
//! whoever held the shares while they accrued.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use openzeppelin_stylus::token::erc20::IErc20;
use stylus_sdk::{block, msg, prelude::*};

use contract_kit::guard::Guarded;

use crate::{Error, StillLocked, Vault};

impl Vault {
    /// Runs before shares move from `from` to `to`: refuses locked shares,
    /// harvests the yield accrued so far for the holders of now (review
    /// M-2: shares that arrive, flash-borrowed ones included, take no yield
    /// that accrued before they came), and settles both sides.
    fn before_transfer(&mut self, from: Address, to: Address) -> Result<(), Error> {
        let now = block::timestamp();
        let unlock_at: u64 = self.members.getter(from).unlock_at.get().to();
        if now < unlock_at {
            return Err(StillLocked { unlockAt: unlock_at, now }.into());
        }
        self.guarded(|s| s.harvest_for_holders(false))?;
        self.settle(from);
        self.settle(to);
        Ok(())
    }
}

#[public]
impl IErc20 for Vault {
    type Error = Error;

    fn total_supply(&self) -> U256 {
        self.shares.total_supply()
    }

    fn balance_of(&self, account: Address) -> U256 {
        self.shares.balance_of(account)
    }

    fn transfer(&mut self, to: Address, value: U256) -> Result<bool, Self::Error> {
        self.before_transfer(msg::sender(), to)?;
        Ok(self.shares.transfer(to, value)?)
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.shares.allowance(owner, spender)
    }

    fn approve(&mut self, spender: Address, value: U256) -> Result<bool, Self::Error> {
        Ok(self.shares.approve(spender, value)?)
    }

    fn transfer_from(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, Self::Error> {
        self.before_transfer(from, to)?;
        Ok(self.shares.transfer_from(from, to, value)?)
    }
}
