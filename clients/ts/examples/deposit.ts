// Deposits into the community's vault: approves the asset when needed, then
// `vault.deposit`. The yield of the deposit becomes the community AI's credits.
//
//   PRIVATE_KEY=0x... node dist/examples/deposit.js 0.1     # 0.1 of the asset (18 decimals)
import { formatEther, parseEther } from "viem";

import { deposit } from "../src/index.js";
import { main, setup } from "./env.js";

main(async () => {
  const amount = parseEther(process.argv[2] ?? "0.1");
  const { cf, community } = await setup({ signer: true });
  const done = await deposit(cf, { vault: community.vault, amount });
  if (done.approveTx) console.log(`approved: ${done.approveTx}`);
  console.log(`deposited ${formatEther(amount)} into ${community.name}'s vault: ${done.depositTx}`);
  console.log(`principal ${formatEther(done.position.principal)}, yield goes to ${done.position.beneficiary}`);
});
