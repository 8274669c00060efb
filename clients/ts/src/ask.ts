import { bytesToHex, parseEventLogs, zeroAddress, zeroHash, type Address, type Hex } from "viem";

import { computeCreditsAbi, inferenceAccessAbi, inferenceRegistryAbi, keyNftAbi, oracleBridgeAbi } from "./abis.js";
import { signer, submit, type ComputeFi } from "./client.js";
import type { Community } from "./deployments.js";
import { attempt, ComputeFiError } from "./errors.js";
import { named } from "./outputs.js";
import { Keypair, promptContext, seal } from "./sealing.js";

/** What a key holder asks a community's AI. */
export interface AskOptions {
  /** The community: its AI's account pays, its key collection gates. */
  community: Pick<Community, "account" | "keys" | "model">;
  /** The prompt: text (sent as UTF-8) or bytes. */
  prompt: string | Uint8Array;
  /** The model to ask; default the community's. */
  model?: number;
  /** Input tokens to pay for; default a rough upper estimate from the prompt's length. */
  inputTokens?: number;
  /** The longest answer to pay for, in tokens. */
  maxOutputTokens: number;
  /** How long providers have, in seconds from the chain's current time (at most the bridge's `maxDeadline`); default 1 hour. */
  deadlineSeconds?: number;
  /** The key NFT the caller holds; found from the collection's Transfer logs when left out. */
  keyToken?: bigint;
  /**
   * Seal the prompt to this provider's X25519 key (read from the inference
   * registry); the answer is then sealed to `requesterKey`. With a
   * sealed request names this provider: only it can claim the request, and
   * only models of redundancy 1 take sealed prompts.
   */
  sealTo?: Address;
  /**
   * The providers allowed to serve the request, one per slot of the model's
   * redundancy (default: any registered provider). A sealed request names
   * `sealTo` instead.
   */
  providers?: readonly Address[];
  /** The key the answer is sealed to; generated when `sealTo` is set and this is left out. */
  requesterKey?: Keypair;
  /** Called with the result after settlement (capped gas). */
  callback?: Address;
}

/** A request that is on chain. */
export interface Asked {
  /** The bridge's request id (from the `Requested` event). */
  id: bigint;
  txHash: Hex;
  /** The block of the request: where watching for its result starts. */
  blockNumber: bigint;
  /** What the payer escrowed (every unit of redundancy). */
  maxCost: bigint;
  keyToken: bigint;
  encrypted: boolean;
  /** Opens the sealed answer (`openAnswer`); present when the prompt was sealed. */
  requesterKey?: Keypair;
}

/**
 * Room for what a worker adds to the prompt before counting it: the chat
 * template and its system prompt. Workers refuse a request that declares
 * fewer input tokens than they count, and settle on the real count, so
 * declaring more only raises the escrow, never the cost.
 */
export const TEMPLATE_TOKENS = 96;

/** A rough upper estimate of a prompt's tokens: a third of its UTF-8 bytes plus the chat template and system prompt ({@link TEMPLATE_TOKENS}). */
export function estimateInputTokens(prompt: string | Uint8Array): number {
  const length = typeof prompt === "string" ? new TextEncoder().encode(prompt).length : prompt.length;
  return Math.ceil(length / 3) + TEMPLATE_TOKENS;
}

/**
 * What a request for `inputTokens` and at most `maxOutputTokens` escrows on
 * `model` at today's prices (the registry's `quote`: the maximum cost for
 * every unit of the model's redundancy).
 */
export async function estimateFee(
  cf: ComputeFi,
  model: number,
  inputTokens: number,
  maxOutputTokens: number,
): Promise<bigint> {
  const registry = cf.core.registry;
  const quote = await attempt("registry.quote", { registry, model, inputTokens, maxOutputTokens }, () =>
    cf.publicClient.readContract({
      address: registry,
      abi: inferenceRegistryAbi,
      functionName: "quote",
      args: [model, inputTokens, maxOutputTokens],
    }),
  );
  return named(inferenceRegistryAbi, "quote", quote).escrow;
}

/**
 * Credits the holder of key `token` of `collection` may still spend this
 * period at `payer`'s expense, under the payer's policy for the collection
 * (zero without one). Read from the inference access contract, which keeps
 * the policies and quotas (the bridge asks it when a request is made).
 */
export async function quotaLeft(cf: ComputeFi, payer: Address, collection: Address, token: bigint): Promise<bigint> {
  const access = cf.core.access;
  return attempt("access.quotaLeft", { access, payer, collection, token }, () =>
    cf.publicClient.readContract({
      address: access,
      abi: inferenceAccessAbi,
      functionName: "quotaLeft",
      args: [payer, collection, token],
    }),
  );
}

/** A key of `collection` that `holder` holds now, found from the collection's Transfer logs. */
export async function findKeyToken(cf: ComputeFi, collection: Address, holder: Address): Promise<bigint> {
  const context = { collection, holder };
  const received = await attempt("reading key transfers", context, () =>
    cf.publicClient.getContractEvents({
      address: collection,
      abi: keyNftAbi,
      eventName: "Transfer",
      args: { to: holder },
      fromBlock: 0n,
    }),
  );
  // Most recent first: a key received and passed on is skipped by the ownerOf check.
  for (const log of received.reverse()) {
    const token = log.args.tokenId;
    if (token === undefined) continue;
    const owner = await attempt("keyNft.ownerOf", { ...context, token }, () =>
      cf.publicClient.readContract({ address: collection, abi: keyNftAbi, functionName: "ownerOf", args: [token] }),
    ).catch(() => undefined); // a revoked (burnt) key has no owner
    if (owner?.toLowerCase() === holder.toLowerCase()) return token;
  }
  throw new ComputeFiError("input", `${holder} holds no key of the collection ${collection}`, { context });
}

/** The X25519 key a provider registered, after checking that it may serve `model`. */
export async function providerKey(cf: ComputeFi, provider: Address, model: number): Promise<Hex> {
  const registry = cf.core.registry;
  const context = { registry, provider, model };
  const [record, eligible] = await attempt("reading the provider", context, () =>
    Promise.all([
      cf.publicClient.readContract({ address: registry, abi: inferenceRegistryAbi, functionName: "provider", args: [provider] }),
      cf.publicClient.readContract({
        address: registry,
        abi: inferenceRegistryAbi,
        functionName: "isEligible",
        args: [provider, model],
      }),
    ]),
  );
  const { key } = named(inferenceRegistryAbi, "provider", record);
  if (!eligible) {
    throw new ComputeFiError("input", `provider ${provider} may not serve model ${model} (not bonded, paused or not serving it)`, {
      context,
    });
  }
  if (key === zeroHash) {
    throw new ComputeFiError("input", `provider ${provider} has published no X25519 key`, { context });
  }
  return key;
}

/**
 * Asks the community's AI as a holder of one of its keys: the AI's account
 * pays (escrowed in the ledger), within the key's quota under the payer's
 * policy in the inference access contract. Checks the fee against the quota
 * (`quotaLeft` on the access contract) and the payer's credits before
 * sending, and returns the request id from the `Requested` event. A refusal
 * by the bridge keeps its decoded error (`NotAuthorized`, `QuotaExceeded`,
 * `ModelNotAllowed`, `AccessCallFailed`, ...).
 */
export async function ask(cf: ComputeFi, options: AskOptions): Promise<Asked> {
  const wallet = signer(cf, "ask");
  const holder = wallet.account.address;
  const { bridge, ledger, access } = cf.core;
  const payer = options.community.account;
  const collection = options.community.keys;
  const model = options.model ?? options.community.model;
  const inputTokens = options.inputTokens ?? estimateInputTokens(options.prompt);
  const maxOutputTokens = options.maxOutputTokens;
  const context: Record<string, unknown> = { bridge, payer, collection, holder, model, inputTokens, maxOutputTokens };
  for (const [name, value] of [
    ["inputTokens", inputTokens],
    ["maxOutputTokens", maxOutputTokens],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new ComputeFiError("input", `${name} ${value} is not a uint32`, { context });
    }
  }
  const keyToken = options.keyToken ?? (await findKeyToken(cf, collection, holder));
  context["keyToken"] = keyToken;

  const fee = await estimateFee(cf, model, inputTokens, maxOutputTokens);
  const [quota, spendable] = await attempt("reading quota and credits", { ...context, access }, () =>
    Promise.all([
      quotaLeft(cf, payer, collection, keyToken),
      cf.publicClient.readContract({ address: ledger, abi: computeCreditsAbi, functionName: "spendableOf", args: [payer] }),
    ]),
  );
  if (quota < fee) {
    throw new ComputeFiError("funds", `key ${keyToken} has ${quota} credits of quota left this period, the request escrows ${fee}`, {
      context: { ...context, quota, fee },
    });
  }
  if (spendable < fee) {
    throw new ComputeFiError("funds", `the AI's account ${payer} has ${spendable} spendable credits, the request escrows ${fee}`, {
      context: { ...context, spendable, fee },
    });
  }

  // The deadline and the requester key are sealed into the prompt (with the
  // payer and the sender), so both are fixed before sealing.
  const now = await attempt("reading the chain's time", context, () => cf.publicClient.getBlock({ blockTag: "latest" }));
  const deadline = now.timestamp + BigInt(options.deadlineSeconds ?? 3_600);
  let prompt = typeof options.prompt === "string" ? new TextEncoder().encode(options.prompt) : options.prompt;
  let requesterKey: Keypair | undefined;
  if (options.sealTo !== undefined) {
    const key = await providerKey(cf, options.sealTo, model);
    requesterKey = options.requesterKey ?? (await Keypair.generate());
    const place = { chainId: cf.chain.id, bridge, model, payer, requester: holder, requesterKey: requesterKey.publicKey, deadline };
    prompt = await seal(key, "prompt", promptContext(place), prompt);
  }
  const encrypted = requesterKey !== undefined;

  const { request } = await attempt("bridge.request", context, () =>
    cf.publicClient.simulateContract({
      account: wallet.account,
      address: bridge,
      abi: oracleBridgeAbi,
      functionName: "request",
      args: [
        model,
        payer,
        bytesToHex(prompt),
        zeroHash,
        "0x",
        inputTokens,
        maxOutputTokens,
        deadline,
        encrypted,
        requesterKey?.publicKey ?? zeroHash,
        options.callback ?? zeroAddress,
        collection,
        keyToken,
        // A sealed prompt opens only with its provider's key: the request
        // names that provider, so no other can claim it (and be slashed).
        options.sealTo !== undefined ? [options.sealTo] : (options.providers ?? []),
      ],
    }),
  );
  const receipt = await submit(cf, "bridge.request", () => wallet.writeContract(request), context);
  const requested = parseEventLogs({ abi: oracleBridgeAbi, eventName: "Requested", logs: receipt.logs }).filter(
    (log) => log.address.toLowerCase() === bridge.toLowerCase(),
  );
  const event = requested[0];
  if (requested.length !== 1 || event === undefined) {
    throw new ComputeFiError("chain", `bridge.request (${receipt.transactionHash}) emitted ${requested.length} Requested events, expected 1`, {
      context: { ...context, hash: receipt.transactionHash },
    });
  }
  const asked: Asked = {
    id: event.args.id,
    txHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    maxCost: event.args.maxCost,
    keyToken,
    encrypted,
  };
  if (requesterKey !== undefined) asked.requesterKey = requesterKey;
  return asked;
}
