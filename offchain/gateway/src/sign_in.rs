//! Sign-in with Ethereum (EIP-4361): the wallet that holds a key NFT (an
//! EOA, or a contract account such as the AI's token-bound account through
//! EIP-1271, which its agent key signs for) proves it once and gets an API
//! key. The message names the key as a resource,
//! `urn:computefi:key:<collection>:<token>`, and optionally the payer,
//! `urn:computefi:payer:<address>` (by default the collection's issuer, the
//! AI's account). The gateway checks on chain that the signer holds the
//! key, that the holder delegated it to the gateway (`delegateKey` on the
//! access contract: otherwise the chain would refuse the gateway's
//! sessions), and that the payer has a policy for the collection.

use std::{str::FromStr, time::Duration};

use alloy::{
    primitives::{Address, FixedBytes, U256},
    providers::DynProvider,
};
use bindings::{IInferenceAccess, IKeyNft, ITokenBoundAccount};
use serde::Deserialize;

use crate::{
    api_key::{Claims, Keyring},
    error::GatewayError,
};

/// EIP-1271's "valid signature" magic value.
const ERC1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// A sign-in: the EIP-4361 message as signed, and the signature.
#[derive(Debug, Deserialize)]
pub struct Login {
    /// The message's text.
    pub message: String,
    /// The 65-byte signature, hex.
    pub signature: String,
}

/// What the gateway expects of a sign-in.
#[derive(Debug, Clone)]
pub struct SignInRules {
    /// The domain messages must name (the gateway's public host).
    pub domain: String,
    /// The chain messages must name.
    pub chain_id: u64,
    /// How long a nonce stays usable.
    pub nonce_ttl: Duration,
    /// How long an API key lasts (shortened to the message's expiry).
    pub key_ttl: Duration,
}

/// Checks sign-ins against the chain.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// A reader of the chain.
    pub chain: DynProvider,
    /// The access contract (policies, quotas, delegations).
    pub access: Address,
    /// The gateway's own account: the delegate it must be.
    pub gateway: Address,
    /// The rules.
    pub rules: SignInRules,
}

/// The EIP-4361 message with which `signer` signs in to the gateway at
/// `domain` on `chain_id` for `key` (collection, token), charging `payer`
/// (none: the collection's issuer), with a `nonce` from `/v1/auth/nonce`,
/// issued at unix time `now`. Wallets show it as it reads.
pub fn message(
    domain: &str,
    signer: Address,
    chain_id: u64,
    nonce: &str,
    key: (Address, U256),
    payer: Option<Address>,
    now: u64,
) -> String {
    let issued = time::OffsetDateTime::from_unix_timestamp(i64::try_from(now).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut text = format!(
        "{domain} wants you to sign in with your Ethereum account:\n{signer}\n\nSign in to the Compute-Fi gateway to chat on key {token} of {collection}.\n\nURI: https://{domain}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\nIssued At: {issued}\nResources:\n- urn:computefi:key:{collection}:{token}",
        collection = key.0,
        token = key.1,
    );
    if let Some(payer) = payer {
        text += "\n- urn:computefi:payer:";
        text += &payer.to_string();
    }
    text
}

/// The key NFT and payer a message names.
fn named_key(message: &siwe::Message) -> Result<((Address, U256), Option<Address>), GatewayError> {
    let bad = |why: &str| GatewayError::SignIn(why.to_owned());
    let (mut key, mut payer) = (None, None);
    for resource in &message.resources {
        let text = resource.as_str();
        if let Some(rest) = text.strip_prefix("urn:computefi:key:") {
            let (collection, token) =
                rest.split_once(':').ok_or_else(|| bad("malformed key URN"))?;
            let collection = Address::from_str(collection).map_err(|_| bad("bad collection"))?;
            let token = U256::from_str(token).map_err(|_| bad("bad token id"))?;
            key = Some((collection, token));
        } else if let Some(rest) = text.strip_prefix("urn:computefi:payer:") {
            payer = Some(Address::from_str(rest).map_err(|_| bad("bad payer address"))?);
        }
    }
    let key = key.ok_or_else(|| {
        bad("the message names no key: add the resource urn:computefi:key:<collection>:<token>")
    })?;
    Ok((key, payer))
}

impl SignIn {
    /// Checks `login` at unix time `now` with `keyring`'s nonces; returns
    /// the claims to issue an API key for.
    ///
    /// # Errors
    /// [`GatewayError::SignIn`] (malformed, wrong domain or chain, stale
    /// nonce, expired, bad signature), [`GatewayError::Forbidden`] (not
    /// the holder, not delegated, no policy), [`GatewayError::Upstream`]
    /// (the chain cannot be read).
    pub async fn check(
        &self,
        login: &Login,
        keyring: &Keyring,
        now: u64,
    ) -> Result<Claims, GatewayError> {
        let bad = |why: String| GatewayError::SignIn(why);
        let message = siwe::Message::from_str(&login.message)
            .map_err(|e| bad(format!("not an EIP-4361 message: {e}")))?;
        if message.domain.as_str() != self.rules.domain {
            return Err(bad(format!(
                "the message is for {}, this is {}",
                message.domain, self.rules.domain
            )));
        }
        if message.chain_id != self.rules.chain_id {
            return Err(bad(format!(
                "the message is for chain {}, this gateway serves {}",
                message.chain_id, self.rules.chain_id
            )));
        }
        if !keyring.nonce_is_fresh(&message.nonce, now, self.rules.nonce_ttl.as_secs()) {
            return Err(bad(
                "the nonce is not one this gateway issued in the last minutes: GET /v1/auth/nonce"
                    .into(),
            ));
        }
        if !message.valid_now() {
            return Err(bad("the message has expired or is not valid yet".into()));
        }
        let signer = Address::from(message.address);
        self.check_signature(&message, &login.signature, signer).await?;
        let (key, payer) = named_key(&message)?;
        let payer = self.check_key(signer, key, payer).await?;
        let mut expires = now.saturating_add(self.rules.key_ttl.as_secs());
        if let Some(at) = &message.expiration_time {
            let at = u64::try_from(at.as_ref().unix_timestamp()).unwrap_or(0);
            expires = expires.min(at);
        }
        Ok(Claims { collection: key.0, token: key.1, payer, holder: signer, expires })
    }

    /// An EOA's EIP-191 signature, or a contract account's EIP-1271 answer.
    async fn check_signature(
        &self,
        message: &siwe::Message,
        signature: &str,
        signer: Address,
    ) -> Result<(), GatewayError> {
        let bytes = alloy::primitives::hex::decode(signature.trim())
            .map_err(|_| GatewayError::SignIn("the signature is not hex".into()))?;
        if let Ok(sig) = <[u8; 65]>::try_from(bytes.as_slice()) {
            if message.verify_eip191(&sig).is_ok() {
                return Ok(());
            }
        }
        let code = alloy::providers::Provider::get_code_at(&self.chain, signer)
            .await
            .map_err(GatewayError::upstream)?;
        if !code.is_empty() {
            let hash = message
                .eip191_hash()
                .map_err(|_| GatewayError::SignIn("unprintable message".into()))?;
            let account = ITokenBoundAccount::new(signer, &self.chain);
            let answer = account.isValidSignature(hash.into(), bytes.into()).call().await;
            if answer.is_ok_and(|magic| magic == FixedBytes(ERC1271_MAGIC)) {
                return Ok(());
            }
        }
        Err(GatewayError::SignIn(format!("the signature is not {signer}'s")))
    }

    /// The signer holds `key`, delegated it to this gateway, and `payer`
    /// (default: the collection's issuer) has a policy for it; returns the
    /// payer.
    async fn check_key(
        &self,
        signer: Address,
        (collection, token): (Address, U256),
        payer: Option<Address>,
    ) -> Result<Address, GatewayError> {
        let nft = IKeyNft::new(collection, &self.chain);
        let holder = nft.ownerOf(token).call().await.map_err(|_| GatewayError::Forbidden {
            code: "no_such_key",
            message: format!("{collection} has no key {token}"),
        })?;
        if holder != signer {
            return Err(GatewayError::Forbidden {
                code: "not_key_holder",
                message: format!("key {token} of {collection} is held by {holder}, not {signer}"),
            });
        }
        let access = IInferenceAccess::new(self.access, &self.chain);
        let delegate =
            access.delegateOf(collection, token).call().await.map_err(GatewayError::upstream)?;
        if delegate != self.gateway {
            return Err(GatewayError::Forbidden {
                code: "key_not_delegated",
                message: format!(
                    "delegate the key to this gateway first: from {holder}, call delegateKey({collection}, {token}, {}) on the access contract {}",
                    self.gateway, self.access
                ),
            });
        }
        let payer = match payer {
            Some(payer) => payer,
            None => nft.issuer().call().await.map_err(GatewayError::upstream)?,
        };
        let policy =
            access.policy(payer, collection).call().await.map_err(GatewayError::upstream)?;
        if policy.quota.is_zero() {
            return Err(GatewayError::Forbidden {
                code: "no_policy",
                message: format!("{payer} lets no key of {collection} spend its credits"),
            });
        }
        Ok(payer)
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::{local::PrivateKeySigner, SignerSync};

    use super::*;

    #[test]
    fn the_message_parses_as_eip_4361_names_its_key_and_verifies_its_signer() {
        let wallet = PrivateKeySigner::random();
        let key = (Address::repeat_byte(7), U256::from(42u64));
        let payer = Address::repeat_byte(9);
        let text = message(
            "gw.example",
            wallet.address(),
            412_346,
            "0123456789abcdef",
            key,
            Some(payer),
            1_800_000_000,
        );
        let parsed = siwe::Message::from_str(&text).unwrap();
        assert_eq!(
            (parsed.domain.as_str(), parsed.chain_id, parsed.nonce.as_str()),
            ("gw.example", 412_346, "0123456789abcdef")
        );
        assert_eq!(named_key(&parsed).unwrap(), (key, Some(payer)));
        let signature = wallet.sign_message_sync(text.as_bytes()).unwrap().as_bytes();
        assert!(parsed.verify_eip191(&signature).is_ok());
        let other =
            PrivateKeySigner::random().sign_message_sync(text.as_bytes()).unwrap().as_bytes();
        assert!(parsed.verify_eip191(&other).is_err(), "another wallet's signature is refused");
    }

    #[test]
    fn a_message_without_a_key_or_with_a_bad_one_is_refused() {
        let wallet = Address::repeat_byte(1);
        let text = message(
            "gw.example",
            wallet,
            1,
            "0123456789abcdef",
            (Address::ZERO, U256::ZERO),
            None,
            0,
        );
        let no_key = text.replace("urn:computefi:key:", "urn:other:");
        assert!(named_key(&siwe::Message::from_str(&no_key).unwrap()).is_err());
        let bad = text.replace(":0x0000000000000000000000000000000000000000:", ":0xnothex:");
        assert!(named_key(&siwe::Message::from_str(&bad).unwrap()).is_err());
    }
}
