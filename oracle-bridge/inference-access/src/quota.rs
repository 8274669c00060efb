//! The checks behind `authorize` and the quota bookkeeping: a key token's
//! spending under one payer's policy, per period.

use alloy_primitives::{keccak256, Address, B256, U256, U64};
use contract_kit::{
    calls::{self, verdict, IERC721},
    fees::period_of,
};

use crate::InferenceAccess;

/// The key NFT a request names: collection and token.
pub use contract_kit::access::KeyRef;

/// `authorize`'s answer: verdict, quota left (when exceeded), and the
/// booking (record, period) to give back to, zero when none was made.
pub type Verdict = (u8, U256, B256, u64);

/// The usage record of one key token under one payer's policy.
pub(crate) fn usage_key(payer: Address, (collection, token): KeyRef) -> B256 {
    let mut preimage = [0u8; 72];
    preimage[..20].copy_from_slice(payer.as_slice());
    preimage[20..40].copy_from_slice(collection.as_slice());
    preimage[40..].copy_from_slice(&token.to_be_bytes::<32>());
    keccak256(preimage)
}

/// The delegation record of a key: `keccak256(collection ‖ token)`.
pub(crate) fn key_id((collection, token): KeyRef) -> B256 {
    let mut preimage = [0u8; 52];
    preimage[..20].copy_from_slice(collection.as_slice());
    preimage[20..].copy_from_slice(&token.to_be_bytes::<32>());
    keccak256(preimage)
}

/// Who holds `key` now, if its collection answers.
pub(crate) fn holder_of((collection, token): KeyRef) -> Option<Address> {
    let reply = calls::view(collection, &IERC721::ownerOfCall { tokenId: token });
    reply.and_then(|r| calls::address(&r)).ok()
}

fn refused(verdict: u8) -> Verdict {
    (verdict, U256::ZERO, B256::ZERO, 0)
}

impl InferenceAccess {
    pub(crate) fn quota_left_at(&self, payer: Address, key: KeyRef, now: u64) -> U256 {
        let of_payer = self.policies.get(payer);
        let policy = of_payer.get(key.0);
        let period = period_of(now, policy.period.get().to());
        let usage = self.usage.get(usage_key(payer, key));
        let used =
            if usage.period.get().to::<u64>() == period { usage.used.get() } else { U256::ZERO };
        policy.quota.get().saturating_sub(used)
    }

    /// Whether `caller` may charge `amount` of `payer`'s credits for `model`
    /// and, under a policy, books it against the key's quota. Nothing is
    /// written unless the verdict is [`verdict::ALLOWED`].
    pub(crate) fn check(
        &mut self,
        (caller, payer): (Address, Address),
        model: u32,
        key: KeyRef,
        amount: U256,
        now: u64,
    ) -> Verdict {
        if caller == payer || self.approvals.get(payer).get(caller) {
            return refused(verdict::ALLOWED);
        }
        let of_payer = self.policies.get(payer);
        let policy = of_payer.get(key.0);
        let quota = policy.quota.get();
        if key.0.is_zero() || quota.is_zero() {
            return refused(verdict::NOT_AUTHORIZED);
        }
        if !policy.all_models.get() && !policy.models.get(model) {
            return refused(verdict::MODEL_NOT_ALLOWED);
        }
        let period = period_of(now, policy.period.get().to());
        if !self.holds(caller, key) {
            return refused(verdict::NOT_AUTHORIZED);
        }
        let left = self.quota_left_at(payer, key, now);
        if amount > left {
            return (verdict::QUOTA_EXCEEDED, left, B256::ZERO, 0);
        }
        let record = usage_key(payer, key);
        let mut usage = self.usage.setter(record);
        usage.period.set(U64::from(period));
        usage.used.set(quota - left + amount);
        (verdict::ALLOWED, U256::ZERO, record, period)
    }

    /// Whether `caller` holds `key`, or is the delegate of its holder.
    fn holds(&self, caller: Address, key: KeyRef) -> bool {
        let Some(holder) = holder_of(key) else { return false };
        if holder == caller {
            return true;
        }
        let delegation = self.delegations.get(key_id(key));
        delegation.holder.get() == holder && delegation.delegate.get() == caller
    }

    /// Gives `amount` back to booking `record` if its period is still
    /// running (a new period starts from a full quota anyway).
    pub(crate) fn refill(&mut self, record: B256, period: u64, amount: U256) {
        if record.is_zero() {
            return;
        }
        let mut usage = self.usage.setter(record);
        if usage.period.get().to::<u64>() == period {
            let used = usage.used.get();
            usage.used.set(used.saturating_sub(amount));
        }
    }
}
