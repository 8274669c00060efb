import type { Address } from "viem";

import { computeCreditsAbi } from "./abis.js";
import type { ComputeFi } from "./client.js";
import { attempt as read } from "./errors.js";

/** An account's credits on the ledger, in base units of the asset. */
export interface Credits {
  /** Spendable on compute only (never cashed out): what requests escrow. */
  spendable: bigint;
  /** Provider revenue, redeemable for the asset. */
  earned: bigint;
}

/** The spendable and earned credits of `account`. */
export async function creditsOf(cf: ComputeFi, account: Address): Promise<Credits> {
  const ledger = cf.core.ledger;
  const [spendable, earned] = await read("reading credits", { ledger, account }, () =>
    Promise.all([
      cf.publicClient.readContract({ address: ledger, abi: computeCreditsAbi, functionName: "spendableOf", args: [account] }),
      cf.publicClient.readContract({ address: ledger, abi: computeCreditsAbi, functionName: "earnedOf", args: [account] }),
    ]),
  );
  return { spendable, earned };
}
