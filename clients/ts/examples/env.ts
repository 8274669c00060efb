// Shared set-up of the examples: where the chain and its deployments file
// are, and who signs. Everything comes from the environment:
//
//   COMPUTE_FI_RPC_URL      the node (default http://127.0.0.1:8547, the devnode)
//   COMPUTE_FI_DEPLOYMENTS  the deployments file or its directory (default ../../deployments,
//                           where `computefi-deploy` writes from the repository root)
//   COMPUTE_FI_COMMUNITY    the community's name (may be left out when there is one)
//   PRIVATE_KEY             the signer, for examples that send transactions
import { connect, community, loadDeployments, type Community, type ComputeFi } from "../src/index.js";
import type { Hex } from "viem";

export interface Setup {
  cf: ComputeFi;
  community: Community & { name: string };
}

export async function setup(options: { signer: boolean }): Promise<Setup> {
  const rpcUrl = process.env["COMPUTE_FI_RPC_URL"] ?? "http://127.0.0.1:8547";
  const path = process.env["COMPUTE_FI_DEPLOYMENTS"] ?? new URL("../../../../deployments", import.meta.url).pathname;
  // A directory needs the chain id: ask the node.
  const chainId = path.endsWith(".json") ? undefined : await chainIdOf(rpcUrl);
  const deployments = await loadDeployments(path, chainId);
  const privateKey = process.env["PRIVATE_KEY"] as Hex | undefined;
  if (options.signer && privateKey === undefined) throw new Error("set PRIVATE_KEY to the signer's key (0x + 64 hex digits)");
  const cf = await connect({ rpcUrl, deployments, pollingIntervalMs: 250, ...(options.signer ? { privateKey } : {}) });
  return { cf, community: community(deployments, process.env["COMPUTE_FI_COMMUNITY"]) };
}

async function chainIdOf(rpcUrl: string): Promise<number> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  });
  const body = (await response.json()) as { result?: string };
  if (typeof body.result !== "string") throw new Error(`${rpcUrl} did not answer eth_chainId`);
  return Number(BigInt(body.result));
}

/** Runs an example's main, printing a typed error's message and context instead of a stack. */
export function main(run: () => Promise<void>): void {
  run().catch((e: unknown) => {
    const context = (e as { context?: unknown }).context;
    console.error(e instanceof Error ? `error: ${e.message}` : e);
    if (context !== undefined) console.error(context);
    process.exit(1);
  });
}
