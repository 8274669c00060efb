//! Sealed prompts and answers for the oracle bridge.
//!
//! A request whose `encrypted` flag is set carries its prompt sealed to the
//! provider's X25519 key (published in the inference registry), and names a
//! requester key that the answer is sealed to. Everything on chain is
//! public, so only the holder of the matching secret key can read either.
//!
//! # Scheme
//! HPKE ([RFC 9180]) in base mode with the suite
//! `DHKEM(X25519, HKDF-SHA256)` (KEM 0x0020), `HKDF-SHA256` (KDF 0x0001) and
//! `ChaCha20-Poly1305` (AEAD 0x0003), through the `hpke` crate.
//!
//! # Format
//! ```text
//! sealed = version (1 byte, 0x01) || enc (32 bytes: the ephemeral X25519 key) || ciphertext || tag (16 bytes)
//! ```
//! The HPKE `info` names what is sealed ([`Purpose`]) so that a sealed
//! prompt can never be opened as an answer or the other way round, and the
//! AEAD's associated data binds it to its place on chain ([`Context`]): a
//! prompt to the chain, the bridge, the model, the payer, the requester,
//! the requester key and the deadline ([`PromptPlace`]); an answer to the
//! chain, the bridge and the request id. A sealed message copied anywhere
//! else fails to open. A copy into a request with the very same binding can
//! only come from the requester itself; providers refuse an `enc` seen
//! before ([`enc_of`]).
//!
//! [RFC 9180]: https://www.rfc-editor.org/rfc/rfc9180

use hpke::{
    aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem as _,
    OpModeR, OpModeS, Serializable,
};

type Kem = X25519HkdfSha256;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;

/// The format version, the first byte of every sealed message.
pub const VERSION: u8 = 1;
/// Length of the encapsulated (ephemeral) key.
pub const ENC_LEN: usize = 32;
/// Length of the AEAD tag.
pub const TAG_LEN: usize = 16;
/// The smallest sealed message (an empty plaintext).
pub const MIN_SEALED_LEN: usize = 1 + ENC_LEN + TAG_LEN;

/// What a sealed message holds; part of the HPKE `info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A prompt, sealed to a provider's key.
    Prompt,
    /// An answer, sealed to the requester's key.
    Answer,
    /// A community AI's private instructions, sealed to a provider's key.
    Instructions,
}

impl Purpose {
    fn info(self) -> &'static [u8] {
        match self {
            Self::Prompt => b"compute-fi/v1/prompt",
            Self::Answer => b"compute-fi/v1/answer",
            Self::Instructions => b"compute-fi/v1/instructions",
        }
    }
}

/// Everything a sealed prompt is bound to: where it is sent and the request
/// it belongs to, all of which the provider reads from the bridge's
/// `Requested` event.
///
/// Binding the requester, the payer and the requester key means a prompt
/// copied into another request (whose answer would be sealed to someone
/// else's key, or paid by someone else) does not open; the deadline ties it
/// to one request of that requester. The HPKE `enc`, fresh per seal, is the
/// nonce: a provider refuses an `enc` it has already seen in another request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PromptPlace {
    /// The chain id.
    pub chain_id: u64,
    /// The oracle bridge.
    pub bridge: [u8; 20],
    /// The model asked.
    pub model: u32,
    /// Who pays for the request.
    pub payer: [u8; 20],
    /// Who sends the request (`requester` in the `Requested` event).
    pub requester: [u8; 20],
    /// The X25519 key the answer is sealed to (`requesterKey`).
    pub requester_key: [u8; 32],
    /// The request's deadline (unix seconds).
    pub deadline: u64,
}

/// Length of a prompt's associated data ([`Context::prompt`]).
pub const PROMPT_CONTEXT_LEN: usize = 8 + 20 + 4 + 20 + 20 + 32 + 8;

/// Where a sealed message belongs on chain; the AEAD's associated data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context(Vec<u8>);

impl Context {
    /// A prompt for the request described by `place`:
    /// `chain_id (u64 BE) || bridge || model (u32 BE) || payer || requester
    /// || requester_key || deadline (u64 BE)`. Every field has a fixed
    /// width, so no two places give the same bytes.
    pub fn prompt(place: &PromptPlace) -> Self {
        let bytes = [
            &place.chain_id.to_be_bytes()[..],
            &place.bridge,
            &place.model.to_be_bytes(),
            &place.payer,
            &place.requester,
            &place.requester_key,
            &place.deadline.to_be_bytes(),
        ]
        .concat();
        debug_assert_eq!(bytes.len(), PROMPT_CONTEXT_LEN);
        Self(bytes)
    }

    /// The answer to request `id` on the bridge at `bridge` on chain `chain_id`.
    pub fn answer(chain_id: u64, bridge: [u8; 20], id: u64) -> Self {
        Self([&chain_id.to_be_bytes()[..], &bridge, &id.to_be_bytes()].concat())
    }

    /// The instructions of AI `id` of the AI NFT at `nft` on chain
    /// `chain_id`: sealed instructions copied to another AI do not open.
    pub fn instructions(chain_id: u64, nft: [u8; 20], id: [u8; 32]) -> Self {
        Self([&chain_id.to_be_bytes()[..], &nft, &id].concat())
    }

    /// The bytes bound into the seal.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Why a message could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// A public key is not a valid X25519 point encoding.
    #[error("invalid X25519 public key")]
    InvalidKey,
    /// The message is shorter than a version, a key and a tag.
    #[error("sealed message too short: {0} bytes, at least {MIN_SEALED_LEN} needed")]
    TooShort(usize),
    /// The message was sealed with another format version.
    #[error("unknown sealed-message version {0}")]
    UnknownVersion(u8),
    /// Wrong key, wrong purpose, wrong context, or tampered bytes.
    #[error("sealed message does not open: wrong key, purpose or context, or tampered")]
    Unopenable,
    /// Key encapsulation failed (a bad recipient key).
    #[error("cannot seal to this key")]
    SealFailed,
}

/// An X25519 key pair: the secret half opens, the public half (a `bytes32`
/// on chain) seals.
pub struct Keypair {
    secret: PrivateKey,
    public: [u8; 32],
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret half.
        f.debug_struct("Keypair").field("public", &self.public).finish_non_exhaustive()
    }
}

impl Keypair {
    /// A fresh key pair from the operating system's randomness.
    pub fn generate() -> Self {
        Self::from_parts(Kem::gen_keypair())
    }

    /// The key pair derived from a 32-byte seed (RFC 9180 `DeriveKeyPair`):
    /// a worker can keep one seed in its key file.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_parts(Kem::derive_keypair(seed))
    }

    fn from_parts((secret, public): (PrivateKey, <Kem as hpke::Kem>::PublicKey)) -> Self {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&public.to_bytes());
        Self { secret, public: bytes }
    }

    /// The public key, as published on chain.
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Opens a message sealed to this key for `purpose` in `context`.
    ///
    /// # Errors
    /// [`SealError::TooShort`], [`SealError::UnknownVersion`],
    /// [`SealError::Unopenable`].
    pub fn open(
        &self,
        purpose: Purpose,
        context: &Context,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        if sealed.len() < MIN_SEALED_LEN {
            return Err(SealError::TooShort(sealed.len()));
        }
        if sealed[0] != VERSION {
            return Err(SealError::UnknownVersion(sealed[0]));
        }
        let (enc, ciphertext) = sealed[1..].split_at(ENC_LEN);
        let enc =
            <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| SealError::Unopenable)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.secret,
            &enc,
            purpose.info(),
            ciphertext,
            context.as_bytes(),
        )
        .map_err(|_| SealError::Unopenable)
    }
}

/// The encapsulated key of a sealed message: fresh for every seal, so a
/// provider that has seen it before is looking at a copy. `None` when the
/// message is too short or of another version.
pub fn enc_of(sealed: &[u8]) -> Option<[u8; ENC_LEN]> {
    if sealed.len() < MIN_SEALED_LEN || sealed[0] != VERSION {
        return None;
    }
    sealed[1..=ENC_LEN].try_into().ok()
}

/// Seals `plaintext` to the X25519 public key `recipient` for `purpose` in
/// `context`.
///
/// # Errors
/// [`SealError::InvalidKey`], [`SealError::SealFailed`].
pub fn seal(
    recipient: &[u8; 32],
    purpose: Purpose,
    context: &Context,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let key =
        <Kem as hpke::Kem>::PublicKey::from_bytes(recipient).map_err(|_| SealError::InvalidKey)?;
    let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &key,
        purpose.info(),
        plaintext,
        context.as_bytes(),
    )
    .map_err(|_| SealError::SealFailed)?;
    let mut sealed = Vec::with_capacity(1 + ENC_LEN + ciphertext.len());
    sealed.push(VERSION);
    sealed.extend_from_slice(&enc.to_bytes());
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

#[cfg(test)]
mod tests;
