import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { coreAddresses, type CoreAddresses, type Deployments } from "./deployments.js";
import { ComputeFiError, wrap } from "./errors.js";

/** A connection to one chain's Compute-Fi deployment, optionally with a signer. */
export interface ComputeFi {
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** Signs and sends; absent for read-only use. */
  readonly walletClient?: WalletClient<Transport, Chain, Account>;
  readonly deployments: Deployments;
  readonly core: CoreAddresses;
}

export interface ConnectOptions {
  /** The JSON-RPC endpoint. */
  rpcUrl: string;
  /** The chain's deployments file, already loaded (`loadDeployments`). */
  deployments: Deployments;
  /** The signer's key (`0x` + 64 hex digits); leave out for read-only use. */
  privateKey?: Hex;
  /** How often to poll for receipts and events; viem's default is 4 s, a devnode mines at once. */
  pollingIntervalMs?: number;
}

/** A chain viem does not know, declared from the deployment (the devnode is one). */
export function chainFor(deployments: Deployments, rpcUrl: string): Chain {
  return defineChain({
    id: deployments.chainId,
    name: `chain ${deployments.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Connects to the deployment at `rpcUrl`; checks that the node serves the deployment's chain. */
export async function connect(options: ConnectOptions): Promise<ComputeFi> {
  const chain = chainFor(options.deployments, options.rpcUrl);
  const pollingInterval = options.pollingIntervalMs ?? 1_000;
  const transport = http(options.rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch (cause) {
    throw wrap(`reaching ${options.rpcUrl}`, cause, { rpcUrl: options.rpcUrl });
  }
  if (chainId !== options.deployments.chainId) {
    throw new ComputeFiError(
      "deployment",
      `${options.rpcUrl} serves chain ${chainId}, but the deployments file is for chain ${options.deployments.chainId}`,
      { context: { rpcUrl: options.rpcUrl, chainId, expected: options.deployments.chainId } },
    );
  }
  const base = { chain, publicClient, deployments: options.deployments, core: coreAddresses(options.deployments) };
  if (options.privateKey === undefined) return base;
  return withSigner(base, options.privateKey, pollingInterval);
}

/** The same connection, signing with `privateKey`. */
export function withSigner(cf: ComputeFi, privateKey: Hex, pollingIntervalMs = 1_000): ComputeFi {
  let account: Account;
  try {
    account = privateKeyToAccount(privateKey);
  } catch (cause) {
    throw new ComputeFiError("input", "the private key is not 32 bytes of 0x-hex", { cause });
  }
  const transport = http(cf.chain.rpcUrls.default.http[0]);
  const walletClient = createWalletClient({ chain: cf.chain, transport, account, pollingInterval: pollingIntervalMs });
  return { ...cf, walletClient };
}

/** The signer, or an error saying that `what` needs one. */
export function signer(cf: ComputeFi, what: string): WalletClient<Transport, Chain, Account> {
  if (cf.walletClient === undefined) {
    throw new ComputeFiError("input", `${what} sends a transaction: connect with a private key`, { context: { what } });
  }
  return cf.walletClient;
}

/**
 * Sends a transaction that was simulated first (`send` is typically
 * `() => wallet.writeContract(request)`), waits for its receipt and fails
 * unless it succeeded.
 */
export async function submit(
  cf: ComputeFi,
  what: string,
  send: () => Promise<Hex>,
  context: Record<string, unknown> = {},
): Promise<TransactionReceipt> {
  let hash: Hex;
  try {
    hash = await send();
  } catch (cause) {
    throw wrap(`sending ${what}`, cause, context);
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await cf.publicClient.waitForTransactionReceipt({ hash });
  } catch (cause) {
    throw wrap(`waiting for ${what} (${hash})`, cause, { ...context, hash });
  }
  if (receipt.status !== "success") {
    throw new ComputeFiError("revert", `${what}: transaction ${hash} reverted`, { context: { ...context, hash } });
  }
  return receipt;
}
