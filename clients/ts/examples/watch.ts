// Waits until a request ends (settled or refunded; a disputed request waits
// for the arbiter, or a refund after the dispute window) and prints its
// output, read from the `Fulfilled` event that carries the settled hash: as
// text when it is plain UTF-8, else as hex (a sealed answer: see open.js).
//
//   node dist/examples/watch.js <request id> [from block]
import { hexToBytes, hexToString } from "viem";

import { waitForResult } from "../src/index.js";
import { main, setup } from "./env.js";

main(async () => {
  const [id, from] = process.argv.slice(2);
  if (id === undefined) throw new Error("usage: watch.js <request id> [from block]");
  const { cf } = await setup({ signer: false });
  const outcome = await waitForResult(cf, {
    id: BigInt(id),
    ...(from === undefined ? {} : { fromBlock: BigInt(from) }),
    onFulfilled: (f) => console.log(`slot ${f.slot} fulfilled by ${f.provider} (${f.outputTokens} tokens)`),
    onDisputed: (windowEnds) => console.log(`disputed: the results disagree; the arbiter resolves it before ${windowEnds}, or it is refunded after`),
  });
  console.log(`request ${id}: ${outcome.status}, output hash ${outcome.outputHash}`);
  if (outcome.output === "0x" && outcome.outputUri !== "0x") {
    console.log(`output by URI: ${hexToString(outcome.outputUri)}`);
    return;
  }
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(hexToBytes(outcome.output));
  } catch {
    text = undefined;
  }
  const sealed = outcome.output.startsWith("0x01") && outcome.output.length >= 2 + 2 * 49;
  console.log(sealed || text === undefined ? `output (hex): ${outcome.output}` : `output: ${text}`);
});
