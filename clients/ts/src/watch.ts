import { setTimeout as sleep } from "node:timers/promises";

import type { Address, Hex } from "viem";

import { oracleBridgeAbi } from "./abis.js";
import type { ComputeFi } from "./client.js";
import { attempt, ComputeFiError } from "./errors.js";
import { named } from "./outputs.js";
import { answerContext, type Keypair } from "./sealing.js";

/**
 * A request's status as the bridge reports it (`result`, `requestOf`,
 * `Ended`). `disputed` is not final: the results disagreed and the escrow
 * stays held until the arbiter resolves it (then `settled` or `refunded`)
 * or anyone refunds it after the dispute window.
 */
export type RequestStatus = "none" | "open" | "settled" | "refunded" | "disputed";

/** The statuses a request ends in (its `Ended` event): each escrow ends exactly once. */
export type FinalStatus = "settled" | "refunded";

const STATUS: readonly RequestStatus[] = ["none", "open", "settled", "refunded", "disputed"];

/** The status named by the bridge's code; an unknown code is an error, not a guess. */
export function requestStatus(code: number): RequestStatus {
  const status = STATUS[code];
  if (status === undefined) {
    throw new ComputeFiError("chain", `the bridge reported an unknown request status ${code}`, { context: { code } });
  }
  return status;
}

/** Whether a request with `status` has ended (settled or refunded); `disputed` has not. */
export function isFinal(status: RequestStatus): status is FinalStatus {
  return status === "settled" || status === "refunded";
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
  /** The output's URI (UTF-8 bytes) as the provider gave it: set when given by URI, `0x` when none. */
  outputUri: Hex;
  txHash: Hex;
  blockNumber: bigint;
}

/** How a request ended. */
export interface Outcome {
  id: bigint;
  status: FinalStatus;
  /** The agreed output's hash (zero when refunded). */
  outputHash: Hex;
  /**
   * The agreed output, inline: the `output` of the request's `Fulfilled`
   * event that carries `outputHash` (the bridge keeps only the hash). Sealed
   * when the request was; `0x` when refunded or given by URI.
   */
  output: Hex;
  /** The agreed output's URI (UTF-8 bytes) as its delivery gave it (set when given by URI); `0x` when none or refunded. */
  outputUri: Hex;
  /** The delivery that carried the agreed output (settled only). */
  delivery?: Fulfilment;
  /** What the agreeing providers earned in all and what went back to the payer (from `Ended`, when seen). */
  paid?: bigint;
  refunded?: bigint;
  /** The transaction that ended it, when the `Ended` event was seen. */
  endedIn?: Hex;
  /** When the results disagreed: the end of the dispute window (chain time, seconds), when seen. */
  disputeEnds?: bigint;
  /** The deliveries seen while watching (those before `fromBlock` are read only when needed for the output). */
  fulfilments: Fulfilment[];
}

export interface WatchOptions {
  /** The request id (`ask(...).id`). */
  id: bigint;
  /** Where to start reading events: the request's block (`ask(...).blockNumber`); default 0. */
  fromBlock?: bigint;
  /** Give up after this long (a disputed request waits for the arbiter or its window); default 5 minutes. */
  timeoutMs?: number;
  /** How often to poll; default the client's polling interval. */
  pollIntervalMs?: number;
  /** The most blocks one `eth_getLogs` spans (public RPCs cap it); default 5000. */
  maxBlockRange?: bigint;
  /** Stops waiting (the promise rejects with a `timeout` error). */
  signal?: AbortSignal;
  /** Called once per delivery as it is seen. */
  onFulfilled?: (f: Fulfilment) => void;
  /**
   * Called once when the results disagree, with the end of the dispute
   * window (chain time, seconds): the request then waits for the arbiter's
   * `resolve` or a `refund` after the window, and the watch goes on.
   */
  onDisputed?: (windowEnds: bigint) => void;
}

/**
 * Waits until request `id` ends (settled or refunded; a disputed request is
 * waited on until the arbiter resolves it or it is refunded) and returns the
 * outcome with the agreed output taken from the `Fulfilled` event that
 * carries the settled hash (the bridge stores only the hash).
 *
 * Polls `eth_getLogs` in bounded ranges from `fromBlock` for the request's
 * `Fulfilled`, `Disputed` and `Ended` events (works on nodes without filter
 * support, such as the devnode, and never misses events mined before the
 * call), and also checks the request's status, so a request that ended
 * before `fromBlock` is still reported (its deliveries are then read
 * backwards from `fromBlock`).
 */
/**
 * The window end of request `id`'s `Disputed` event before block `before`,
 * read backwards in spans of `range` blocks (the bridge keeps no view of it:
 * its 24 KB are spent on the market's rules).
 */
async function earlierDispute(cf: ComputeFi, id: bigint, before: bigint, range: bigint): Promise<bigint | undefined> {
  const bridge = cf.core.bridge;
  for (let toBlock = before - 1n; toBlock >= 0n; toBlock -= range) {
    const fromBlock = toBlock - range + 1n > 0n ? toBlock - range + 1n : 0n;
    const events = await attempt("reading earlier Disputed events", { bridge, id, fromBlock, toBlock }, () =>
      cf.publicClient.getContractEvents({ address: bridge, abi: oracleBridgeAbi, eventName: "Disputed", args: { id }, fromBlock, toBlock }),
    );
    const windowEnds = events[0]?.args.windowEnds;
    if (windowEnds !== undefined) return windowEnds;
  }
  return undefined;
}

export async function waitForResult(cf: ComputeFi, options: WatchOptions): Promise<Outcome> {
  const { id } = options;
  const bridge = cf.core.bridge;
  const context = { bridge, id };
  const timeoutMs = options.timeoutMs ?? 300_000;
  const pollMs = options.pollIntervalMs ?? cf.publicClient.pollingInterval;
  const range = blockRange(options.maxBlockRange);
  const deadline = Date.now() + timeoutMs;
  const fromBlock = options.fromBlock ?? 0n;
  const fulfilments: Fulfilment[] = [];
  let disputeEnds: bigint | undefined;
  let cursor = fromBlock;

  const disputed = (windowEnds: bigint) => {
    if (disputeEnds !== undefined) return;
    disputeEnds = windowEnds;
    options.onDisputed?.(windowEnds);
  };
  const done = async (): Promise<Outcome> => {
    const outcome = await finish(cf, id, fulfilments, fromBlock, range);
    if (disputeEnds !== undefined) outcome.disputeEnds = disputeEnds;
    return outcome;
  };

  if ((await readResult(cf, id)).status === "none") {
    throw new ComputeFiError("input", `the bridge has no request ${id}`, { context });
  }

  for (;;) {
    if (options.signal?.aborted) {
      throw new ComputeFiError("timeout", `stopped waiting for request ${id}`, { context, cause: options.signal.reason });
    }
    // The status first, then the head: a request that ended by `status`
    // ended at or below `head`, so its events are in the range read below.
    const { status } = await readResult(cf, id);
    const head = await attempt("eth_blockNumber", context, () => cf.publicClient.getBlockNumber({ cacheTime: 0 }));
    while (cursor <= head) {
      const toBlock = cursor + range - 1n < head ? cursor + range - 1n : head;
      const span = { fromBlock: cursor, toBlock };
      const [fulfilled, disputes, ended] = await attempt("reading the bridge's events", { ...context, ...span }, () =>
        Promise.all([
          readFulfilments(cf, id, cursor, toBlock),
          cf.publicClient.getContractEvents({ address: bridge, abi: oracleBridgeAbi, eventName: "Disputed", args: { id }, ...span }),
          cf.publicClient.getContractEvents({ address: bridge, abi: oracleBridgeAbi, eventName: "Ended", args: { id }, ...span }),
        ]),
      );
      for (const f of fulfilled) {
        fulfilments.push(f);
        options.onFulfilled?.(f);
      }
      const windowEnds = disputes[0]?.args.windowEnds;
      if (windowEnds !== undefined) disputed(windowEnds);
      const end = ended[0];
      if (end !== undefined && end.args.status !== undefined) {
        const outcome = await done();
        if (end.args.paid !== undefined) outcome.paid = end.args.paid;
        if (end.args.refunded !== undefined) outcome.refunded = end.args.refunded;
        outcome.endedIn = end.transactionHash;
        return outcome;
      }
      cursor = toBlock + 1n;
    }
    // Ended, but not in the blocks read (before `fromBlock`): the views still tell.
    if (isFinal(status)) return done();
    if (status === "disputed" && disputeEnds === undefined) {
      // Disputed before `fromBlock`: its `Disputed` event is further back.
      const windowEnds = await earlierDispute(cf, id, fromBlock, range);
      if (windowEnds !== undefined) disputed(windowEnds);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const why = status === "disputed" ? "disputed (waiting for the arbiter, or a refund after the window)" : status;
      throw new ComputeFiError("timeout", `request ${id} is still ${why} after ${timeoutMs} ms`, {
        context: { ...context, status, block: head, fulfilments: fulfilments.length, ...(disputeEnds === undefined ? {} : { disputeEnds }) },
      });
    }
    try {
      await sleep(Math.min(pollMs, left), undefined, options.signal ? { signal: options.signal } : {});
    } catch (cause) {
      throw new ComputeFiError("timeout", `stopped waiting for request ${id}`, { context, cause });
    }
  }
}

/** The agreed output of a settled request (`outputOf`). */
export interface SettledOutput {
  id: bigint;
  /** The settled hash (`result(id)`). */
  outputHash: Hex;
  /** The inline output (sealed when the request was): `0x` when given by URI. */
  output: Hex;
  /** The output's URI (UTF-8 bytes) as the provider gave it: set when given by URI, `0x` when none. */
  outputUri: Hex;
  /** The `Fulfilled` event it came from. */
  delivery: Fulfilment;
}

export interface OutputOptions {
  /** The lowest block to read events from: the request's block when known (`ask(...).blockNumber`); default 0. */
  fromBlock?: bigint;
  /** The highest block to read events from; default the latest. */
  toBlock?: bigint;
  /** The most blocks one `eth_getLogs` spans (public RPCs cap it); default 5000. */
  maxBlockRange?: bigint;
}

/**
 * The agreed output of settled request `id`, which the bridge does not
 * store: reads `result(id)` and then the request's `Fulfilled` events (by
 * its indexed id, in bounded ranges from the newest block backwards, down to
 * `fromBlock`) for one carrying the settled hash, preferring an inline
 * output to one given by URI. Fails with `input` when the request is not
 * settled (unknown, open, disputed or refunded), and with `chain` when no
 * delivery of the settled hash is in the blocks read.
 */
export async function outputOf(cf: ComputeFi, id: bigint, options: OutputOptions = {}): Promise<SettledOutput> {
  const bridge = cf.core.bridge;
  const context: Record<string, unknown> = { bridge, id };
  const { status, outputHash } = await readResult(cf, id);
  if (status !== "settled") {
    const why: Record<Exclude<RequestStatus, "settled">, string> = {
      none: "the bridge has no such request",
      open: "it is open (not answered yet)",
      disputed: "its results disagree (waiting for the arbiter, or a refund after the dispute window)",
      refunded: "it was refunded",
    };
    throw new ComputeFiError("input", `request ${id} has no output: ${why[status]}`, { context: { ...context, status } });
  }
  const toBlock =
    options.toBlock ?? (await attempt("eth_blockNumber", context, () => cf.publicClient.getBlockNumber({ cacheTime: 0 })));
  const fromBlock = options.fromBlock ?? 0n;
  const delivery = await findDelivery(cf, id, outputHash, [], toBlock + 1n, fromBlock, blockRange(options.maxBlockRange));
  if (delivery === undefined) {
    throw new ComputeFiError("chain", `request ${id} settled on ${outputHash}, but no Fulfilled event in blocks ${fromBlock}..${toBlock} carries it`, {
      context: { ...context, outputHash, fromBlock, toBlock },
    });
  }
  return { id, outputHash, output: delivery.output, outputUri: delivery.outputUri, delivery };
}

function blockRange(range: bigint | undefined): bigint {
  const r = range ?? 5_000n;
  if (r < 1n) throw new ComputeFiError("input", `maxBlockRange ${r} is not positive`, { context: { maxBlockRange: r } });
  return r;
}

/** Request `id`'s deliveries (`Fulfilled`) in blocks `fromBlock..toBlock`. */
async function readFulfilments(cf: ComputeFi, id: bigint, fromBlock: bigint, toBlock: bigint): Promise<Fulfilment[]> {
  const logs = await cf.publicClient.getContractEvents({
    address: cf.core.bridge,
    abi: oracleBridgeAbi,
    eventName: "Fulfilled",
    args: { id },
    fromBlock,
    toBlock,
  });
  const found: Fulfilment[] = [];
  for (const log of logs) {
    const a = log.args;
    if (a.slot === undefined || a.provider === undefined || a.outputHash === undefined) continue;
    found.push({
      slot: a.slot,
      provider: a.provider,
      outputHash: a.outputHash,
      inputTokens: a.inputTokens ?? 0,
      outputTokens: a.outputTokens ?? 0,
      output: a.output ?? "0x",
      outputUri: a.outputUri ?? "0x",
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    });
  }
  return found;
}

/** The delivery of `hash` among `fulfilments`: an inline one first, else one by URI. */
function pick(fulfilments: readonly Fulfilment[], hash: Hex, inlineOnly: boolean): Fulfilment | undefined {
  const matching = fulfilments.filter((f) => f.outputHash.toLowerCase() === hash.toLowerCase());
  return matching.find((f) => f.output !== "0x") ?? (inlineOnly ? undefined : matching[0]);
}

/**
 * The delivery of `hash` for request `id`: from `seen` when it has an inline
 * one, else read backwards from block `below - 1` down to `floor`, until an
 * inline one is found or every delivery of the request (`requestOf`'s
 * result count) has been seen.
 */
async function findDelivery(
  cf: ComputeFi,
  id: bigint,
  hash: Hex,
  seen: readonly Fulfilment[],
  below: bigint,
  floor: bigint,
  range: bigint,
): Promise<Fulfilment | undefined> {
  const inline = pick(seen, hash, true);
  if (inline !== undefined) return inline;
  const bridge = cf.core.bridge;
  const request = await attempt("bridge.requestOf", { bridge, id }, () =>
    cf.publicClient.readContract({ address: bridge, abi: oracleBridgeAbi, functionName: "requestOf", args: [id] }),
  );
  const { results } = named(oracleBridgeAbi, "requestOf", request);
  const found = [...seen];
  for (let to = below - 1n; to >= floor && found.length < results; ) {
    const from = to - range + 1n > floor ? to - range + 1n : floor;
    const read = await attempt("reading the bridge's Fulfilled events", { bridge, id, fromBlock: from, toBlock: to }, () =>
      readFulfilments(cf, id, from, to),
    );
    found.push(...read);
    const inlineHere = pick(read, hash, true);
    if (inlineHere !== undefined) return inlineHere;
    to = from - 1n;
  }
  return pick(found, hash, false);
}

/** Request `id`'s status and output hash, from the bridge's `result(id)`. */
async function readResult(cf: ComputeFi, id: bigint): Promise<{ status: RequestStatus; outputHash: Hex }> {
  const bridge = cf.core.bridge;
  const result = await attempt("bridge.result", { bridge, id }, () =>
    cf.publicClient.readContract({ address: bridge, abi: oracleBridgeAbi, functionName: "result", args: [id] }),
  );
  const { status, outputHash } = named(oracleBridgeAbi, "result", result);
  return { status: requestStatus(status), outputHash };
}

/**
 * The outcome of ended request `id`: its status and hash from `result(id)`,
 * and when settled the output from the delivery of that hash (among
 * `fulfilments`, else read from the blocks before `fromBlock`).
 */
async function finish(cf: ComputeFi, id: bigint, fulfilments: Fulfilment[], fromBlock: bigint, range: bigint): Promise<Outcome> {
  const bridge = cf.core.bridge;
  const { status, outputHash } = await readResult(cf, id);
  if (!isFinal(status)) {
    throw new ComputeFiError("chain", `request ${id} ended by its events but the bridge reports it ${status}`, {
      context: { bridge, id, status },
    });
  }
  const outcome: Outcome = { id, status, outputHash, output: "0x", outputUri: "0x", fulfilments };
  if (status === "refunded") return outcome;
  const delivery = await findDelivery(cf, id, outputHash, fulfilments, fromBlock, 0n, range);
  if (delivery === undefined) {
    throw new ComputeFiError("chain", `request ${id} settled on ${outputHash}, but no Fulfilled event carries it`, {
      context: { bridge, id, outputHash, fromBlock, fulfilments: fulfilments.length },
    });
  }
  outcome.output = delivery.output;
  outcome.outputUri = delivery.outputUri;
  outcome.delivery = delivery;
  return outcome;
}

/** Opens a sealed answer to request `id` with the requester's key (from `ask(...).requesterKey`). */
export async function openAnswer(cf: ComputeFi, key: Keypair, id: bigint, sealed: Hex | Uint8Array): Promise<string> {
  return key.openText("answer", answerContext(cf.chain.id, cf.core.bridge, id), sealed);
}
