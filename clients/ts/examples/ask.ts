// Asks the community's AI as a holder of one of its keys; the AI's account
// pays. With --seal-to <provider>, the prompt is sealed to that provider's
// X25519 key and the answer will be sealed to a requester key derived from
// REQUESTER_SEED (generated and printed when unset: keep it to open the answer).
//
//   PRIVATE_KEY=0x... node dist/examples/ask.js "What do we value?" [--seal-to 0xProvider]
import { bytesToHex, getAddress, type Hex } from "viem";

import { ask, estimateFee, estimateInputTokens, Keypair } from "../src/index.js";
import { main, setup } from "./env.js";

main(async () => {
  const [prompt, flag, provider] = process.argv.slice(2);
  if (prompt === undefined) throw new Error('usage: ask.js "<prompt>" [--seal-to <provider>]');
  const { cf, community } = await setup({ signer: true });
  const maxOutputTokens = 128;
  const fee = await estimateFee(cf, community.model, estimateInputTokens(prompt), maxOutputTokens);
  console.log(`escrows at most ${fee} credits from ${community.name}'s AI`);

  let requesterKey: Keypair | undefined;
  if (flag === "--seal-to") {
    if (provider === undefined) throw new Error("--seal-to needs the provider's address");
    let seed = process.env["REQUESTER_SEED"] as Hex | undefined;
    if (seed === undefined) {
      seed = bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
      console.log(`REQUESTER_SEED=${seed}   (keep it: it opens the answer)`);
    }
    requesterKey = await Keypair.fromSeed(seed);
  }
  const asked = await ask(cf, {
    community,
    prompt,
    maxOutputTokens,
    ...(requesterKey && provider ? { sealTo: getAddress(provider), requesterKey } : {}),
  });
  console.log(`request ${asked.id} in block ${asked.blockNumber} (${asked.txHash}), key #${asked.keyToken}`);
  console.log(`watch it: node dist/examples/watch.js ${asked.id} ${asked.blockNumber}`);
});
