import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";

import { ComputeFiError } from "./errors.js";

/** One deployed contract, as `deploy/src/manifest.rs` records it. */
export interface DeployedContract {
  address: Address;
  /** `vault`, `oracle-bridge`, ... a test double (`test-double:TestToken`), or `external`. */
  artifact: string;
  codeHash?: Hex;
  tx?: Hex;
}

/** A community: its AI NFT and account, vault, key collection and policy. */
export interface Community {
  /** The AI NFT's token id. */
  aiId: bigint;
  /** The AI's ERC-6551 account: the vault's beneficiary and the bridge payer. */
  account: Address;
  vault: Address;
  /** The key collection whose holders ask at the account's expense. */
  keys: Address;
  /** The model its AI asks (a registry id). */
  model: number;
  /** Credits each key holder may spend per period. */
  quota: bigint;
  /** The quota's period in seconds. */
  period: bigint;
}

/** `deployments/<chain-id>.json`, as the deploy tool writes it (camelCase fields). */
export interface Deployments {
  chainId: number;
  contracts: Record<string, DeployedContract>;
  /** Registered models: name to id in the inference registry. */
  models: Record<string, number>;
  communities: Record<string, Community>;
}

/** The shared contracts of a chain. */
export interface CoreAddresses {
  asset: Address;
  source: Address;
  ledger: Address;
  registry: Address;
  /** The inference access contract: who may charge a payer (approved requesters, key policies and quotas). */
  access: Address;
  bridge: Address;
  /** The sessions program: one escrow per conversation, signed usage receipts. */
  sessions: Address;
  accountImplementation: Address;
  erc6551Registry: Address;
  aiNft: Address;
}

const CORE_ROLES = [
  "asset",
  "source",
  "ledger",
  "registry",
  "access",
  "bridge",
  "sessions",
  "accountImplementation",
  "erc6551Registry",
  "aiNft",
] as const;

/**
 * Reads a deployments file: `path` is the file itself, or the directory
 * holding `<chainId>.json` (then `chainId` is required).
 */
export async function loadDeployments(path: string, chainId?: number): Promise<Deployments> {
  const file = path.endsWith(".json") ? path : join(path, `${requireChainId(chainId, path)}.json`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ComputeFiError("deployment", `cannot read the deployments file ${file}: run the deploy first`, {
      context: { file },
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ComputeFiError("deployment", `${file} is not JSON`, { context: { file }, cause });
  }
  const deployments = parseDeployments(json, file);
  if (chainId !== undefined && deployments.chainId !== chainId) {
    throw new ComputeFiError("deployment", `${file} is for chain ${deployments.chainId}, not ${chainId}`, {
      context: { file, chainId, found: deployments.chainId },
    });
  }
  return deployments;
}

function requireChainId(chainId: number | undefined, dir: string): number {
  if (chainId === undefined) {
    throw new ComputeFiError("input", `${dir} is a directory: say which chain's file to read`, { context: { dir } });
  }
  return chainId;
}

/** Checks and converts the JSON of a deployments file; `source` names it in errors. */
export function parseDeployments(json: unknown, source = "deployments"): Deployments {
  const top = object(json, source);
  const contracts: Record<string, DeployedContract> = {};
  for (const [role, value] of Object.entries(object(top["contracts"], `${source}: contracts`))) {
    const where = `${source}: contracts.${role}`;
    const c = object(value, where);
    const contract: DeployedContract = {
      address: address(c["address"], `${where}.address`),
      artifact: string(c["artifact"], `${where}.artifact`),
    };
    if (c["codeHash"] !== undefined) contract.codeHash = hex(c["codeHash"], `${where}.codeHash`);
    if (c["tx"] !== undefined) contract.tx = hex(c["tx"], `${where}.tx`);
    contracts[role] = contract;
  }
  const models: Record<string, number> = {};
  for (const [name, id] of Object.entries(object(top["models"] ?? {}, `${source}: models`))) {
    models[name] = smallInt(id, `${source}: models.${name}`);
  }
  const communities: Record<string, Community> = {};
  for (const [name, value] of Object.entries(object(top["communities"] ?? {}, `${source}: communities`))) {
    const where = `${source}: communities.${name}`;
    const c = object(value, where);
    communities[name] = {
      aiId: uint(c["aiId"], `${where}.aiId`),
      account: address(c["account"], `${where}.account`),
      vault: address(c["vault"], `${where}.vault`),
      keys: address(c["keys"], `${where}.keys`),
      model: smallInt(c["model"], `${where}.model`),
      quota: uint(c["quota"], `${where}.quota`),
      period: uint(c["period"], `${where}.period`),
    };
  }
  return { chainId: smallInt(top["chainId"], `${source}: chainId`), contracts, models, communities };
}

/** The address recorded for `role` (`bridge`, `ledger`, ...). */
export function contractAddress(d: Deployments, role: string): Address {
  const found = d.contracts[role];
  if (found === undefined) {
    throw new ComputeFiError("deployment", `no \`${role}\` in the deployment of chain ${d.chainId}: run the deploy first`, {
      context: { chainId: d.chainId, role },
    });
  }
  return found.address;
}

/** Every shared contract's address; fails naming the first one missing. */
export function coreAddresses(d: Deployments): CoreAddresses {
  const entries = CORE_ROLES.map((role) => [role, contractAddress(d, role)] as const);
  return Object.fromEntries(entries) as unknown as CoreAddresses;
}

/** The community called `name`, or the only one when `name` is left out. */
export function community(d: Deployments, name?: string): Community & { name: string } {
  const names = Object.keys(d.communities);
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  const found = chosen === undefined ? undefined : d.communities[chosen];
  if (chosen === undefined || found === undefined) {
    const known = names.length === 0 ? "none" : names.map((n) => JSON.stringify(n)).join(", ");
    const what = name === undefined ? "name a community" : `no community ${JSON.stringify(name)}`;
    throw new ComputeFiError("deployment", `${what} on chain ${d.chainId} (communities: ${known})`, {
      context: { chainId: d.chainId, name, known: names },
    });
  }
  return { name: chosen, ...found };
}

/** The registry id of the model called `name`. */
export function modelId(d: Deployments, name: string): number {
  const id = d.models[name];
  if (id === undefined) {
    throw new ComputeFiError("deployment", `no model ${JSON.stringify(name)} on chain ${d.chainId}`, {
      context: { chainId: d.chainId, name, known: Object.keys(d.models) },
    });
  }
  return id;
}

// --- checked conversions -------------------------------------------------

function bad(where: string, expected: string, value: unknown): ComputeFiError {
  return new ComputeFiError("deployment", `${where}: expected ${expected}, found ${JSON.stringify(value) ?? String(value)}`, {
    context: { where, value },
  });
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(where, "an object", value);
  return value as Record<string, unknown>;
}

function string(value: unknown, where: string): string {
  if (typeof value !== "string") throw bad(where, "a string", value);
  return value;
}

function address(value: unknown, where: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) throw bad(where, "an address", value);
  return getAddress(value);
}

function hex(value: unknown, where: string): Hex {
  if (typeof value !== "string" || !isHex(value, { strict: true })) throw bad(where, "0x-prefixed hex", value);
  return value;
}

/** A U256 as alloy writes it (`"0x1"`), a decimal string, or a safe JSON number. */
function uint(value: unknown, where: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/.test(value)) {
    const n = BigInt(value);
    if (n < 2n ** 256n) return n;
  }
  throw bad(where, "an unsigned integer", value);
}

function smallInt(value: unknown, where: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw bad(where, "a non-negative integer", value);
}
