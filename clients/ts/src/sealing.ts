/**
 * Sealed prompts and answers, byte-compatible with the Rust `sealing` crate
 * (`offchain/sealing/src/lib.rs`): HPKE (RFC 9180) base mode with
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20-Poly1305.
 *
 * ```text
 * sealed = 0x01 || enc (32 bytes) || ciphertext || tag (16 bytes)
 * info   = "compute-fi/v1/prompt" | "compute-fi/v1/answer"
 * aad    = prompt: chainId (u64 BE) || bridge (20 bytes) || model (u32 BE) || payer (20 bytes)
 *                  || requester (20 bytes) || requesterKey (32 bytes) || deadline (u64 BE)
 *          answer: chainId (u64 BE) || bridge (20 bytes) || request id (u64 BE)
 * ```
 *
 * A prompt is bound to the request it is sent in (payer, requester, the key
 * the answer is sealed to, deadline): copied into another request, it does
 * not open. `offchain/sealing/vectors/prompt-v1.json` holds a vector both
 * languages check.
 */
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { bytesToHex, hexToBytes, isAddress, isHex, type Address, type Hex } from "viem";

import { ComputeFiError } from "./errors.js";

/** The format version, the first byte of every sealed message. */
export const VERSION = 1;
/** Length of the encapsulated (ephemeral) key. */
export const ENC_LEN = 32;
/** Length of the AEAD tag. */
export const TAG_LEN = 16;
/** The smallest sealed message (an empty plaintext). */
export const MIN_SEALED_LEN = 1 + ENC_LEN + TAG_LEN;

/** What a sealed message holds; part of the HPKE `info`. */
export type Purpose = "prompt" | "answer";

const INFO: Record<Purpose, Uint8Array> = {
  prompt: new TextEncoder().encode("compute-fi/v1/prompt"),
  answer: new TextEncoder().encode("compute-fi/v1/answer"),
};

/** Why a message could not be sealed or opened (the Rust crate's `SealError`). */
export type SealErrorKind = "invalid-key" | "too-short" | "unknown-version" | "unopenable" | "seal-failed";

/** A sealing failure; `kind` says which. */
export class SealError extends ComputeFiError {
  override readonly name = "SealError";
  readonly kind: SealErrorKind;

  constructor(kind: SealErrorKind, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super("sealing", message, { context, cause });
    this.kind = kind;
  }
}

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

/** The platform's (WebCrypto) key pair type, as the HPKE library hands it out. */
type KeyPair = Awaited<ReturnType<typeof suite.kem.generateKeyPair>>;
type PublicKey = Awaited<ReturnType<typeof suite.kem.deserializePublicKey>>;

/** Bytes given as `0x` hex or as a `Uint8Array`. */
export type BytesLike = Hex | Uint8Array;

function bytes(value: BytesLike, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string" && isHex(value, { strict: true })) return hexToBytes(value);
  throw new ComputeFiError("input", `${what} is not 0x-prefixed hex or bytes`, { context: { [what]: value } });
}

function uintBytes(value: number | bigint, size: 4 | 8, what: string): Uint8Array {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << BigInt(size * 8)) {
    throw new ComputeFiError("input", `${what} ${n} does not fit in ${size * 8} bits`, { context: { [what]: n } });
  }
  const out = new Uint8Array(size);
  for (let i = size - 1, rest = n; i >= 0; i--, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

function addressBytes(address: Address, what: string): Uint8Array {
  if (!isAddress(address, { strict: false })) {
    throw new ComputeFiError("input", `${what} ${String(address)} is not an address`, { context: { [what]: address } });
  }
  return hexToBytes(address);
}

function bridgeBytes(bridge: Address): Uint8Array {
  return addressBytes(bridge, "bridge");
}

function keyBytes(key: BytesLike): Uint8Array {
  const out = bytes(key, "requesterKey");
  if (out.length !== 32) {
    throw new ComputeFiError("input", `requesterKey is 32 bytes, not ${out.length}`, { context: { length: out.length } });
  }
  return out;
}

/** Where a sealed message belongs on chain: the AEAD's associated data. */
export type SealContext = Uint8Array;

/** The request a prompt is sealed for: every field is in the bridge's `Requested` event (the Rust crate's `PromptPlace`). */
export interface PromptPlace {
  chainId: number | bigint;
  bridge: Address;
  model: number;
  /** Who pays for the request. */
  payer: Address;
  /** Who sends the request (`requester` in the `Requested` event). */
  requester: Address;
  /** The X25519 key the answer is sealed to (`requesterKey`). */
  requesterKey: BytesLike;
  /** The request's deadline, unix seconds. */
  deadline: number | bigint;
}

/** The context of a prompt sent in the request described by `place`. */
export function promptContext(place: PromptPlace): SealContext {
  return concat(
    uintBytes(place.chainId, 8, "chainId"),
    bridgeBytes(place.bridge),
    uintBytes(place.model, 4, "model"),
    addressBytes(place.payer, "payer"),
    addressBytes(place.requester, "requester"),
    keyBytes(place.requesterKey),
    uintBytes(place.deadline, 8, "deadline"),
  );
}

/** The context of the answer to request `id` on the bridge at `bridge` on chain `chainId`. */
export function answerContext(chainId: number | bigint, bridge: Address, id: bigint): SealContext {
  return concat(uintBytes(chainId, 8, "chainId"), bridgeBytes(bridge), uintBytes(id, 8, "id"));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An X25519 key pair: the secret half opens, the public half (a `bytes32` on chain) seals. */
export class Keypair {
  readonly #pair: KeyPair;
  /** The public key, as published on chain (`bytes32`). */
  readonly publicKey: Hex;

  private constructor(pair: KeyPair, publicKey: Hex) {
    this.#pair = pair;
    this.publicKey = publicKey;
  }

  /** A fresh key pair from the platform's randomness. */
  static async generate(): Promise<Keypair> {
    return Keypair.#from(await suite.kem.generateKeyPair());
  }

  /**
   * The key pair derived from a 32-byte seed (RFC 9180 `DeriveKeyPair`): the
   * same seed gives the same key pair here and in the Rust crate
   * (`Keypair::from_seed`).
   */
  static async fromSeed(seed: BytesLike): Promise<Keypair> {
    const ikm = bytes(seed, "seed");
    if (ikm.length !== 32) {
      throw new ComputeFiError("input", `a seed is 32 bytes, not ${ikm.length}`, { context: { length: ikm.length } });
    }
    return Keypair.#from(await suite.kem.deriveKeyPair(ikm));
  }

  static async #from(pair: KeyPair): Promise<Keypair> {
    const raw = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
    return new Keypair(pair, bytesToHex(raw));
  }

  /** Opens a message sealed to this key for `purpose` in `context`. */
  async open(purpose: Purpose, context: SealContext, sealed: BytesLike): Promise<Uint8Array> {
    const message = bytes(sealed, "sealed");
    if (message.length < MIN_SEALED_LEN) {
      throw new SealError(
        "too-short",
        `sealed message too short: ${message.length} bytes, at least ${MIN_SEALED_LEN} needed`,
        { length: message.length },
      );
    }
    if (message[0] !== VERSION) {
      throw new SealError("unknown-version", `unknown sealed-message version ${message[0]}`, { version: message[0] });
    }
    const enc = message.slice(1, 1 + ENC_LEN);
    const ciphertext = message.slice(1 + ENC_LEN);
    try {
      const plain = await suite.open({ recipientKey: this.#pair, enc, info: INFO[purpose] }, ciphertext, context);
      return new Uint8Array(plain);
    } catch (cause) {
      throw new SealError(
        "unopenable",
        "sealed message does not open: wrong key, purpose or context, or tampered",
        { purpose, publicKey: this.publicKey },
        cause,
      );
    }
  }

  /** Like {@link open}, decoding the plaintext as UTF-8 (invalid UTF-8 is an error, not replaced). */
  async openText(purpose: Purpose, context: SealContext, sealed: BytesLike): Promise<string> {
    const plain = await this.open(purpose, context, sealed);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(plain);
    } catch (cause) {
      throw new SealError("unopenable", "the opened message is not UTF-8 text", { purpose }, cause);
    }
  }
}

/** Seals `plaintext` (bytes, or text as UTF-8) to the X25519 public key `recipient` for `purpose` in `context`. */
export async function seal(
  recipient: BytesLike,
  purpose: Purpose,
  context: SealContext,
  plaintext: Uint8Array | string,
): Promise<Uint8Array> {
  const key = bytes(recipient, "recipient");
  if (key.length !== 32) {
    throw new SealError("invalid-key", "invalid X25519 public key", { length: key.length });
  }
  let publicKey: PublicKey;
  try {
    publicKey = await suite.kem.deserializePublicKey(key);
  } catch (cause) {
    throw new SealError("invalid-key", "invalid X25519 public key", { recipient: bytesToHex(key) }, cause);
  }
  const plain = typeof plaintext === "string" ? new TextEncoder().encode(plaintext) : plaintext;
  let sealed: Awaited<ReturnType<typeof suite.seal>>;
  try {
    sealed = await suite.seal({ recipientPublicKey: publicKey, info: INFO[purpose] }, plain, context);
  } catch (cause) {
    throw new SealError("seal-failed", "cannot seal to this key", { recipient: bytesToHex(key) }, cause);
  }
  return concat(Uint8Array.of(VERSION), new Uint8Array(sealed.enc), new Uint8Array(sealed.ct));
}
