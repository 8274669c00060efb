import { parseEventLogs, zeroAddress, type Address, type Hex, type LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { inferenceSessionsAbi } from "./abis.js";
import { signer, submit, type ComputeFi } from "./client.js";
import { ComputeFiError, wrap } from "./errors.js";

/** The header naming the session that pays for a request. */
export const SESSION_HEADER = "X-Computefi-Session";
/** The header carrying the newest signed receipt. */
export const RECEIPT_HEADER = "X-Computefi-Receipt";

/** What a session is opened for. */
export interface OpenSessionOptions {
  /** Whose credits pay: the caller itself, or a payer that approved or sponsors it. */
  payer: Address;
  /** The model's registry id. */
  model: number;
  /** The most the session may spend, in credits (escrowed at open). */
  cap: bigint;
  /** The provider to serve it; default any that accepts. */
  provider?: Address;
  /** How long it runs, in seconds from the chain's time; default 1 hour. */
  durationSeconds?: number;
  /** The key NFT the caller holds when it opens under the payer's policy. */
  key?: { collection: Address; token: bigint };
}

/** An open session and the key that signs its receipts (kept by the client only). */
export interface Session {
  id: bigint;
  payer: Address;
  /** The session key: an ordinary secp256k1 key, not the payer's wallet. */
  key: LocalAccount;
  txHash: Hex;
}

/** Cumulative usage, as the worker reports it after each answer (`computefi`). */
export interface Usage {
  session: bigint;
  seq: bigint;
  tokensIn: bigint;
  tokensOut: bigint;
  cost: bigint;
}

/** A receipt signed by the session key. */
export interface SignedReceipt extends Usage {
  signature: Hex;
}

/**
 * Opens a session: escrows `cap` of the payer's credits for `model`, with a
 * fresh session key (or `sessionKey`). Throws `ComputeFiError` with the
 * contract's error (`QuotaExceeded`, `NotAuthorized`, ...) when refused.
 */
export async function openSession(
  cf: ComputeFi,
  options: OpenSessionOptions,
  sessionKey: Hex = generatePrivateKey(),
): Promise<Session> {
  const wallet = signer(cf, "opening a session");
  const key = privateKeyToAccount(sessionKey);
  const block = await cf.publicClient.getBlock();
  const expires = block.timestamp + BigInt(options.durationSeconds ?? 3_600);
  const args = [
    options.model,
    options.payer,
    options.provider ?? zeroAddress,
    options.cap,
    expires,
    key.address,
    options.key?.collection ?? zeroAddress,
    options.key?.token ?? 0n,
  ] as const;
  const sessions = cf.core.sessions;
  const receipt = await submit(cf, "opening a session", () =>
    wallet.writeContract({ address: sessions, abi: inferenceSessionsAbi, functionName: "open", args }),
  );
  const [opened] = parseEventLogs({ abi: inferenceSessionsAbi, logs: receipt.logs, eventName: "SessionOpened" });
  if (opened === undefined) {
    throw new ComputeFiError("chain", `no SessionOpened event in ${receipt.transactionHash}`);
  }
  return { id: opened.args.id, payer: options.payer, key, txHash: receipt.transactionHash };
}

/** The EIP-712 typed data of a receipt for the sessions program of `cf`. */
export function receiptTypedData(cf: ComputeFi, usage: Usage) {
  return {
    domain: { name: "Compute-Fi Sessions", version: "1", chainId: cf.chain.id, verifyingContract: cf.core.sessions },
    types: {
      Receipt: [
        { name: "session", type: "uint64" },
        { name: "seq", type: "uint64" },
        { name: "tokensIn", type: "uint64" },
        { name: "tokensOut", type: "uint64" },
        { name: "cost", type: "uint256" },
      ],
    },
    primaryType: "Receipt",
    message: usage,
  } as const;
}

/** Signs `usage` with the session key. */
export async function signReceipt(cf: ComputeFi, session: Session, usage: Usage): Promise<SignedReceipt> {
  if (usage.session !== session.id) {
    throw new ComputeFiError("input", `usage of session ${usage.session} signed for session ${session.id}`);
  }
  const signature = await session.key.signTypedData(receiptTypedData(cf, usage));
  return { ...usage, signature };
}

/** The `X-Computefi-Receipt` header value of a signed receipt. */
export function receiptHeader(r: SignedReceipt): string {
  return `${r.seq}:${r.tokensIn}:${r.tokensOut}:${r.cost}:${r.signature}`;
}

/** Reads a worker's `computefi` object. */
export function usageOf(value: unknown): Usage {
  const v = value as Record<string, unknown> | undefined;
  const field = (k: string) => {
    const x = v?.[k];
    if (typeof x !== "number" && typeof x !== "string") {
      throw new ComputeFiError("chain", `the answer's usage has no ${k}: ${JSON.stringify(value)}`);
    }
    return BigInt(x);
  };
  return { session: field("session"), seq: field("seq"), tokensIn: field("tokensIn"), tokensOut: field("tokensOut"), cost: field("cost") };
}

/** A chat message in OpenAI's format. */
export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One answer in a session. */
export interface Answer {
  text: string;
  /** The usage after it, signed: what the next request carries. */
  receipt: SignedReceipt;
}

/**
 * A conversation paid by one session against a worker's (or a gateway's)
 * OpenAI-compatible API at `baseUrl` (`.../v1`): each answer is streamed,
 * then its usage signed, handed to the worker at once and sent with the next
 * request.
 */
export class SessionChat {
  private latest?: SignedReceipt;

  constructor(
    private readonly cf: ComputeFi,
    readonly session: Session,
    private readonly baseUrl: string,
    private readonly model: string,
  ) {}

  /** The newest receipt signed (what closing presents). */
  get receipt(): SignedReceipt | undefined {
    return this.latest;
  }

  /** Asks for the next answer to `messages`, calling `onText` with each piece. */
  async send(messages: readonly Message[], maxTokens: number, onText?: (piece: string) => void): Promise<Answer> {
    const headers: Record<string, string> = { "Content-Type": "application/json", [SESSION_HEADER]: `${this.session.id}` };
    if (this.latest !== undefined) headers[RECEIPT_HEADER] = receiptHeader(this.latest);
    const body = JSON.stringify({ model: this.model, messages, max_tokens: maxTokens, stream: true });
    let reply: Response;
    try {
      reply = await fetch(`${this.baseUrl}/chat/completions`, { method: "POST", headers, body });
    } catch (cause) {
      throw wrap(`reaching ${this.baseUrl}`, cause, { baseUrl: this.baseUrl });
    }
    if (!reply.ok) {
      const text = await reply.text();
      const kind = reply.status === 402 ? "funds" : "chain";
      throw new ComputeFiError(kind, `the API answered ${reply.status}: ${text}`, { context: { status: reply.status } });
    }
    let text = "";
    let usage: unknown;
    for await (const data of sseData(reply)) {
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; computefi?: unknown; error?: unknown };
      if (chunk.error !== undefined) throw new ComputeFiError("chain", `the answer failed: ${JSON.stringify(chunk.error)}`);
      const piece = chunk.choices?.[0]?.delta?.content;
      if (piece) {
        text += piece;
        onText?.(piece);
      }
      if (chunk.computefi !== undefined) usage = chunk.computefi;
    }
    this.latest = await signReceipt(this.cf, this.session, usageOf(usage));
    await this.handOver(this.latest);
    return { text, receipt: this.latest };
  }

  /**
   * Hands the receipt to the worker at once (`POST /v1/sessions/<id>/receipt`),
   * so that it holds the last answer's receipt even if no request follows.
   * Best effort: an API without the route (a gateway) keeps the receipt for
   * the next request, which carries it anyway.
   */
  private async handOver(receipt: SignedReceipt): Promise<void> {
    const headers = { [RECEIPT_HEADER]: receiptHeader(receipt) };
    try {
      await fetch(`${this.baseUrl}/sessions/${this.session.id}/receipt`, { method: "POST", headers });
    } catch {
      // The next request carries the receipt.
    }
  }
}

/** The `data:` payloads of a server-sent event stream as they arrive, without `[DONE]`. */
async function* sseData(reply: Response): AsyncGenerator<string> {
  if (reply.body === null) return;
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of reply.body) {
    pending += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, "");
      pending = pending.slice(end + 1);
      if (line.startsWith("data: ") && line !== "data: [DONE]") yield line.slice("data: ".length);
    }
  }
}

/**
 * Closes a session with the newest receipt (none: agree with what the other
 * side presented, or close a session nobody accepted). The first close
 * opens the challenge window; a close answering the other side's settles.
 */
export async function closeSession(cf: ComputeFi, id: bigint, receipt?: SignedReceipt): Promise<Hex> {
  const wallet = signer(cf, "closing a session");
  const r = receipt ?? { seq: 0n, tokensIn: 0n, tokensOut: 0n, cost: 0n, signature: "0x" as Hex };
  const args = [id, r.seq, r.tokensIn, r.tokensOut, r.cost, r.signature] as const;
  const done = await submit(cf, `closing session ${id}`, () =>
    wallet.writeContract({ address: cf.core.sessions, abi: inferenceSessionsAbi, functionName: "close", args }),
  );
  return done.transactionHash;
}

/** Settles a session whose challenge window is over (anyone may). */
export async function finalizeSession(cf: ComputeFi, id: bigint): Promise<Hex> {
  const wallet = signer(cf, "finalizing a session");
  const done = await submit(cf, `finalizing session ${id}`, () =>
    wallet.writeContract({ address: cf.core.sessions, abi: inferenceSessionsAbi, functionName: "finalize", args: [id] }),
  );
  return done.transactionHash;
}

/** A session's phase: 1 open, 2 active, 3 closing, 4 settled (0: none). */
export async function sessionPhase(cf: ComputeFi, id: bigint): Promise<number> {
  const s = await cf.publicClient.readContract({
    address: cf.core.sessions,
    abi: inferenceSessionsAbi,
    functionName: "session",
    args: [id],
  });
  return s[5];
}
