//! Errors and events of the agent-permissions contract.
#![allow(missing_docs)]

use alloc::vec::Vec;

use alloy_sol_types::{sol, SolError};
pub use contract_kit::errors::ZeroAddress;
pub use contract_kit::guard::ReentrantCall;

sol! {
    /// `agent` has never been granted rights on `account`.
    #[derive(Debug, PartialEq, Eq)]
    error AgentNotAllowed(address account, address agent);
    /// `selector` configures spending that no cap measures (review M-5):
    /// allow it only with the `dangerous` flag.
    #[derive(Debug, PartialEq, Eq)]
    error DangerousSelector(bytes4 selector);
    /// The grant of `agent` on `account` expired at `expiry`.
    #[derive(Debug, PartialEq, Eq)]
    error AgentExpired(address account, address agent, uint64 expiry);
    /// The grant of `agent` on `account` was revoked.
    #[derive(Debug, PartialEq, Eq)]
    error AgentRevoked(address account, address agent);
    /// The grant was made by `granter`, who no longer holds the account's
    /// token (`owner` does): grants do not pass with the token.
    #[derive(Debug, PartialEq, Eq)]
    error OwnerChanged(address granter, address owner);
    /// The grant was made when the token was in its `granted`-th period of
    /// ownership; it is now in its `current`-th: the token changed hands
    /// since (even if it came back), so the grant ended.
    #[derive(Debug, PartialEq, Eq)]
    error OwnershipEnded(uint64 granted, uint64 current);
    /// Calldata of 1 to 3 bytes names no function: neither a plain transfer
    /// of ETH (empty) nor a call (a 4-byte selector and more).
    #[derive(Debug, PartialEq, Eq)]
    error ShortCalldata(uint256 length);
    /// Calling `selector` on `target` is not among the agent's rights.
    #[derive(Debug, PartialEq, Eq)]
    error TargetNotAllowed(address target, bytes4 selector);
    /// Sending `value` wei exceeds what is left of this period's cap.
    #[derive(Debug, PartialEq, Eq)]
    error ValueCapExceeded(uint256 value, uint256 remaining);
    /// Spending `credits` exceeds what is left of this period's cap.
    #[derive(Debug, PartialEq, Eq)]
    error CreditCapExceeded(uint256 credits, uint256 remaining);
    /// Only the holder of the account's token (`owner`) manages its agents.
    #[derive(Debug, PartialEq, Eq)]
    error NotAccountOwner(address caller, address owner);
    /// A reply of the account or the credit ledger was not understood.
    #[derive(Debug, PartialEq, Eq)]
    error BadReply(address callee);

    /// `owner` granted `agent` rights on `account` (epoch `epoch`).
    #[derive(Debug, PartialEq, Eq)]
    event AgentGranted(address indexed account, address indexed agent, address owner, uint64 epoch, uint64 expiry, uint64 period, uint256 valueCap, uint256 creditCap, address ledger);
    /// Calling `selector` on `target` is now `allowed` for `agent`.
    #[derive(Debug, PartialEq, Eq)]
    event TargetAllowed(address indexed account, address indexed agent, address target, bytes4 selector, bool allowed);
    /// The rights of `agent` on `account` end now.
    #[derive(Debug, PartialEq, Eq)]
    event AgentRevokedNow(address indexed account, address indexed agent);
    /// Every grant on `account` ended; new ones live in `generation`.
    #[derive(Debug, PartialEq, Eq)]
    event AccountReset(address indexed account, uint64 generation);
    /// `agent` executed a call for `account`, spending `value` wei and `credits`.
    #[derive(Debug, PartialEq, Eq)]
    event AgentExecuted(address indexed account, address indexed agent, address target, bytes4 selector, uint256 value, uint256 credits);
}

/// Every way a call can fail. A call the account makes that reverts
/// bubbles up its revert data unchanged.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AgentNotAllowed(AgentNotAllowed),
    DangerousSelector(DangerousSelector),
    AgentExpired(AgentExpired),
    AgentRevoked(AgentRevoked),
    OwnerChanged(OwnerChanged),
    OwnershipEnded(OwnershipEnded),
    ShortCalldata(ShortCalldata),
    TargetNotAllowed(TargetNotAllowed),
    ValueCapExceeded(ValueCapExceeded),
    CreditCapExceeded(CreditCapExceeded),
    NotAccountOwner(NotAccountOwner),
    BadReply(BadReply),
    ZeroAddress(ZeroAddress),
    ReentrantCall(ReentrantCall),
    /// The revert data of the account's `execute`.
    CallReverted(Vec<u8>),
}

macro_rules! typed {
    ($($name:ident),*) => {
        $(impl From<$name> for Error {
            fn from(value: $name) -> Self {
                Self::$name(value)
            }
        })*

        impl From<Error> for Vec<u8> {
            fn from(value: Error) -> Self {
                match value {
                    $(Error::$name(e) => e.abi_encode(),)*
                    Error::CallReverted(data) => data,
                }
            }
        }

        /// Lists the typed errors in the exported Solidity interface.
        #[cfg(feature = "export-abi")]
        impl stylus_sdk::abi::export::internal::InnerTypes for Error {
            fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
                use core::any::TypeId;
                use stylus_sdk::abi::export::internal::InnerType;
                alloc::vec![$(InnerType {
                    name: alloc::format!("error {};", $name::SIGNATURE.replace(',', ", ")),
                    id: TypeId::of::<$name>(),
                }),*]
            }
        }
    };
}
typed!(
    AgentNotAllowed,
    DangerousSelector,
    AgentExpired,
    AgentRevoked,
    OwnerChanged,
    OwnershipEnded,
    ShortCalldata,
    TargetNotAllowed,
    ValueCapExceeded,
    CreditCapExceeded,
    NotAccountOwner,
    BadReply,
    ZeroAddress,
    ReentrantCall
);
