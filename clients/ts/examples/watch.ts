// Waits until a request ends (settled, disputed or refunded) and prints its
// output: as text when it is plain UTF-8, else as hex (a sealed answer: see open.js).
//
//   node dist/examples/watch.js <request id> [from block]
import { hexToBytes } from "viem";

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
  });
  console.log(`request ${id}: ${outcome.status}, output hash ${outcome.outputHash}`);
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(hexToBytes(outcome.output));
  } catch {
    text = undefined;
  }
  const sealed = outcome.output.startsWith("0x01") && outcome.output.length >= 2 + 2 * 49;
  console.log(sealed || text === undefined ? `output (hex): ${outcome.output}` : `output: ${text}`);
});
