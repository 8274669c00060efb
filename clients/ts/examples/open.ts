// Opens the sealed answer to a request with the requester key derived from
// REQUESTER_SEED (the seed ask.js printed or was given). The bridge keeps
// only the settled output's hash: the answer is read from the request's
// `Fulfilled` event that carries it (from the request's block when given,
// else from block 0).
//
//   REQUESTER_SEED=0x... node dist/examples/open.js <request id> [from block]
import { hexToString, type Hex } from "viem";

import { Keypair, openAnswer, outputOf } from "../src/index.js";
import { main, setup } from "./env.js";

main(async () => {
  const [id, from] = process.argv.slice(2);
  const seed = process.env["REQUESTER_SEED"] as Hex | undefined;
  if (id === undefined || seed === undefined) throw new Error("usage: REQUESTER_SEED=0x... open.js <request id> [from block]");
  const { cf } = await setup({ signer: false });
  const settled = await outputOf(cf, BigInt(id), from === undefined ? {} : { fromBlock: BigInt(from) });
  if (settled.output === "0x") {
    throw new Error(`request ${id} has no inline output: it was given by URI (${hexToString(settled.outputUri)})`);
  }
  const answer = await openAnswer(cf, await Keypair.fromSeed(seed), BigInt(id), settled.output);
  console.log(answer);
});
