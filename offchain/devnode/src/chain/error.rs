//! Why a chain operation failed, in terms the RPC layer maps to error codes.

use alloy_primitives::Bytes;

/// A failed chain operation.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The request itself is malformed (bad transaction encoding, wrong chain id...).
    #[error("{0}")]
    InvalidParams(String),
    /// The code ran and reverted with this revert data (possibly empty).
    #[error("execution reverted")]
    Revert(Bytes),
    /// The code halted without reverting (out of gas, invalid opcode...).
    #[error("{0}")]
    Halt(String),
    /// The transaction cannot be included (nonce, balance, fee or gas checks).
    #[error("{0}")]
    Rejected(String),
    /// Only the latest state is kept; older blocks' state is gone.
    #[error("historical state is not available: only the latest block can be queried")]
    HistoricalState,
    /// The snapshot id is unknown or was already reverted.
    #[error("unknown snapshot id {0}")]
    UnknownSnapshot(u64),
    /// The state file could not be read or written.
    #[error("state file: {0}")]
    StateFile(String),
}

/// The result of a chain operation.
pub type ChainResult<T> = Result<T, ChainError>;
