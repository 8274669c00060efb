// Reads credits on the ledger: the community AI's account by default.
//
//   node dist/examples/credits.js [address]
import { formatEther, getAddress } from "viem";

import { creditsOf } from "../src/index.js";
import { main, setup } from "./env.js";

main(async () => {
  const { cf, community } = await setup({ signer: false });
  const account = process.argv[2] === undefined ? community.account : getAddress(process.argv[2]);
  const { spendable, earned } = await creditsOf(cf, account);
  console.log(`account   ${account}${account === community.account ? ` (${community.name}'s AI)` : ""}`);
  console.log(`spendable ${spendable} (${formatEther(spendable)})`);
  console.log(`earned    ${earned} (${formatEther(earned)})`);
});
