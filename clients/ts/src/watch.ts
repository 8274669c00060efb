import { setTimeout as sleep } from "node:timers/promises";

import type { Address, Hex } from "viem";

import { oracleBridgeAbi } from "./abis.js";
import type { ComputeFi } from "./client.js";
import { attempt, ComputeFiError } from "./errors.js";
import { answerContext, type Keypair } from "./sealing.js";

/** A request's status as the bridge reports it (`result`, `requestOf`, `Ended`). */
export type RequestStatus = "none" | "open" | "settled" | "refunded" | "disputed";

const STATUS: readonly RequestStatus[] = ["none", "open", "settled", "refunded", "disputed"];

/** The status named by the bridge's code; an unknown code is an error, not a guess. */
export function requestStatus(code: number): RequestStatus {
  const status = STATUS[code];
  if (status === undefined) {
    throw new ComputeFiError("chain", `the bridge reported an unknown request status ${code}`, { context: { code } });
  }
  return status;
}

/** One provider's delivery (`Fulfilled`). */
export interface Fulfilment {
  slot: number;
  provider: Address;
  outputHash: Hex;
  inputTokens: number;
  outputTokens: number;
  /** The inline output (sealed when the request was): `0x` when given by URI. */
  output: Hex;
  outputUri: Hex;
  txHash: Hex;
}

/** How a request ended. */
export interface Outcome {
  id: bigint;
  status: Exclude<RequestStatus, "none" | "open">;
  /** The agreed output's hash (zero when refunded). */
  outputHash: Hex;
  /** The inline output from `output(id)`: sealed when the request was; `0x` when refunded or given by URI. */
  output: Hex;
  /** What each agreeing provider earned and what went back to the payer (from `Ended`, when seen). */
  costPerProvider?: bigint;
  refunded?: bigint;
  /** The transaction that ended it, when the `Ended` event was seen. */
  endedIn?: Hex;
  /** The deliveries seen while watching. */
  fulfilments: Fulfilment[];
}

export interface WatchOptions {
  /** The request id (`ask(...).id`). */
  id: bigint;
  /** Where to start reading events: the request's block (`ask(...).blockNumber`); default 0. */
  fromBlock?: bigint;
  /** Give up after this long; default 5 minutes. */
  timeoutMs?: number;
  /** How often to poll; default the client's polling interval. */
  pollIntervalMs?: number;
  /** The most blocks one `eth_getLogs` spans (public RPCs cap it); default 5000. */
  maxBlockRange?: bigint;
  /** Stops waiting (the promise rejects with a `timeout` error). */
  signal?: AbortSignal;
  /** Called once per delivery as it is seen. */
  onFulfilled?: (f: Fulfilment) => void;
}

/**
 * Waits until request `id` ends (settled, disputed or refunded) and returns
 * the outcome with the output read from `output(id)`.
 *
 * Polls `eth_getLogs` in bounded ranges from `fromBlock` for the request's
 * `Fulfilled` and `Ended` events (works on nodes without filter support,
 * such as the devnode, and never misses events mined before the call), and
 * also checks the request's status, so a request that ended before
 * `fromBlock` is still reported.
 */
export async function waitForResult(cf: ComputeFi, options: WatchOptions): Promise<Outcome> {
  const { id } = options;
  const bridge = cf.core.bridge;
  const context = { bridge, id };
  const timeoutMs = options.timeoutMs ?? 300_000;
  const pollMs = options.pollIntervalMs ?? cf.publicClient.pollingInterval;
  const range = options.maxBlockRange ?? 5_000n;
  const deadline = Date.now() + timeoutMs;
  const fulfilments: Fulfilment[] = [];
  let cursor = options.fromBlock ?? 0n;

  if ((await statusOf(cf, id)) === "none") {
    throw new ComputeFiError("input", `the bridge has no request ${id}`, { context });
  }

  for (;;) {
    if (options.signal?.aborted) {
      throw new ComputeFiError("timeout", `stopped waiting for request ${id}`, { context, cause: options.signal.reason });
    }
    // The status first, then the head: a request that ended by `status`
    // ended at or below `head`, so its events are in the range read below.
    const status = await statusOf(cf, id);
    const head = await attempt("eth_blockNumber", context, () => cf.publicClient.getBlockNumber({ cacheTime: 0 }));
    while (cursor <= head) {
      const toBlock = cursor + range - 1n < head ? cursor + range - 1n : head;
      const span = { fromBlock: cursor, toBlock };
      const [fulfilled, ended] = await attempt("reading the bridge's events", { ...context, ...span }, () =>
        Promise.all([
          cf.publicClient.getContractEvents({ address: bridge, abi: oracleBridgeAbi, eventName: "Fulfilled", args: { id }, ...span }),
          cf.publicClient.getContractEvents({ address: bridge, abi: oracleBridgeAbi, eventName: "Ended", args: { id }, ...span }),
        ]),
      );
      for (const log of fulfilled) {
        const a = log.args;
        if (a.slot === undefined || a.provider === undefined || a.outputHash === undefined) continue;
        const f: Fulfilment = {
          slot: a.slot,
          provider: a.provider,
          outputHash: a.outputHash,
          inputTokens: a.inputTokens ?? 0,
          outputTokens: a.outputTokens ?? 0,
          output: a.output ?? "0x",
          outputUri: a.outputUri ?? "0x",
          txHash: log.transactionHash,
        };
        fulfilments.push(f);
        options.onFulfilled?.(f);
      }
      const end = ended[0];
      if (end !== undefined && end.args.status !== undefined) {
        const outcome = await finish(cf, id, fulfilments);
        if (end.args.costPerProvider !== undefined) outcome.costPerProvider = end.args.costPerProvider;
        if (end.args.refunded !== undefined) outcome.refunded = end.args.refunded;
        outcome.endedIn = end.transactionHash;
        return outcome;
      }
      cursor = toBlock + 1n;
    }
    // Ended, but not in the blocks read (before `fromBlock`): the views still tell.
    if (status !== "open") return finish(cf, id, fulfilments);
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new ComputeFiError("timeout", `request ${id} is still open after ${timeoutMs} ms`, {
        context: { ...context, block: head, fulfilments: fulfilments.length },
      });
    }
    try {
      await sleep(Math.min(pollMs, left), undefined, options.signal ? { signal: options.signal } : {});
    } catch (cause) {
      throw new ComputeFiError("timeout", `stopped waiting for request ${id}`, { context, cause });
    }
  }
}

async function statusOf(cf: ComputeFi, id: bigint): Promise<RequestStatus> {
  const [code] = await attempt("bridge.result", { id }, () =>
    cf.publicClient.readContract({ address: cf.core.bridge, abi: oracleBridgeAbi, functionName: "result", args: [id] }),
  );
  return requestStatus(code);
}

async function finish(cf: ComputeFi, id: bigint, fulfilments: Fulfilment[]): Promise<Outcome> {
  const bridge = cf.core.bridge;
  const [[code, outputHash], output] = await attempt("reading the result", { bridge, id }, () =>
    Promise.all([
      cf.publicClient.readContract({ address: bridge, abi: oracleBridgeAbi, functionName: "result", args: [id] }),
      cf.publicClient.readContract({ address: bridge, abi: oracleBridgeAbi, functionName: "output", args: [id] }),
    ]),
  );
  const status = requestStatus(code);
  if (status === "none" || status === "open") {
    throw new ComputeFiError("chain", `request ${id} ended by its events but the bridge reports it ${status}`, {
      context: { bridge, id, code },
    });
  }
  return { id, status, outputHash, output, fulfilments };
}

/** Opens a sealed answer to request `id` with the requester's key (from `ask(...).requesterKey`). */
export async function openAnswer(cf: ComputeFi, key: Keypair, id: bigint, sealed: Hex | Uint8Array): Promise<string> {
  return key.openText("answer", answerContext(cf.chain.id, cf.core.bridge, id), sealed);
}
