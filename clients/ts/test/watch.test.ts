// Watching a request against a scripted chain (an EIP-1193 double, offline):
// the output comes from the `Fulfilled` event that carries the settled hash
// (the bridge keeps only the hash), a dispute is waited through until
// `Ended`, and a request that ended before `fromBlock` is still found by
// reading backwards.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  createPublicClient,
  custom,
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionResult,
  keccak256,
  numberToHex,
  stringToHex,
  zeroHash,
  type Address,
  type Hex,
} from "viem";

import {
  chainFor,
  ComputeFiError,
  oracleBridgeAbi,
  outputOf,
  parseDeployments,
  waitForResult,
  type ComputeFi,
} from "../src/index.js";

const BRIDGE: Address = "0x0000000000000000000000000000000000000005";
const ACCESS: Address = "0x0000000000000000000000000000000000000009";
const PROVIDER_A: Address = "0x00000000000000000000000000000000000000a1";
const PROVIDER_B: Address = "0x00000000000000000000000000000000000000b2";
const ID = 7n;
const OTHER = 8n;

const DEPLOYMENTS = parseDeployments({
  chainId: 412346,
  contracts: Object.fromEntries(
    ["asset", "source", "ledger", "registry", "bridge", "accountImplementation", "erc6551Registry", "aiNft", "access"].map((role, i) => [
      role,
      { address: `0x${(i + 1).toString(16).padStart(40, "0")}`, artifact: role },
    ]),
  ),
});

type Event =
  | { kind: "Fulfilled"; id: bigint; block: bigint; slot: number; provider: Address; outputHash: Hex; output: Hex; outputUri: Hex }
  | { kind: "Disputed"; id: bigint; block: bigint; windowEnds: bigint }
  | { kind: "Ended"; id: bigint; block: bigint; status: number; outputHash: Hex; paid: bigint; refunded: bigint };

/**
 * A chain whose head moves one block per `eth_blockNumber` (up to `last`),
 * with `events` at their blocks; `result` and `requestOf`
 * follow from the events of request `ID` at or below the head.
 */
function chain(events: Event[], last: bigint, start = last): { cf: ComputeFi; logReads: Array<[bigint, bigint]> } {
  let head = start;
  const logReads: Array<[bigint, bigint]> = [];
  const at = (id: bigint) => events.filter((e) => e.id === id && e.block <= head);
  const state = (id: bigint) => {
    const seen = at(id);
    const ended = seen.find((e) => e.kind === "Ended");
    const disputed = seen.find((e) => e.kind === "Disputed");
    const fulfilled = seen.filter((e) => e.kind === "Fulfilled");
    const status = ended?.status ?? (disputed ? 4 : id === ID || id === OTHER ? 1 : 0);
    const hash = ended?.outputHash ?? fulfilled[0]?.outputHash ?? zeroHash;
    return { status, hash, results: fulfilled.length };
  };
  const log = (e: Event, index: number) => {
    const base = {
      address: BRIDGE,
      blockHash: keccak256(numberToHex(e.block)),
      blockNumber: numberToHex(e.block),
      logIndex: numberToHex(index),
      removed: false,
      transactionHash: keccak256(stringToHex(`tx ${index}`)),
      transactionIndex: "0x0",
    };
    switch (e.kind) {
      case "Fulfilled":
        return {
          ...base,
          topics: encodeEventTopics({ abi: oracleBridgeAbi, eventName: "Fulfilled", args: { id: e.id, provider: e.provider } }),
          data: encodeAbiParameters(
            [{ type: "uint8" }, { type: "bytes32" }, { type: "uint32" }, { type: "uint32" }, { type: "bytes" }, { type: "bytes" }],
            [e.slot, e.outputHash, 10, 20, e.output, e.outputUri],
          ),
        };
      case "Disputed":
        return {
          ...base,
          topics: encodeEventTopics({ abi: oracleBridgeAbi, eventName: "Disputed", args: { id: e.id } }),
          data: encodeAbiParameters([{ type: "uint64" }], [e.windowEnds]),
        };
      case "Ended":
        return {
          ...base,
          topics: encodeEventTopics({ abi: oracleBridgeAbi, eventName: "Ended", args: { id: e.id } }),
          data: encodeAbiParameters(
            [{ type: "uint8" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint256" }],
            [e.status, e.outputHash, e.paid, e.refunded],
          ),
        };
    }
  };
  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const p = (params ?? []) as unknown[];
    switch (method) {
      case "eth_chainId":
        return numberToHex(DEPLOYMENTS.chainId);
      case "eth_blockNumber":
        if (head < last) head += 1n;
        return numberToHex(head);
      case "eth_call": {
        const { to, data } = p[0] as { to: Address; data: Hex };
        assert.equal(to.toLowerCase(), BRIDGE.toLowerCase(), "only the bridge is read");
        const call = decodeFunctionData({ abi: oracleBridgeAbi, data });
        const id = call.args?.[0] as bigint;
        const s = state(id);
        switch (call.functionName) {
          case "result":
            return encodeFunctionResult({ abi: oracleBridgeAbi, functionName: "result", result: [s.status, s.hash] });
          case "requestOf":
            return encodeFunctionResult({
              abi: oracleBridgeAbi,
              functionName: "requestOf",
              result: [ACCESS, 1, s.status, 1_000n, 1, s.results, s.hash],
            });
          default:
            throw new Error(`unexpected call ${call.functionName}`);
        }
      }
      case "eth_getLogs": {
        const filter = p[0] as { topics: (Hex | null)[]; fromBlock: Hex; toBlock: Hex };
        const [from, to] = [BigInt(filter.fromBlock), BigInt(filter.toBlock)];
        assert.ok(from <= to && to <= head, `a range at or below the head: ${from}..${to} (head ${head})`);
        logReads.push([from, to]);
        return events
          .map(log)
          .filter((l, i) => {
            const e = events[i]!;
            return e.block >= from && e.block <= to && l.topics[0] === filter.topics[0] && l.topics[1] === filter.topics[1];
          });
      }
      default:
        throw new Error(`unexpected ${method}`);
    }
  };
  const publicClient = createPublicClient({
    chain: chainFor(DEPLOYMENTS, "http://double.test"),
    transport: custom({ request }, { retryCount: 0 }),
    pollingInterval: 1,
  });
  const cf: ComputeFi = {
    chain: publicClient.chain,
    publicClient,
    deployments: DEPLOYMENTS,
    core: {
      asset: "0x0000000000000000000000000000000000000001",
      source: "0x0000000000000000000000000000000000000002",
      ledger: "0x0000000000000000000000000000000000000003",
      registry: "0x0000000000000000000000000000000000000004",
      bridge: BRIDGE,
      sessions: "0x0000000000000000000000000000000000000009",
      accountImplementation: "0x0000000000000000000000000000000000000006",
      erc6551Registry: "0x0000000000000000000000000000000000000007",
      aiNft: "0x0000000000000000000000000000000000000008",
      access: ACCESS,
    },
  };
  return { cf, logReads };
}

const ANSWER_A = stringToHex("the first answer");
const ANSWER_B = stringToHex("the second answer");

test("a disputed request is waited on until the arbiter settles it; the output is the delivery of the settled hash", async () => {
  const events: Event[] = [
    { kind: "Fulfilled", id: ID, block: 12n, slot: 0, provider: PROVIDER_A, outputHash: keccak256(ANSWER_A), output: ANSWER_A, outputUri: "0x" },
    // Another request's delivery of the same output is not taken.
    { kind: "Fulfilled", id: OTHER, block: 13n, slot: 0, provider: PROVIDER_A, outputHash: keccak256(ANSWER_B), output: ANSWER_B, outputUri: "0x" },
    { kind: "Fulfilled", id: ID, block: 14n, slot: 1, provider: PROVIDER_B, outputHash: keccak256(ANSWER_B), output: ANSWER_B, outputUri: "0x" },
    { kind: "Disputed", id: ID, block: 14n, windowEnds: 5_000n },
    { kind: "Ended", id: ID, block: 20n, status: 2, outputHash: keccak256(ANSWER_B), paid: 3n, refunded: 4n },
  ];
  const { cf } = chain(events, 22n, 10n);
  const seen: number[] = [];
  const disputes: bigint[] = [];
  const outcome = await waitForResult(cf, {
    id: ID,
    fromBlock: 10n,
    pollIntervalMs: 1,
    timeoutMs: 10_000,
    onFulfilled: (f) => seen.push(f.slot),
    onDisputed: (end) => disputes.push(end),
  });
  assert.equal(outcome.status, "settled");
  assert.equal(outcome.outputHash, keccak256(ANSWER_B));
  assert.equal(outcome.output, ANSWER_B);
  assert.equal(outcome.delivery?.provider.toLowerCase(), PROVIDER_B.toLowerCase());
  assert.equal(outcome.disputeEnds, 5_000n);
  assert.deepEqual(disputes, [5_000n]);
  assert.deepEqual(seen, [0, 1]);
  assert.equal(outcome.paid, 3n);
  assert.equal(outcome.refunded, 4n);
  assert.ok(outcome.endedIn);
});

test("a request still disputed at the timeout is not reported as ended", async () => {
  const events: Event[] = [
    { kind: "Fulfilled", id: ID, block: 2n, slot: 0, provider: PROVIDER_A, outputHash: keccak256(ANSWER_A), output: ANSWER_A, outputUri: "0x" },
    { kind: "Fulfilled", id: ID, block: 3n, slot: 1, provider: PROVIDER_B, outputHash: keccak256(ANSWER_B), output: ANSWER_B, outputUri: "0x" },
    { kind: "Disputed", id: ID, block: 3n, windowEnds: 9_000n },
  ];
  const { cf } = chain(events, 5n);
  const disputes: bigint[] = [];
  await assert.rejects(
    // From block 4: the dispute is older, its window's end is read from its earlier event.
    waitForResult(cf, { id: ID, fromBlock: 4n, pollIntervalMs: 1, timeoutMs: 50, onDisputed: (end) => disputes.push(end) }),
    (e: unknown) => e instanceof ComputeFiError && e.code === "timeout" && e.message.includes("disputed") && e.context["disputeEnds"] === 9_000n,
  );
  assert.deepEqual(disputes, [9_000n]);
  await assert.rejects(outputOf(cf, ID), (e: unknown) => e instanceof ComputeFiError && e.code === "input" && e.message.includes("disagree"));
});

test("a request that settled before fromBlock: its delivery is read backwards, inline preferred to URI", async () => {
  const uri = stringToHex("ipfs://answer");
  const events: Event[] = [
    { kind: "Fulfilled", id: ID, block: 3n, slot: 1, provider: PROVIDER_B, outputHash: keccak256(ANSWER_A), output: ANSWER_A, outputUri: "0x" },
    { kind: "Fulfilled", id: ID, block: 40n, slot: 0, provider: PROVIDER_A, outputHash: keccak256(ANSWER_A), output: "0x", outputUri: uri },
    { kind: "Ended", id: ID, block: 40n, status: 2, outputHash: keccak256(ANSWER_A), paid: 1n, refunded: 0n },
  ];
  const { cf, logReads } = chain(events, 100n);
  const outcome = await waitForResult(cf, { id: ID, fromBlock: 60n, pollIntervalMs: 1, timeoutMs: 10_000, maxBlockRange: 16n });
  assert.equal(outcome.status, "settled");
  assert.equal(outcome.output, ANSWER_A);
  assert.equal(outcome.delivery?.slot, 1);
  assert.equal(outcome.endedIn, undefined, "Ended was before fromBlock");
  for (const [from, to] of logReads) assert.ok(to - from < 16n, `ranges within maxBlockRange: ${from}..${to}`);

  const settled = await outputOf(cf, ID, { maxBlockRange: 16n });
  assert.equal(settled.output, ANSWER_A);
  assert.equal(settled.outputHash, keccak256(ANSWER_A));
  // Only the URI delivery in the blocks read: the output is by URI.
  const byUri = await outputOf(cf, ID, { fromBlock: 30n });
  assert.equal(byUri.output, "0x");
  assert.equal(byUri.outputUri, uri);
  // No delivery of the hash in the blocks read.
  await assert.rejects(outputOf(cf, ID, { fromBlock: 50n }), { code: "chain" });
});

test("a refunded request has no output", async () => {
  const events: Event[] = [{ kind: "Ended", id: ID, block: 5n, status: 3, outputHash: zeroHash, paid: 0n, refunded: 9n }];
  const { cf } = chain(events, 6n);
  const outcome = await waitForResult(cf, { id: ID, pollIntervalMs: 1, timeoutMs: 10_000 });
  assert.equal(outcome.status, "refunded");
  assert.equal(outcome.output, "0x");
  assert.equal(outcome.refunded, 9n);
  await assert.rejects(outputOf(cf, ID), { code: "input" });
  await assert.rejects(waitForResult(cf, { id: 99n, pollIntervalMs: 1 }), { code: "input" });
});
