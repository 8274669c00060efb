// A conversation paid by a session, against a worker's OpenAI-compatible
// API on a live chain, as offchain/worker/tests/it/sessions.rs sets it up:
//
//   the client opens a session naming the worker -> two streamed turns, each
//   answer's usage signed with the session key and sent with the next
//   request -> the client closes with its newest receipt.
//
// The Rust test answers the close from the worker's side and checks the
// settlement against what this writes (COMPUTE_FI_REPORT).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { test } from "node:test";

import { type Address, type Hex } from "viem";

import {
  closeSession,
  connect,
  loadDeployments,
  openSession,
  SessionChat,
  sessionPhase,
  withSigner,
  type Message,
} from "../src/index.js";

const ENV = ["RPC_URL", "DEPLOYMENTS", "CLIENT_KEY", "API_URL", "MODEL_NAME", "PROVIDER", "REPORT"] as const;
const env = Object.fromEntries(ENV.map((k) => [k, process.env[`COMPUTE_FI_${k}`]])) as Record<
  (typeof ENV)[number],
  string | undefined
>;
const missing = ENV.filter((k) => env[k] === undefined);

function must(name: (typeof ENV)[number]): string {
  const value = env[name];
  if (value === undefined) throw new Error(`COMPUTE_FI_${name} is not set`);
  return value;
}

test(
  "open a session, chat two streamed turns signing receipts, close with the newest",
  { skip: missing.length > 0 ? `set ${missing.map((k) => `COMPUTE_FI_${k}`).join(", ")}` : false, timeout: 120_000 },
  async () => {
    const deployments = await loadDeployments(must("DEPLOYMENTS"));
    const base = await connect({ rpcUrl: must("RPC_URL"), deployments, pollingIntervalMs: 50 });
    const cf = withSigner(base, must("CLIENT_KEY") as Hex, 50);
    const payer = cf.walletClient!.account.address;
    const session = await openSession(cf, {
      payer,
      model: 1,
      cap: 10n ** 15n,
      provider: must("PROVIDER") as Address,
    });
    assert.equal(await sessionPhase(cf, session.id), 1, "open until the worker takes it");

    const chat = new SessionChat(cf, session, must("API_URL"), must("MODEL_NAME"));
    const messages: Message[] = [{ role: "user", content: "Name one colour." }];
    const pieces: string[] = [];
    const first = await chat.send(messages, 12, (p) => pieces.push(p));
    assert.ok(first.text.length > 0);
    assert.equal(pieces.join(""), first.text, "streamed in pieces");
    assert.equal(first.receipt.seq, 1n);
    messages.push({ role: "assistant", content: first.text }, { role: "user", content: "And another?" });
    const second = await chat.send(messages, 12);
    assert.equal(second.receipt.seq, 2n);
    assert.ok(second.receipt.cost > first.receipt.cost, "receipts are cumulative");
    assert.equal(await sessionPhase(cf, session.id), 2, "the worker accepted it");

    await closeSession(cf, session.id, chat.receipt);
    assert.equal(await sessionPhase(cf, session.id), 3, "closing: the worker may answer");
    await writeFile(
      must("REPORT"),
      JSON.stringify({ id: `${session.id}`, seq: `${second.receipt.seq}`, cost: `${second.receipt.cost}`, texts: [first.text, second.text] }),
    );
  },
);
