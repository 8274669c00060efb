//! Errors and events of the token-bound account.
#![allow(missing_docs)]

use alloc::vec::Vec;

use alloy_sol_types::{sol, SolError};

sol! {
    /// `caller` may not act for this account: it is not the holder of the
    /// bound token (or the token lives on another chain).
    #[derive(Debug, PartialEq, Eq)]
    error NotAuthorized(address caller);
    /// The account is locked until the timestamp `until`.
    #[derive(Debug, PartialEq, Eq)]
    error Locked(uint256 until);
    /// A lock until `until` is longer than allowed: at most `max`.
    #[derive(Debug, PartialEq, Eq)]
    error LockTooLong(uint256 until, uint256 max);
    /// Only operation 0 (CALL) is executed; `operation` is refused.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidOperation(uint8 operation);
    /// Receiving token `tokenId` of `tokenContract` would make the account
    /// own itself, directly or through a chain of accounts.
    #[derive(Debug, PartialEq, Eq)]
    error OwnershipCycle(address tokenContract, uint256 tokenId);

    /// The account called `to` with `value` wei; `state` is its new state.
    #[derive(Debug, PartialEq, Eq)]
    event Executed(address indexed to, uint256 value, uint256 state);
    /// The account is locked until `until` (a past time: unlocked).
    #[derive(Debug, PartialEq, Eq)]
    event LockUpdated(uint256 until);
}

/// Every way an account call can fail. A refused call gets its typed
/// error; a call the account makes that reverts bubbles up its revert data
/// unchanged, as ERC-6551's `execute` requires.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    NotAuthorized(NotAuthorized),
    Locked(Locked),
    LockTooLong(LockTooLong),
    InvalidOperation(InvalidOperation),
    OwnershipCycle(OwnershipCycle),
    /// The revert data of a call the account made.
    CallReverted(Vec<u8>),
}

impl From<Error> for Vec<u8> {
    fn from(value: Error) -> Self {
        match value {
            Error::NotAuthorized(e) => e.abi_encode(),
            Error::Locked(e) => e.abi_encode(),
            Error::LockTooLong(e) => e.abi_encode(),
            Error::InvalidOperation(e) => e.abi_encode(),
            Error::OwnershipCycle(e) => e.abi_encode(),
            Error::CallReverted(data) => data,
        }
    }
}

macro_rules! from_typed {
    ($($name:ident),*) => {$(
        impl From<$name> for Error {
            fn from(value: $name) -> Self {
                Self::$name(value)
            }
        }
    )*};
}
from_typed!(NotAuthorized, Locked, LockTooLong, InvalidOperation, OwnershipCycle);

/// Lists the typed errors in the exported Solidity interface (what
/// `#[derive(SolidityError)]` would do; [`Error`] is written out by hand
/// to carry raw revert data too).
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for Error {
    fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
        use core::any::TypeId;
        use stylus_sdk::abi::export::internal::InnerType;
        fn entry<E: SolError + 'static>() -> InnerType {
            InnerType {
                name: alloc::format!("error {};", E::SIGNATURE.replace(',', ", ")),
                id: TypeId::of::<E>(),
            }
        }
        alloc::vec![
            entry::<NotAuthorized>(),
            entry::<Locked>(),
            entry::<LockTooLong>(),
            entry::<InvalidOperation>(),
            entry::<OwnershipCycle>(),
        ]
    }
}
