// The whole key-holder flow against a live chain with the Compute-Fi
// contracts and a community, as deploy/tests/ts_client.rs sets it up:
//
//   member deposits -> the source gains -> harvest + claim credit the AI's account
//   -> a provider bonds and serves the model with its X25519 key
//   -> a key holder asks with a sealed prompt -> the provider claims, opens the
//   prompt, fulfils with a sealed answer -> the holder watches and opens it.
//
// The Rust test checks the report this writes (COMPUTE_FI_REPORT) against
// the chain and opens both sealed messages with the Rust crate.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { test } from "node:test";

import { bytesToHex, erc20Abi, parseAbi, parseEther, zeroHash, type Address, type Hex } from "viem";

import {
  ask,
  community,
  ComputeFiError,
  connect,
  creditsOf,
  deposit,
  inferenceRegistryAbi,
  Keypair,
  loadDeployments,
  oracleBridgeAbi,
  outputOf,
  promptContext,
  answerContext,
  seal,
  submit,
  vaultAbi,
  waitForResult,
  withSigner,
  type ComputeFi,
} from "../src/index.js";

/** The development chain's test doubles (not in abi/: they are not project contracts). */
const testDoublesAbi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function simulateGain(uint256 amount)",
]);

const ENV = [
  "RPC_URL",
  "DEPLOYMENTS",
  "COMMUNITY",
  "MEMBER_KEY",
  "HOLDER_KEY",
  "PROVIDER_KEY",
  "PROVIDER_SEED",
  "REQUESTER_SEED",
  "REPORT",
] as const;
const env = Object.fromEntries(ENV.map((k) => [k, process.env[`COMPUTE_FI_${k}`]])) as Record<
  (typeof ENV)[number],
  string | undefined
>;
const missing = ENV.filter((k) => env[k] === undefined);

function must(name: (typeof ENV)[number]): string {
  const value = env[name];
  if (value === undefined) throw new Error(`COMPUTE_FI_${name} is not set`);
  return value;
}

const PROMPT = "What does our community value most?";
const ANSWER = "Principal stays yours; only the yield buys compute.";
const DEPOSIT = parseEther("1");
const GAIN = parseEther("0.01");
// The minimum bond (1) must stay free beside each lease's collateral.
const BOND = parseEther("2");

/** Sends one call as `cf`'s signer after simulating it. */
async function call(cf: ComputeFi, what: string, params: Parameters<ComputeFi["publicClient"]["simulateContract"]>[0]) {
  const wallet = cf.walletClient;
  assert.ok(wallet, "a signer");
  const { request, result } = await cf.publicClient.simulateContract({ ...params, account: wallet.account });
  const receipt = await submit(cf, what, () => wallet.writeContract(request));
  return { result, receipt };
}

test(
  "deposit, credits, ask with a sealed prompt, provider answers, watch, open",
  { skip: missing.length > 0 ? `set ${missing.map((k) => `COMPUTE_FI_${k}`).join(", ")}` : false, timeout: 120_000 },
  async () => {
    const deployments = await loadDeployments(must("DEPLOYMENTS"));
    const base = await connect({ rpcUrl: must("RPC_URL"), deployments, pollingIntervalMs: 50 });
    const member = withSigner(base, must("MEMBER_KEY") as Hex, 50);
    const holder = withSigner(base, must("HOLDER_KEY") as Hex, 50);
    const provider = withSigner(base, must("PROVIDER_KEY") as Hex, 50);
    const c = community(deployments, must("COMMUNITY"));
    const { asset, source, registry, bridge } = base.core;
    const memberAddress = member.walletClient!.account.address;
    const holderAddress = holder.walletClient!.account.address;
    const providerAddress = provider.walletClient!.account.address;

    // 1. A member deposits (the asset is the devnode's open-mint test double).
    await call(member, "asset.mint", { address: asset, abi: testDoublesAbi, functionName: "mint", args: [memberAddress, DEPOSIT] });
    const deposited = await deposit(member, { vault: c.vault, amount: DEPOSIT });
    assert.ok(deposited.approveTx, "the first deposit approves");
    assert.equal(deposited.position.principal, DEPOSIT);
    assert.equal(deposited.position.beneficiary.toLowerCase(), c.account.toLowerCase(), "the community vault pays the AI");

    // 2. The source earns; a harvest and a claim turn the yield into the AI's credits.
    const before = await creditsOf(base, c.account);
    await call(member, "source.simulateGain", { address: source, abi: testDoublesAbi, functionName: "simulateGain", args: [GAIN] });
    await call(member, "vault.harvest", { address: c.vault, abi: vaultAbi, functionName: "harvest", args: [] });
    await call(member, "vault.claim", { address: c.vault, abi: vaultAbi, functionName: "claim", args: [memberAddress] });
    const credited = await creditsOf(base, c.account);
    assert.ok(credited.spendable > before.spendable, `the AI's account got credits: ${credited.spendable}`);
    assert.ok(credited.spendable <= before.spendable + GAIN, "never more than the yield");

    // 3. A provider bonds, publishes its X25519 key and serves the model.
    const providerKey = await Keypair.fromSeed(must("PROVIDER_SEED") as Hex);
    await call(provider, "asset.mint", { address: asset, abi: testDoublesAbi, functionName: "mint", args: [providerAddress, BOND] });
    await call(provider, "asset.approve", { address: asset, abi: erc20Abi, functionName: "approve", args: [registry, BOND] });
    await call(provider, "registry.registerProvider", {
      address: registry,
      abi: inferenceRegistryAbi,
      functionName: "registerProvider",
      args: [BOND, providerKey.publicKey, "http://provider.test"],
    });
    await call(provider, "registry.setServing", {
      address: registry,
      abi: inferenceRegistryAbi,
      functionName: "setServing",
      args: [c.model, true],
    });

    // 4. Someone without a key is refused before anything is sent; a key
    //    that is not theirs is refused by the bridge, decoded by name.
    await assert.rejects(ask(member, { community: c, prompt: PROMPT, maxOutputTokens: 64 }), { code: "input" });
    await assert.rejects(
      ask(member, { community: c, prompt: PROMPT, maxOutputTokens: 64, keyToken: 1n }),
      (e: unknown) => e instanceof ComputeFiError && e.code === "revert" && e.revert?.name === "NotAuthorized",
    );

    // 5. The key holder asks, the prompt sealed to the provider.
    const requesterKey = await Keypair.fromSeed(must("REQUESTER_SEED") as Hex);
    const asked = await ask(holder, {
      community: c,
      prompt: PROMPT,
      maxOutputTokens: 64,
      sealTo: providerAddress,
      requesterKey,
    });
    assert.ok(asked.encrypted);
    const watching = waitForResult(holder, { id: asked.id, fromBlock: asked.blockNumber, timeoutMs: 60_000, pollIntervalMs: 50 });

    // 6. The provider reads the request, opens the prompt, claims and fulfils with a sealed answer.
    const [requested] = await base.publicClient.getContractEvents({
      address: bridge,
      abi: oracleBridgeAbi,
      eventName: "Requested",
      args: { id: asked.id },
      fromBlock: asked.blockNumber,
      toBlock: asked.blockNumber,
    });
    assert.ok(requested, "the Requested event");
    const r = requested.args;
    assert.equal(r.requesterKey, requesterKey.publicKey);
    assert.equal(r.encrypted, true);
    assert.ok(r.prompt !== undefined && r.inputTokens !== undefined);
    assert.ok(r.payer !== undefined && r.requester !== undefined && r.deadline !== undefined);
    // The provider opens with the request's own place, read from the event.
    const place = {
      chainId: base.chain.id,
      bridge,
      model: c.model,
      payer: r.payer,
      requester: r.requester,
      requesterKey: r.requesterKey,
      deadline: r.deadline,
    };
    const opened = await providerKey.openText("prompt", promptContext(place), r.prompt);
    assert.equal(opened, PROMPT);
    const claimed = await call(provider, "bridge.claim", { address: bridge, abi: oracleBridgeAbi, functionName: "claim", args: [asked.id] });
    const slot = claimed.result as number;
    const sealedAnswer = await seal(r.requesterKey ?? zeroHash, "answer", answerContext(base.chain.id, bridge, asked.id), ANSWER);
    const outputTokens = 12;
    await call(provider, "bridge.fulfil", {
      address: bridge,
      abi: oracleBridgeAbi,
      functionName: "fulfil",
      // Redundancy 1: nothing was committed, so no salt.
      args: [asked.id, slot, bytesToHex(sealedAnswer), zeroHash, "0x", r.inputTokens, outputTokens, zeroHash],
    });

    // 7. The holder sees it end and opens the answer.
    const outcome = await watching;
    assert.equal(outcome.status, "settled");
    assert.equal(outcome.output, bytesToHex(sealedAnswer));
    assert.equal(outcome.fulfilments.length, 1);
    assert.equal(outcome.fulfilments[0]?.provider.toLowerCase(), providerAddress.toLowerCase());
    assert.equal(outcome.delivery?.provider.toLowerCase(), providerAddress.toLowerCase());
    // The bridge keeps only the hash: the output is read from the Fulfilled event that carries it.
    const settled = await outputOf(base, asked.id, { fromBlock: asked.blockNumber });
    assert.equal(settled.output, outcome.output);
    assert.equal(settled.outputHash, outcome.outputHash);
    const answer = await requesterKey.openText("answer", answerContext(base.chain.id, bridge, asked.id), outcome.output);
    assert.equal(answer, ANSWER);

    const after = await creditsOf(base, c.account);
    const earned = (await creditsOf(base, providerAddress)).earned;
    assert.equal(earned, outcome.paid);
    assert.equal(after.spendable, credited.spendable - earned, "the payer paid exactly the cost");

    const report = {
      chainId: base.chain.id,
      bridge,
      member: memberAddress,
      holder: holderAddress,
      provider: providerAddress,
      deposited: DEPOSIT.toString(),
      creditsAfterHarvest: credited.spendable.toString(),
      creditsAfterAnswer: after.spendable.toString(),
      providerEarned: earned.toString(),
      id: asked.id.toString(),
      model: c.model,
      keyToken: asked.keyToken.toString(),
      maxCost: asked.maxCost.toString(),
      status: outcome.status,
      refunded: outcome.refunded?.toString(),
      sealedPrompt: r.prompt,
      // The sealed prompt's place beyond what the report already names.
      payer: r.payer,
      requester: r.requester,
      requesterKey: r.requesterKey,
      deadline: r.deadline?.toString(),
      sealedAnswer: outcome.output,
      prompt: opened,
      answer,
    };
    await writeFile(must("REPORT"), JSON.stringify(report, null, 2));
  },
);
