//! Mapping chain errors to JSON-RPC error objects, with the codes and shapes
//! that viem, ethers, alloy and cast parse.

use crate::chain::ChainError;
use alloy_primitives::Bytes;
use alloy_sol_types::{Revert, SolError};
use jsonrpsee::types::{error::INVALID_PARAMS_CODE, ErrorObjectOwned};

/// The code geth and every Ethereum client use for a revert that carries data.
pub const REVERT_CODE: i32 = 3;

/// The generic server error code of geth for failed executions and rejections.
pub const SERVER_ERROR_CODE: i32 = -32000;

/// `-32602 invalid params` with what was wrong.
pub(super) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message.into(), None::<()>)
}

/// A JSON-RPC error for a chain error.
pub(super) fn rpc_error(error: ChainError) -> ErrorObjectOwned {
    match error {
        ChainError::InvalidParams(message) => invalid_params(message),
        ChainError::Revert(data) => revert_error(&data),
        other => ErrorObjectOwned::owned(SERVER_ERROR_CODE, other.to_string(), None::<()>),
    }
}

/// A revert: code 3 with the revert data (and the reason in the message when
/// it is an `Error(string)`), or `-32000` without data when there is none,
/// which is how nitro reports a Stylus program that trapped.
fn revert_error(data: &Bytes) -> ErrorObjectOwned {
    if data.is_empty() {
        return ErrorObjectOwned::owned(SERVER_ERROR_CODE, "execution reverted", None::<()>);
    }
    let message = match Revert::abi_decode(data) {
        Ok(revert) => format!("execution reverted: {}", revert.reason),
        Err(_) => "execution reverted".to_owned(),
    };
    ErrorObjectOwned::owned(REVERT_CODE, message, Some(data.to_string()))
}
