import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { community, ComputeFiError, contractAddress, coreAddresses, loadDeployments, modelId, parseDeployments } from "../src/index.js";

// As deploy/src/manifest.rs writes it (alloy writes U256 as 0x-hex).
const SAMPLE = {
  chainId: 412346,
  contracts: Object.fromEntries(
    ["asset", "source", "ledger", "registry", "bridge", "accountImplementation", "erc6551Registry", "aiNft", "access", "sessions"].map((role, i) => [
      role,
      { address: `0x${(i + 1).toString(16).padStart(40, "0")}`, artifact: role, codeHash: `0x${"ab".repeat(32)}` },
    ]),
  ),
  models: { "SmolLM2-135M-Instruct": 1 },
  communities: {
    Test: {
      aiId: "0x1",
      account: "0x00000000000000000000000000000000000000c0",
      vault: "0x00000000000000000000000000000000000000c1",
      keys: "0x00000000000000000000000000000000000000c2",
      model: 1,
      quota: "0x38d7ea4c68000",
      period: 86400,
    },
  },
};

test("a deployments file parses into typed addresses and amounts", async () => {
  const dir = await mkdtemp(join(tmpdir(), "compute-fi-"));
  await writeFile(join(dir, "412346.json"), JSON.stringify(SAMPLE));
  const d = await loadDeployments(dir, 412346);
  assert.equal(d.chainId, 412346);
  assert.equal(coreAddresses(d).bridge, "0x0000000000000000000000000000000000000005");
  assert.equal(contractAddress(d, "aiNft"), "0x0000000000000000000000000000000000000008");
  assert.equal(coreAddresses(d).access, "0x0000000000000000000000000000000000000009");
  const c = community(d);
  assert.equal(c.name, "Test");
  assert.equal(c.quota, 10n ** 15n);
  assert.equal(c.aiId, 1n);
  assert.equal(c.period, 86400n);
  assert.equal(modelId(d, "SmolLM2-135M-Instruct"), 1);
  await assert.rejects(loadDeployments(dir, 1), { code: "deployment" });
  await assert.rejects(loadDeployments(join(dir, "missing.json")), { code: "deployment" });
});

test("malformed files are refused with the field's place", () => {
  const broken = structuredClone(SAMPLE) as Record<string, any>;
  broken["communities"]["Test"]["account"] = "0x123";
  assert.throws(
    () => parseDeployments(broken, "f.json"),
    (e: unknown) => e instanceof ComputeFiError && e.code === "deployment" && e.message.includes("communities.Test.account"),
  );
  assert.throws(() => parseDeployments([], "f.json"), { code: "deployment" });
  assert.throws(() => parseDeployments({ ...SAMPLE, chainId: -1 }), { code: "deployment" });
  const d = parseDeployments(SAMPLE);
  assert.throws(() => community(d, "Other"), { code: "deployment" });
  assert.throws(() => contractAddress({ ...d, contracts: {} }, "bridge"), /run the deploy first/);
  // The inference access contract is a core contract: a file without it is refused by name.
  const { access: _, ...withoutAccess } = d.contracts;
  assert.throws(
    () => coreAddresses({ ...d, contracts: withoutAccess }),
    (e: unknown) => e instanceof ComputeFiError && e.code === "deployment" && e.message.includes("`access`"),
  );
});
