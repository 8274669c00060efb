//! Errors and events of the key NFT.
#![allow(missing_docs)]

use alloy_sol_types::sol;
pub use contract_kit::errors::ZeroAddress;
use contract_kit::{short_string::InvalidString, votes};
use openzeppelin_stylus::{token::erc721, utils::cryptography::ecdsa};
use stylus_sdk::prelude::*;

sol! {
    /// Only the issuer (the AI's account) may do this.
    #[derive(Debug, PartialEq, Eq)]
    error NotIssuer(address caller);
    /// Only the issuer or a minter it appointed may issue or revoke keys.
    #[derive(Debug, PartialEq, Eq)]
    error NotMinter(address caller);
    /// Keys of this collection cannot change hands.
    #[derive(Debug, PartialEq, Eq)]
    error Soulbound(uint256 tokenId);

    event MinterSet(address indexed minter, bool allowed);
    event IssuerTransferred(address indexed previousIssuer, address indexed newIssuer);
}

/// Every way a key-NFT call can fail, each with its own Solidity error.
#[derive(SolidityError, Debug)]
pub enum Error {
    ZeroAddress(ZeroAddress),
    NotIssuer(NotIssuer),
    NotMinter(NotMinter),
    Soulbound(Soulbound),
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
    FutureLookup(votes::ERC5805FutureLookup),
    ExpiredSignature(votes::VotesExpiredSignature),
    InvalidAccountNonce(votes::InvalidAccountNonce),
    CheckpointUnorderedInsertion(votes::CheckpointUnorderedInsertion),
    InvalidSignature(ecdsa::ECDSAInvalidSignature),
    InvalidSignatureS(ecdsa::ECDSAInvalidSignatureS),
}

impl From<votes::VotesError> for Error {
    fn from(value: votes::VotesError) -> Self {
        match value {
            votes::VotesError::FutureLookup(e) => Self::FutureLookup(e),
            votes::VotesError::ExpiredSignature(e) => Self::ExpiredSignature(e),
            votes::VotesError::InvalidNonce(e) => Self::InvalidAccountNonce(e),
            votes::VotesError::Unordered(e) => Self::CheckpointUnorderedInsertion(e),
        }
    }
}

impl From<ecdsa::Error> for Error {
    fn from(value: ecdsa::Error) -> Self {
        match value {
            ecdsa::Error::InvalidSignature(e) => Self::InvalidSignature(e),
            ecdsa::Error::InvalidSignatureS(e) => Self::InvalidSignatureS(e),
        }
    }
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
