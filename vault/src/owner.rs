//! The vault's owner (`OpenZeppelin`'s `Ownable`): who proposes parameter
//! changes and pauses deposits. Ownership moves members' money only through
//! the parameters' delay, never at once.

use alloc::vec::Vec;

use alloy_primitives::Address;
use openzeppelin_stylus::access::ownable::IOwnable;
use stylus_sdk::prelude::*;

use crate::Vault;

#[public]
impl IOwnable for Vault {
    fn owner(&self) -> Address {
        self.ownable.owner()
    }

    fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), Vec<u8>> {
        Ok(self.ownable.transfer_ownership(new_owner)?)
    }

    fn renounce_ownership(&mut self) -> Result<(), Vec<u8>> {
        Ok(self.ownable.renounce_ownership()?)
    }
}
