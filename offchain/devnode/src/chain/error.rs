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
    /// The block named does not exist (unknown hash, beyond the head).
    #[error("{0}")]
    UnknownBlock(String),
    /// The block's state is older than the history kept.
    #[error("state of block {number} is not kept: the oldest block with state is {oldest} (start the node with a larger --history-blocks)")]
    HistoryPruned {
        /// The block asked for.
        number: u64,
        /// The oldest block whose state is kept.
        oldest: u64,
    },
    /// The snapshot id is unknown or was already reverted.
    #[error("unknown snapshot id {0}")]
    UnknownSnapshot(u64),
    /// The state file could not be read or written.
    #[error("state file: {0}")]
    StateFile(String),
}

/// The result of a chain operation.
pub type ChainResult<T> = Result<T, ChainError>;
