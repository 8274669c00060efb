//! The sessions program's usage receipt as EIP-712 typed data, its `close`
//! call, and how receipts travel over HTTP: what the worker, the gateway,
//! the tests and any Rust client sign, send and check. (The exported ABI
//! carries functions, errors and events, not this type: it lives here
//! once, beside the bindings.)

mod signed;

pub use signed::{ReceiptError, SignedReceipt};

use alloy::{
    primitives::{Address, Bytes, U256},
    sol,
    sol_types::{eip712_domain, Eip712Domain},
};

use serde_json::{json, Value};

use crate::IInferenceSessions;

/// The header naming the session that pays for a request.
pub const SESSION_HEADER: &str = "x-computefi-session";
/// The header carrying the client's newest signed receipt.
pub const RECEIPT_HEADER: &str = "x-computefi-receipt";
/// The field of an answer (or of a stream's finish chunk) holding the
/// cumulative usage for the client to sign next.
pub const TO_SIGN_FIELD: &str = "computefi";

sol! {
    /// A cumulative usage receipt (`oracle-bridge/inference-sessions`).
    #[derive(Debug, PartialEq, Eq)]
    struct Receipt {
        uint64 session;
        uint64 seq;
        uint64 tokensIn;
        uint64 tokensOut;
        uint256 cost;
    }
}

/// A session's phase, as `session(id)` reports it.
pub mod phase {
    /// Opened, not accepted yet.
    pub const OPEN: u8 = 1;
    /// Accepted by a provider.
    pub const ACTIVE: u8 = 2;
    /// Closed by one side; in its challenge window.
    pub const CLOSING: u8 = 3;
    /// Paid out.
    pub const SETTLED: u8 = 4;
}

/// Which side closed first, as `settlement(id)` reports it.
pub mod side {
    /// Anyone, after expiry.
    pub const ANYONE: u8 = 0;
    /// The payer or the requester.
    pub const PAYER: u8 = 1;
    /// The provider.
    pub const PROVIDER: u8 = 2;
}

/// The sessions program's EIP-712 domain on `chain_id` at `contract`.
pub fn domain(chain_id: u64, contract: Address) -> Eip712Domain {
    eip712_domain! {
        name: "Compute-Fi Sessions",
        version: "1",
        chain_id: chain_id,
        verifying_contract: contract,
    }
}

/// `close(id, ...)` with `receipt` and its signature (none: a close that
/// presents nothing, which agrees with the other side's).
pub fn close_call(id: u64, receipt: Option<(&Receipt, &[u8])>) -> IInferenceSessions::closeCall {
    match receipt {
        Some((r, signature)) => IInferenceSessions::closeCall {
            id,
            seq: r.seq,
            tokensIn: r.tokensIn,
            tokensOut: r.tokensOut,
            cost: r.cost,
            signature: Bytes::copy_from_slice(signature),
        },
        None => IInferenceSessions::closeCall {
            id,
            seq: 0,
            tokensIn: 0,
            tokensOut: 0,
            cost: U256::ZERO,
            signature: Bytes::new(),
        },
    }
}

impl Receipt {
    /// The receipt as an answer's `computefi` object: its fields, the cost
    /// as a decimal string (it may pass 2^53, where JSON numbers end).
    pub fn to_json(&self) -> Value {
        json!({
            "session": self.session,
            "seq": self.seq,
            "tokensIn": self.tokensIn,
            "tokensOut": self.tokensOut,
            "cost": self.cost.to_string(),
        })
    }

    /// Reads an answer's `computefi` object (none when a field is missing
    /// or malformed).
    pub fn from_json(value: &Value) -> Option<Self> {
        let number = |k: &str| value.get(k)?.as_u64();
        Some(Self {
            session: number("session")?,
            seq: number("seq")?,
            tokensIn: number("tokensIn")?,
            tokensOut: number("tokensOut")?,
            cost: value.get("cost")?.as_str()?.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_round_trips_through_its_json_and_bad_json_is_none() {
        let r = Receipt { session: 3, seq: 9, tokensIn: 1, tokensOut: 2, cost: U256::MAX };
        assert_eq!(Receipt::from_json(&r.to_json()), Some(r));
        for bad in [
            json!({}),
            json!({"session": 1, "seq": 1, "tokensIn": 1, "tokensOut": 1, "cost": 5}),
            json!({"session": -1, "seq": 1, "tokensIn": 1, "tokensOut": 1, "cost": "5"}),
            json!({"session": 1, "seq": 1, "tokensIn": 1, "tokensOut": 1, "cost": "x"}),
        ] {
            assert_eq!(Receipt::from_json(&bad), None, "{bad}");
        }
    }
}
