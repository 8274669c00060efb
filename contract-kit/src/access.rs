//! Who may charge a payer's credits: the question the oracle bridge (for a
//! request) and the sessions program (for a session) both ask the inference
//! access contract, with the same answers and the same errors.
//!
//! The payer itself always may. Anyone else is asked about: an approved
//! requester may; a key holder under the payer's policy may within the
//! key's quota, which the access contract books; what a request or session
//! did not spend is given back to that booking when it ends.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::sol;

use crate::calls::{self, verdict, IInferenceAccess};

sol! {
    /// The caller may not charge the payer's credits.
    #[derive(Debug, PartialEq, Eq)]
    error NotAuthorized(address caller, address payer);
    /// The key's quota for this period is smaller than the charge.
    #[derive(Debug, PartialEq, Eq)]
    error QuotaExceeded(uint256 left, uint256 needed);
    /// The payer's policy does not allow this model.
    #[derive(Debug, PartialEq, Eq)]
    error ModelNotAllowed(uint32 model);
    /// The inference access contract failed or answered badly.
    #[derive(Debug, PartialEq, Eq)]
    error AccessCallFailed();
}

/// A booking against a key token's quota (record, period), given back in
/// part when what it paid for settles for less.
pub type Charge = Option<(B256, u64)>;

/// The key a charge is made under: a collection and a token in it (zero
/// collection: none).
pub type KeyRef = (Address, U256);

/// Asks `access` whether `caller` may charge `amount` of `payer`'s credits
/// for `model` under `key`; an allowed charge under a policy is booked
/// against the key's quota and returned. Generic over the caller's error,
/// so each contract raises the four errors as its own.
///
/// # Errors
/// [`NotAuthorized`], [`QuotaExceeded`], [`ModelNotAllowed`],
/// [`AccessCallFailed`].
#[allow(clippy::inline_always, reason = "one call site per contract; outlined it costs 300 bytes")]
#[inline(always)]
pub fn authorize<E>(
    access: Address,
    (caller, payer): (Address, Address),
    model: u32,
    (collection, token): KeyRef,
    amount: U256,
) -> Result<Charge, E>
where
    E: From<NotAuthorized> + From<QuotaExceeded> + From<ModelNotAllowed> + From<AccessCallFailed>,
{
    if caller == payer {
        return Ok(None);
    }
    let call = IInferenceAccess::authorizeCall { caller, payer, model, collection, token, amount };
    let reply = calls::send(access, &call).map_err(|_| AccessCallFailed {})?;
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

/// Gives `amount` back to the quota `charge` booked. Best effort: a refusal
/// (the access contract now answers to another market) must not keep a
/// request or session from ending; only the quota's refill is lost.
#[allow(clippy::inline_always, reason = "one call site per contract")]
#[inline(always)]
pub fn give_back(access: Address, charge: Charge, amount: U256) {
    let Some((record, period)) = charge else { return };
    let call = IInferenceAccess::giveBackCall { record, period, amount };
    let _ = calls::send(access, &call);
}
