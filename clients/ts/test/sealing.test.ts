// Sealing: round trips and refusals like the Rust crate's tests, and the
// cross-language checks: the prompt vector committed with the Rust crate
// (offchain/sealing/vectors/prompt-v1.json), and, with COMPUTE_FI_VECTORS
// set to a directory (done by deploy/tests/ts_client.rs), opening
// `rust.json` (sealed by the Rust crate) and writing `ts.json` (sealed
// here, for the Rust crate to open).
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";

import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";

import {
  answerContext,
  Keypair,
  MIN_SEALED_LEN,
  promptContext,
  seal,
  SealError,
  VERSION,
  type PromptPlace,
} from "../src/index.js";

const BRIDGE: Address = `0x${"b7".repeat(20)}`;
const CHAIN = 412_346;
/** The place of the Rust crate's tests (`place()` in offchain/sealing/src/tests.rs). */
const PLACE: PromptPlace = {
  chainId: CHAIN,
  bridge: BRIDGE,
  model: 1,
  payer: `0x${"a1".repeat(20)}`,
  requester: `0x${"a2".repeat(20)}`,
  requesterKey: `0x${"a3".repeat(32)}`,
  deadline: 1_900_000_000,
};

async function rejectsWith(p: Promise<unknown>, kind: SealError["kind"]): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof SealError && e.kind === kind && e.code === "sealing");
}

test("a sealed prompt opens with the provider's key only", async () => {
  const provider = await Keypair.generate();
  const context = promptContext(PLACE);
  const sealed = await seal(provider.publicKey, "prompt", context, "What is yield?");
  assert.equal(sealed[0], VERSION);
  assert.equal(sealed.length, MIN_SEALED_LEN + "What is yield?".length);
  assert.equal(await provider.openText("prompt", context, sealed), "What is yield?");
  const someone = await Keypair.generate();
  await rejectsWith(someone.open("prompt", context, sealed), "unopenable");
});

test("a sealed message is bound to its purpose and place", async () => {
  const key = await Keypair.fromSeed(new Uint8Array(32).fill(7));
  const answer = answerContext(CHAIN, BRIDGE, 42n);
  const sealed = await seal(key.publicKey, "answer", answer, "42");
  assert.equal(await key.openText("answer", answer, sealed), "42");
  await rejectsWith(key.open("prompt", answer, sealed), "unopenable");
  for (const other of [
    answerContext(CHAIN, BRIDGE, 43n),
    answerContext(1, BRIDGE, 42n),
    answerContext(CHAIN, `0x${"00".repeat(20)}`, 42n),
    promptContext({ ...PLACE, model: 42 }),
  ]) {
    await rejectsWith(key.open("answer", other, sealed), "unopenable");
  }
});

test("tampered or malformed messages are rejected", async () => {
  const key = await Keypair.generate();
  const context = promptContext(PLACE);
  const sealed = await seal(key.publicKey, "prompt", context, "secret");
  for (const at of [1, 32, 33, sealed.length - 1]) {
    const tampered = sealed.slice();
    tampered[at] = (tampered[at] ?? 0) ^ 1;
    await rejectsWith(key.open("prompt", context, tampered), "unopenable");
  }
  const otherVersion = sealed.slice();
  otherVersion[0] = 2;
  await rejectsWith(key.open("prompt", context, otherVersion), "unknown-version");
  await rejectsWith(key.open("prompt", context, sealed.slice(0, MIN_SEALED_LEN - 1)), "too-short");
  await rejectsWith(seal("0x1234", "prompt", context, "x"), "invalid-key");
  await assert.rejects(key.open("prompt", context, "not hex" as Hex), { code: "input" });
});

test("contexts are laid out as in the Rust crate", () => {
  const prompt = bytesToHex(promptContext(PLACE));
  assert.equal(
    prompt,
    `0x${"0000000000064aba"}${"b7".repeat(20)}00000001${"a1".repeat(20)}${"a2".repeat(20)}${"a3".repeat(32)}00000000713fb300`,
  );
  const answer = bytesToHex(answerContext(CHAIN, BRIDGE, 2n ** 64n - 1n));
  assert.equal(answer, `0x${"0000000000064aba"}${"b7".repeat(20)}${"ff".repeat(8)}`);
  assert.throws(() => answerContext(CHAIN, BRIDGE, 2n ** 64n), { code: "input" });
  assert.throws(() => promptContext({ ...PLACE, model: 2 ** 32 }), { code: "input" });
  assert.throws(() => promptContext({ ...PLACE, deadline: 2n ** 64n }), { code: "input" });
  assert.throws(() => promptContext({ ...PLACE, payer: "0x1234" }), { code: "input" });
  assert.throws(() => promptContext({ ...PLACE, requesterKey: "0x1234" }), { code: "input" });
});

test("seeds give stable keys and sealing is randomised", async () => {
  const a = await Keypair.fromSeed(new Uint8Array(32).fill(1));
  const b = await Keypair.fromSeed(new Uint8Array(32).fill(1));
  const c = await Keypair.fromSeed(new Uint8Array(32).fill(2));
  assert.equal(a.publicKey, b.publicKey);
  assert.notEqual(a.publicKey, c.publicKey);
  const context = promptContext(PLACE);
  const once = await seal(a.publicKey, "prompt", context, "same");
  const twice = await seal(a.publicKey, "prompt", context, "same");
  assert.notDeepEqual(once, twice);
  await assert.rejects(Keypair.fromSeed(new Uint8Array(31)), { code: "input" });
});

/** What deploy/tests/ts_client.rs writes to `rust.json`. */
interface RustVectors extends Omit<PromptPlace, "chainId" | "deadline"> {
  seed: Hex;
  publicKey: Hex;
  chainId: number;
  deadline: number;
  id: string;
  prompt: { plaintext: Hex; sealed: Hex };
  answer: { plaintext: Hex; sealed: Hex };
}

const vectors = process.env["COMPUTE_FI_VECTORS"];

test(
  "cross-language: opens what the Rust crate sealed, seals what it must open",
  { skip: vectors === undefined ? "COMPUTE_FI_VECTORS is not set (deploy/tests/ts_client.rs sets it)" : false },
  async () => {
    const dir = vectors ?? "";
    const rust = JSON.parse(await readFile(join(dir, "rust.json"), "utf8")) as RustVectors;
    const key = await Keypair.fromSeed(rust.seed);
    assert.equal(key.publicKey, rust.publicKey, "RFC 9180 DeriveKeyPair agrees with the Rust crate");
    const prompt = promptContext(rust);
    const answer = answerContext(rust.chainId, rust.bridge, BigInt(rust.id));
    assert.equal(bytesToHex(await key.open("prompt", prompt, rust.prompt.sealed)), rust.prompt.plaintext);
    assert.equal(bytesToHex(await key.open("answer", answer, rust.answer.sealed)), rust.answer.plaintext);
    // Purpose and place are bound the same way on both sides.
    await rejectsWith(key.open("answer", prompt, rust.prompt.sealed), "unopenable");

    const plaintexts = { prompt: "sealed in TypeScript: a prompt ✓", answer: "sealed in TypeScript: an answer ✓" };
    const out = {
      prompt: {
        plaintext: bytesToHex(new TextEncoder().encode(plaintexts.prompt)),
        sealed: bytesToHex(await seal(hexToBytes(rust.publicKey), "prompt", prompt, plaintexts.prompt)),
      },
      answer: {
        plaintext: bytesToHex(new TextEncoder().encode(plaintexts.answer)),
        sealed: bytesToHex(await seal(rust.publicKey, "answer", answer, plaintexts.answer)),
      },
    };
    await writeFile(join(dir, "ts.json"), JSON.stringify(out, null, 2));
  },
);

test("m3: a prompt copied into another request does not open", async () => {
  const provider = await Keypair.fromSeed(new Uint8Array(32).fill(5));
  const sealed = await seal(provider.publicKey, "prompt", promptContext(PLACE), "Alice's secret");
  assert.equal(await provider.openText("prompt", promptContext(PLACE), sealed), "Alice's secret");
  const other: Address = `0x${"ee".repeat(20)}`;
  for (const elsewhere of [
    { ...PLACE, requester: other },
    { ...PLACE, payer: other },
    { ...PLACE, requesterKey: `0x${"ee".repeat(32)}` as Hex },
    { ...PLACE, deadline: 1_900_000_001 },
  ]) {
    await rejectsWith(provider.open("prompt", promptContext(elsewhere), sealed), "unopenable");
  }
});

/** offchain/sealing/vectors/prompt-v1.json, written by the Rust crate. */
interface PromptVector {
  seed: Hex;
  publicKey: Hex;
  chainId: number;
  bridge: Address;
  model: number;
  payer: Address;
  requester: Address;
  requesterKey: Hex;
  deadline: number;
  context: Hex;
  plaintext: Hex;
  sealed: Hex;
}

test("m3: the prompt vector of the Rust crate gives the same context and opens", async () => {
  // dist/test/ -> the repository root.
  const file = new URL("../../../../offchain/sealing/vectors/prompt-v1.json", import.meta.url);
  const v = JSON.parse(await readFile(file, "utf8")) as PromptVector;
  const key = await Keypair.fromSeed(v.seed);
  assert.equal(key.publicKey, v.publicKey);
  const context = promptContext(v);
  assert.equal(bytesToHex(context), v.context);
  assert.equal(bytesToHex(await key.open("prompt", context, v.sealed)), v.plaintext);
  await rejectsWith(key.open("prompt", promptContext({ ...v, deadline: v.deadline + 1 }), v.sealed), "unopenable");
});
