//! Errors and events of the AI NFT.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::errors::ZeroAddress;
use contract_kit::short_string::InvalidString;
use openzeppelin_stylus::token::erc721;
use stylus_sdk::prelude::*;

sol! {
    /// Only the holder of AI `id` may change its record.
    #[derive(Debug, PartialEq, Eq)]
    error NotTokenOwner(address caller, uint256 id);
    /// No AI has been minted with this id.
    #[derive(Debug, PartialEq, Eq)]
    error UnknownAi(uint256 id);
    /// The instructions URI is longer than `MAX_URI_BYTES`.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidSize();
    /// The ERC-6551 registry did not create the AI's account at the address
    /// the standard derives (the call reverted or returned another address).
    #[derive(Debug, PartialEq, Eq)]
    error AccountCreationFailed();

    /// AI `id` was minted to `owner` with its token-bound `account`.
    #[derive(Debug, PartialEq, Eq)]
    event AiMinted(uint256 indexed id, address indexed owner, address indexed account, uint32 model, address keyCollection, bytes32 instructionsHash);
    /// The holder replaced the instructions of AI `id`.
    #[derive(Debug, PartialEq, Eq)]
    event InstructionsSet(uint256 indexed id, bytes32 instructionsHash, bytes instructionsUri);
    /// The holder moved AI `id` to `model`.
    #[derive(Debug, PartialEq, Eq)]
    event ModelSet(uint256 indexed id, uint32 model);
    /// The holder named the key collection of AI `id` (zero: none).
    #[derive(Debug, PartialEq, Eq)]
    event KeyCollectionSet(uint256 indexed id, address keyCollection);
}

/// Every way an AI-NFT call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAddress(ZeroAddress),
    NotTokenOwner(NotTokenOwner),
    UnknownAi(UnknownAi),
    InvalidSize(InvalidSize),
    AccountCreationFailed(AccountCreationFailed),
    InvalidString(InvalidString),
    InvalidOwner(erc721::ERC721InvalidOwner),
    NonexistentToken(erc721::ERC721NonexistentToken),
    IncorrectOwner(erc721::ERC721IncorrectOwner),
    InvalidSender(erc721::ERC721InvalidSender),
    InvalidReceiver(erc721::ERC721InvalidReceiver),
    InvalidReceiverWithReason(erc721::InvalidReceiverWithReason),
    InsufficientApproval(erc721::ERC721InsufficientApproval),
    InvalidApprover(erc721::ERC721InvalidApprover),
    InvalidOperator(erc721::ERC721InvalidOperator),
}

impl From<erc721::Error> for Error {
    fn from(value: erc721::Error) -> Self {
        match value {
            erc721::Error::InvalidOwner(e) => Self::InvalidOwner(e),
            erc721::Error::NonexistentToken(e) => Self::NonexistentToken(e),
            erc721::Error::IncorrectOwner(e) => Self::IncorrectOwner(e),
            erc721::Error::InvalidSender(e) => Self::InvalidSender(e),
            erc721::Error::InvalidReceiver(e) => Self::InvalidReceiver(e),
            erc721::Error::InvalidReceiverWithReason(e) => Self::InvalidReceiverWithReason(e),
            erc721::Error::InsufficientApproval(e) => Self::InsufficientApproval(e),
            erc721::Error::InvalidApprover(e) => Self::InvalidApprover(e),
            erc721::Error::InvalidOperator(e) => Self::InvalidOperator(e),
        }
    }
}
