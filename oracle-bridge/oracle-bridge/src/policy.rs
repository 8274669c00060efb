//! Who may charge a payer is the access contract's answer: the bridge asks
//! it when a request is made, which books the escrow against a key's quota
//! under a policy, and gives back what the request did not spend.

use alloy_primitives::{Address, B256, U256};
use contract_kit::calls::{self, verdict, IInferenceAccess};

use crate::{
    errors::{AccessCallFailed, Error, ModelNotAllowed, NotAuthorized, QuotaExceeded},
    KeyRef, OracleBridge,
};

/// A booking against a key token's quota (record, period), to be given
/// back in part when the request settles for less than it escrowed.
pub(crate) type Charge = Option<(B256, u64)>;

impl OracleBridge {
    /// Checks that `caller` may charge `amount` of `payer`'s credits for
    /// `model` and, under a policy, books it against the key's quota.
    pub(crate) fn authorize(
        &mut self,
        (caller, payer): (Address, Address),
        model: u32,
        (collection, token): KeyRef,
        amount: U256,
    ) -> Result<Charge, Error> {
        if caller == payer {
            return Ok(None);
        }
        let call =
            IInferenceAccess::authorizeCall { caller, payer, model, collection, token, amount };
        let reply = calls::send(self.access.get(), &call).map_err(|_| AccessCallFailed {})?;
        let field = |i| calls::word(&reply, i).map_err(|_| AccessCallFailed {});
        let (verdict, left, record, period) = (field(0)?, field(1)?, field(2)?, field(3)?);
        if verdict > U256::from(u8::MAX) || period > U256::from(u64::MAX) {
            return Err(AccessCallFailed {}.into());
        }
        match verdict.saturating_to::<u8>() {
            verdict::ALLOWED => {
                Ok((!record.is_zero()).then(|| (B256::from(record), period.saturating_to())))
            }
            verdict::MODEL_NOT_ALLOWED => Err(ModelNotAllowed { model }.into()),
            verdict::QUOTA_EXCEEDED => Err(QuotaExceeded { left, needed: amount }.into()),
            _ => Err(NotAuthorized { caller, payer }.into()),
        }
    }

    /// Gives `amount` back to the quota that was charged. Best effort: a
    /// refusal (the access contract now answers to another bridge) must not
    /// keep a request from ending, and only the quota's refill is lost.
    pub(crate) fn give_back(&mut self, charge: Charge, amount: U256) {
        let Some((record, period)) = charge else { return };
        let call = IInferenceAccess::giveBackCall { record, period, amount };
        let _ = calls::send(self.access.get(), &call);
    }
}
