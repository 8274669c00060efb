//! Signed receipts on the wire (moved here from the worker so that the
//! gateway, which signs them, and the worker, which verifies them, share
//! one format): carried in the `X-Computefi-Receipt` header as
//! `seq:tokensIn:tokensOut:cost:0x<sig>`.

use alloy::{
    primitives::{Address, Signature, B256, U256},
    sol_types::{Eip712Domain, SolStruct},
};
use thiserror::Error;

use super::Receipt;

/// A receipt with the session key's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    /// What was signed.
    pub receipt: Receipt,
    /// The 65-byte signature `r ‖ s ‖ v`.
    pub signature: Vec<u8>,
}

/// Why a receipt header was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReceiptError {
    /// Not `seq:tokensIn:tokensOut:cost:0x<65-byte signature>`.
    #[error("malformed receipt header: expected seq:tokensIn:tokensOut:cost:0x<signature>")]
    Malformed,
    /// The signature does not recover to the session's key.
    #[error("the receipt is not signed by the session key {expected}")]
    WrongSigner {
        /// The session's key.
        expected: Address,
    },
}

impl SignedReceipt {
    /// Reads the header value for session `session`.
    ///
    /// # Errors
    /// [`ReceiptError::Malformed`].
    pub fn parse(session: u64, header: &str) -> Result<Self, ReceiptError> {
        let parts: Vec<&str> = header.trim().split(':').collect();
        let [seq, tokens_in, tokens_out, cost, signature] = parts[..] else {
            return Err(ReceiptError::Malformed);
        };
        let number = |s: &str| s.parse::<u64>().map_err(|_| ReceiptError::Malformed);
        let cost = cost.parse::<U256>().map_err(|_| ReceiptError::Malformed)?;
        let signature = alloy::primitives::hex::decode(signature)
            .ok()
            .filter(|s| s.len() == 65)
            .ok_or(ReceiptError::Malformed)?;
        let receipt = Receipt {
            session,
            seq: number(seq)?,
            tokensIn: number(tokens_in)?,
            tokensOut: number(tokens_out)?,
            cost,
        };
        Ok(Self { receipt, signature })
    }

    /// The header value that carries this receipt.
    pub fn header(&self) -> String {
        let r = &self.receipt;
        let signature = alloy::primitives::hex::encode_prefixed(&self.signature);
        format!("{}:{}:{}:{}:{signature}", r.seq, r.tokensIn, r.tokensOut, r.cost)
    }

    /// Checks that `key` signed it under `domain`.
    ///
    /// # Errors
    /// [`ReceiptError::WrongSigner`] (a forgery, a tampered receipt, or one
    /// signed for another session, program or chain).
    pub fn verify(&self, domain: &Eip712Domain, key: Address) -> Result<(), ReceiptError> {
        let digest: B256 = self.receipt.eip712_signing_hash(domain);
        let signer = Signature::from_raw(&self.signature)
            .ok()
            .and_then(|s| s.recover_address_from_prehash(&digest).ok());
        if signer == Some(key) {
            Ok(())
        } else {
            Err(ReceiptError::WrongSigner { expected: key })
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::{local::PrivateKeySigner, SignerSync};

    use super::*;
    use crate::receipt::domain;

    fn signed(key: &PrivateKeySigner, domain: &Eip712Domain, receipt: Receipt) -> SignedReceipt {
        let digest = receipt.eip712_signing_hash(domain);
        let signature = key.sign_hash_sync(&digest).unwrap().as_bytes().to_vec();
        SignedReceipt { receipt, signature }
    }

    fn receipt(session: u64, seq: u64) -> Receipt {
        Receipt { session, seq, tokensIn: 40, tokensOut: 60, cost: U256::from(160_000u64) }
    }

    #[test]
    fn a_receipt_round_trips_through_its_header_and_verifies() {
        let key = PrivateKeySigner::random();
        let domain = domain(412_346, Address::repeat_byte(0x5e));
        let r = signed(&key, &domain, receipt(7, 3));
        let read = SignedReceipt::parse(7, &r.header()).unwrap();
        assert_eq!(read, r);
        read.verify(&domain, key.address()).unwrap();
    }

    #[test]
    fn forged_tampered_and_foreign_receipts_do_not_verify() {
        let key = PrivateKeySigner::random();
        let domain = domain(412_346, Address::repeat_byte(0x5e));
        let wrong = WrongSignerOf(key.address());
        let forged = signed(&PrivateKeySigner::random(), &domain, receipt(7, 1));
        assert_eq!(forged.verify(&domain, key.address()), wrong.err());
        let mut tampered = signed(&key, &domain, receipt(7, 1));
        tampered.receipt.cost += U256::from(1u64);
        assert_eq!(tampered.verify(&domain, key.address()), wrong.err());
        // The same receipt read for another session (the header carries no
        // session id: the request names it).
        let other =
            SignedReceipt::parse(8, &signed(&key, &domain, receipt(7, 1)).header()).unwrap();
        assert_eq!(other.verify(&domain, key.address()), wrong.err());
        let elsewhere = self::domain(42_161, Address::repeat_byte(0x5e));
        let foreign = signed(&key, &elsewhere, receipt(7, 1));
        assert_eq!(foreign.verify(&domain, key.address()), wrong.err());
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in ["", "1:2:3:4", "1:2:3:4:0x00", "x:2:3:4:0x", "1:2:3:-4:0x", "1:2:3:4:5:6"] {
            assert_eq!(SignedReceipt::parse(1, bad), Err(ReceiptError::Malformed), "{bad:?}");
        }
    }

    /// The refusal for a receipt not signed by `key`.
    struct WrongSignerOf(Address);

    impl WrongSignerOf {
        fn err(&self) -> Result<(), ReceiptError> {
            Err(ReceiptError::WrongSigner { expected: self.0 })
        }
    }
}
