//! The sessions program's usage receipt as EIP-712 typed data, and its
//! `close` call: what the worker, the tests and any Rust client sign and
//! send. (The exported ABI carries functions, errors and events, not this
//! type: it lives here once, beside the bindings.)

use alloy::{
    primitives::{Address, Bytes, U256},
    sol,
    sol_types::{eip712_domain, Eip712Domain},
};

use crate::IInferenceSessions;

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
