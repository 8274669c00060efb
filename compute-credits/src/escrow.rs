//! Escrows: credits held for one spender until it pays them out and closes.
//!
//! An escrow ends exactly once (its `open` flag goes from true to false once)
//! and can never pay out more than was put in: every release is checked
//! against what remains.

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U96, Address, U256, U64};
use contract_kit::events::emit;
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageU96},
};

use crate::{
    add, sub, CreditLedger, Error, EscrowClosed, EscrowNotOpen, EscrowTooLarge, Escrowed,
    ExceedsEscrow, InsufficientCredits, NotEscrowSpender, Released, ZeroAddress, ZeroAmount,
};

/// One escrow record, in two storage slots (payer and remainder, spender
/// and flag): opening one writes two fresh slots, not four.
#[storage]
pub struct Escrow {
    pub(crate) payer: StorageAddress,
    pub(crate) remaining: StorageU96,
    pub(crate) spender: StorageAddress,
    pub(crate) open: StorageBool,
}

impl CreditLedger {
    /// Moves `amount` of `payer`'s spendable credits into a new escrow owned
    /// by `spender`.
    pub(crate) fn open_escrow(
        &mut self,
        spender: Address,
        payer: Address,
        amount: U256,
    ) -> Result<u64, Error> {
        if amount.is_zero() {
            return Err(ZeroAmount {}.into());
        }
        if amount.bit_len() > 96 {
            return Err(EscrowTooLarge { amount }.into());
        }
        let available = self.spendable.get(payer);
        if available < amount {
            return Err(InsufficientCredits { account: payer, available, needed: amount }.into());
        }
        self.spendable.setter(payer).set(available - amount);
        sub(&mut self.total_spendable, amount);
        add(&mut self.total_escrowed, amount);

        let id: u64 = self.escrow_count.get().to();
        self.escrow_count.set(U64::from(id + 1));
        let mut record = self.escrows.setter(id);
        record.payer.set(payer);
        record.spender.set(spender);
        record.remaining.set(U96::saturating_from(amount));
        record.open.set(true);
        emit(Escrowed { id, payer, spender, amount });
        Ok(id)
    }

    /// Checks that escrow `id` is open and owned by `spender`; returns what
    /// remains in it.
    fn open_escrow_of(&self, spender: Address, id: u64) -> Result<U256, Error> {
        let record = self.escrows.getter(id);
        if !record.open.get() {
            return Err(EscrowNotOpen { id }.into());
        }
        if record.spender.get() != spender {
            return Err(NotEscrowSpender { id, caller: spender }.into());
        }
        Ok(U256::from(record.remaining.get()))
    }

    /// Pays `amount` out of escrow `id` to `payee`'s earned credits.
    pub(crate) fn release_from(
        &mut self,
        spender: Address,
        id: u64,
        payee: Address,
        amount: U256,
    ) -> Result<(), Error> {
        if payee.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        let remaining = self.open_escrow_of(spender, id)?;
        if amount > remaining {
            return Err(ExceedsEscrow { id, remaining, needed: amount }.into());
        }
        self.escrows.setter(id).remaining.set(U96::saturating_from(remaining - amount));
        sub(&mut self.total_escrowed, amount);
        add(&mut self.earned.setter(payee), amount);
        add(&mut self.total_earned, amount);
        emit(Released { id, payee, amount });
        Ok(())
    }

    /// Ends escrow `id`, refunding what remains to its payer.
    pub(crate) fn close_escrow(&mut self, spender: Address, id: u64) -> Result<U256, Error> {
        let refunded = self.open_escrow_of(spender, id)?;
        let mut record = self.escrows.setter(id);
        let payer = record.payer.get();
        record.remaining.set(U96::ZERO);
        record.open.set(false);
        sub(&mut self.total_escrowed, refunded);
        add(&mut self.spendable.setter(payer), refunded);
        add(&mut self.total_spendable, refunded);
        emit(EscrowClosed { id, refunded });
        Ok(refunded)
    }
}
