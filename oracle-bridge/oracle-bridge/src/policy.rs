//! Who may charge a payer is the access contract's answer: the bridge asks
//! it when a request is made, which books the escrow against a key's quota
//! under a policy, and gives back what the request did not spend (the rule
//! the sessions program shares: [`contract_kit::access`]).

use alloy_primitives::{Address, U256};
use contract_kit::access;

pub(crate) use contract_kit::access::Charge;

use crate::{errors::Error, KeyRef, OracleBridge};

impl OracleBridge {
    /// Checks that `caller` may charge `amount` of `payer`'s credits for
    /// `model` and, under a policy, books it against the key's quota.
    pub(crate) fn authorize(
        &mut self,
        parties: (Address, Address),
        model: u32,
        key: KeyRef,
        amount: U256,
    ) -> Result<Charge, Error> {
        access::authorize(self.access.get(), parties, model, key, amount)
    }

    /// Gives `amount` back to the quota that was charged (best effort).
    pub(crate) fn give_back(&mut self, charge: Charge, amount: U256) {
        access::give_back(self.access.get(), charge, amount);
    }
}
