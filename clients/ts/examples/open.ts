// Opens the sealed answer to a request with the requester key derived from
// REQUESTER_SEED (the seed ask.js printed or was given).
//
//   REQUESTER_SEED=0x... node dist/examples/open.js <request id>
import type { Hex } from "viem";

import { Keypair, openAnswer, oracleBridgeAbi } from "../src/index.js";
import { main, setup } from "./env.js";

main(async () => {
  const id = process.argv[2];
  const seed = process.env["REQUESTER_SEED"] as Hex | undefined;
  if (id === undefined || seed === undefined) throw new Error("usage: REQUESTER_SEED=0x... open.js <request id>");
  const { cf } = await setup({ signer: false });
  const output = await cf.publicClient.readContract({
    address: cf.core.bridge,
    abi: oracleBridgeAbi,
    functionName: "output",
    args: [BigInt(id)],
  });
  if (output === "0x") throw new Error(`request ${id} has no inline output (not answered yet, refunded, or given by URI)`);
  const answer = await openAnswer(cf, await Keypair.fromSeed(seed), BigInt(id), output);
  console.log(answer);
});
