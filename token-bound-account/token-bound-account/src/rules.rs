//! The account's rules as pure functions of their inputs, so that tests
//! can check them at any time and with any value (motsu's clock is fixed).

use alloy_primitives::U256;

use crate::{Error, InvalidOperation, LockTooLong};

/// The longest lock: one year (365 days) from now, as in Tokenbound V3.
pub const MAX_LOCK_SECONDS: u64 = 365 * 24 * 60 * 60;

/// The only operation executed: CALL.
pub const CALL: u8 = 0;

/// ERC-165 ids the account supports: ERC-165, `IERC6551Account`,
/// `IERC6551Executable`, ERC-1271, `IERC721Receiver`, `IERC1155Receiver`.
pub const SUPPORTED_INTERFACES: [[u8; 4]; 6] = [
    [0x01, 0xff, 0xc9, 0xa7],
    erc6551::IERC6551_ACCOUNT_ID,
    erc6551::IERC6551_EXECUTABLE_ID,
    crate::signature::ERC1271_MAGIC,
    [0x15, 0x0b, 0x7a, 0x02],
    [0x4e, 0x23, 0x12, 0xe0],
];

/// Refuses every operation but CALL: DELEGATECALL would let the callee
/// rewrite the account's storage (its lock and state), and CREATE is not
/// needed by anything this project does.
///
/// # Errors
/// [`InvalidOperation`].
pub fn check_operation(operation: u8) -> Result<(), Error> {
    if operation == CALL {
        Ok(())
    } else {
        Err(InvalidOperation { operation }.into())
    }
}

/// Whether an account locked until `locked_until` is locked at `now`.
pub fn is_locked(now: u64, locked_until: u64) -> bool {
    now < locked_until
}

/// The lock end to store for a request to lock until `until` at `now`.
///
/// # Errors
/// [`LockTooLong`] when `until` is more than [`MAX_LOCK_SECONDS`] ahead.
pub fn lock_until(now: u64, until: U256) -> Result<u64, Error> {
    let max = now.saturating_add(MAX_LOCK_SECONDS);
    match u64::try_from(until) {
        Ok(until) if until <= max => Ok(until),
        _ => Err(LockTooLong { until, max: U256::from(max) }.into()),
    }
}
