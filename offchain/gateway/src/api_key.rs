//! Stateless API keys and sign-in nonces: both are MACs under a secret
//! derived from the gateway's signing key, so the gateway stores neither
//! and a restart (or a second replica with the same key) accepts them all.
//! Rotating the gateway's key revokes every API key at once; a holder
//! revokes its own on chain by ending the key's delegation, which the
//! gateway reads before it opens a session.

use alloy::primitives::{Address, U256};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What an API key vouches for: who signed in, for which key, charging
/// whom, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Claims {
    /// The key NFT's collection.
    pub collection: Address,
    /// The key NFT.
    pub token: U256,
    /// Whose credits the key spends (the policy's payer).
    pub payer: Address,
    /// Who signed in: the key's holder then.
    pub holder: Address,
    /// Unix seconds after which the API key is refused.
    pub expires: u64,
}

/// The prefix that makes a Compute-Fi API key recognisable (and easy for
/// secret scanners to find).
const PREFIX: &str = "cfk_";
/// The encoded claims' length: 20 + 32 + 20 + 20 + 8 bytes.
const CLAIMS_LEN: usize = 100;

impl Claims {
    fn to_bytes(self) -> [u8; CLAIMS_LEN] {
        let mut out = [0u8; CLAIMS_LEN];
        out[..20].copy_from_slice(self.collection.as_slice());
        out[20..52].copy_from_slice(&self.token.to_be_bytes::<32>());
        out[52..72].copy_from_slice(self.payer.as_slice());
        out[72..92].copy_from_slice(self.holder.as_slice());
        out[92..].copy_from_slice(&self.expires.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != CLAIMS_LEN {
            return None;
        }
        Some(Self {
            collection: Address::from_slice(&bytes[..20]),
            token: U256::from_be_slice(&bytes[20..52]),
            payer: Address::from_slice(&bytes[52..72]),
            holder: Address::from_slice(&bytes[72..92]),
            expires: u64::from_be_bytes(bytes[92..].try_into().ok()?),
        })
    }

    /// The key NFT these claims are for: what limits are kept per.
    pub fn key(&self) -> (Address, U256) {
        (self.collection, self.token)
    }
}

/// Issues and checks API keys and nonces.
#[derive(Clone)]
pub struct Keyring {
    keys: [u8; 32],
    nonces: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(..)")
    }
}

/// HMAC-SHA256 of `parts` under `key`.
fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac
}

impl Keyring {
    /// A keyring whose secrets derive from `secret` (the gateway's signing
    /// key), one per purpose, so that no MAC of one kind passes as another.
    pub fn new(secret: &[u8]) -> Self {
        let derive = |purpose: &[u8]| -> [u8; 32] {
            mac(secret, &[b"compute-fi gateway v1: ", purpose]).finalize().into_bytes().into()
        };
        Self { keys: derive(b"api keys"), nonces: derive(b"sign-in nonces") }
    }

    /// An API key carrying `claims`.
    pub fn issue(&self, claims: &Claims) -> String {
        let body = claims.to_bytes();
        let tag = mac(&self.keys, &[&body]).finalize().into_bytes();
        format!("{PREFIX}{}.{}", URL_SAFE_NO_PAD.encode(body), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The claims of API key `key` if this keyring issued it and it has
    /// not expired at `now`.
    pub fn verify(&self, key: &str, now: u64) -> Option<Claims> {
        let (body, tag) = key.strip_prefix(PREFIX)?.split_once('.')?;
        let body = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant-time comparison.
        mac(&self.keys, &[&body]).verify_slice(&tag).ok()?;
        Claims::from_bytes(&body).filter(|c| c.expires > now)
    }

    /// A sign-in nonce issued at `now`: alphanumeric, as EIP-4361 wants.
    pub fn nonce(&self, now: u64) -> String {
        let tag = mac(&self.nonces, &[&now.to_be_bytes()]).finalize().into_bytes();
        format!("{now:016x}{}", alloy::primitives::hex::encode(&tag[..12]))
    }

    /// Whether `nonce` was issued by this keyring at most `ttl` seconds
    /// before `now`.
    pub fn nonce_is_fresh(&self, nonce: &str, now: u64, ttl: u64) -> bool {
        let (Some(time), Some(tag)) = (nonce.get(..16), nonce.get(16..)) else { return false };
        let (Ok(issued), Ok(tag)) =
            (u64::from_str_radix(time, 16), alloy::primitives::hex::decode(tag))
        else {
            return false;
        };
        let genuine = mac(&self.nonces, &[&issued.to_be_bytes()]).verify_truncated_left(&tag);
        genuine.is_ok() && tag.len() == 12 && issued <= now && now - issued <= ttl
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn claims(expires: u64) -> Claims {
        Claims {
            collection: Address::repeat_byte(1),
            token: U256::from(7u64),
            payer: Address::repeat_byte(2),
            holder: Address::repeat_byte(3),
            expires,
        }
    }

    #[test]
    fn an_api_key_carries_its_claims_until_it_expires() {
        let ring = Keyring::new(b"secret");
        let key = ring.issue(&claims(100));
        assert!(key.starts_with("cfk_"));
        assert_eq!(ring.verify(&key, 99), Some(claims(100)));
        assert_eq!(ring.verify(&key, 100), None, "expired");
    }

    #[test]
    fn keys_of_another_gateway_tampered_or_garbled_keys_are_refused() {
        let ring = Keyring::new(b"secret");
        let key = ring.issue(&claims(100));
        assert_eq!(Keyring::new(b"other").verify(&key, 1), None);
        // Raise the expiry inside the key: the MAC no longer matches.
        let forged = {
            let mut c = claims(u64::MAX);
            c.holder = Address::repeat_byte(3);
            let other = Keyring::new(b"other").issue(&c);
            let (body, _) = other.split_once('.').unwrap();
            let (_, tag) = key.split_once('.').unwrap();
            format!("{body}.{tag}")
        };
        assert_eq!(ring.verify(&forged, 1), None);
        for bad in ["", "cfk_", "cfk_.", "sk-abc", "cfk_AAAA.AAAA", &key[..key.len() - 2]] {
            assert_eq!(ring.verify(bad, 1), None, "{bad:?}");
        }
    }

    #[test]
    fn nonces_are_fresh_only_from_this_gateway_and_within_their_time() {
        let ring = Keyring::new(b"secret");
        let nonce = ring.nonce(1_000);
        assert!(nonce.chars().all(|c| c.is_ascii_alphanumeric()) && nonce.len() >= 8);
        assert!(ring.nonce_is_fresh(&nonce, 1_000, 600));
        assert!(ring.nonce_is_fresh(&nonce, 1_600, 600));
        assert!(!ring.nonce_is_fresh(&nonce, 1_601, 600), "too old");
        assert!(!ring.nonce_is_fresh(&nonce, 999, 600), "from the future");
        assert!(!Keyring::new(b"other").nonce_is_fresh(&nonce, 1_000, 600));
        // Another time under this tag.
        let moved = format!("{:016x}{}", 1_500, &nonce[16..]);
        assert!(!ring.nonce_is_fresh(&moved, 1_500, 600));
        for bad in ["", "zz", "00000000000003e8", &nonce[..20]] {
            assert!(!ring.nonce_is_fresh(bad, 1_000, 600), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn claims_round_trip_through_a_key(c in any::<[u8; 20]>(), t in any::<[u8; 32]>(),
            p in any::<[u8; 20]>(), h in any::<[u8; 20]>(), e in 1u64..) {
            let ring = Keyring::new(&t);
            let claims = Claims { collection: c.into(), token: U256::from_be_bytes(t),
                payer: p.into(), holder: h.into(), expires: e };
            prop_assert_eq!(ring.verify(&ring.issue(&claims), e - 1), Some(claims));
        }
    }
}
