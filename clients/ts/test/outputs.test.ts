// `named`: a contract call's outputs by their ABI names, typed from the ABI.
import assert from "node:assert/strict";
import { test } from "node:test";
import { zeroAddress, type Abi } from "viem";

import * as abis from "../src/abis.js";
import { ComputeFiError, named, oracleBridgeAbi, vaultAbi } from "../src/index.js";

test("outputs are keyed by their ABI names, in the ABI's order", () => {
  const position = named(vaultAbi, "positionOf", [1n, 2n, 3n, 4n, zeroAddress] as const);
  assert.deepEqual(position, { principal: 1n, withdrawable: 2n, credits: 3n, unlockAt: 4n, beneficiary: zeroAddress });
  // The object is typed from the ABI: a field that does not exist does not compile.
  const principal: bigint = position.principal;
  // @ts-expect-error: positionOf has no output called `amount`
  assert.equal(position.amount, undefined);
  assert.equal(principal, 1n);
  const { status, outputHash } = named(oracleBridgeAbi, "result", [2, `0x${"ab".repeat(32)}`] as const);
  assert.equal(status, 2);
  assert.equal(outputHash, `0x${"ab".repeat(32)}`);
});

test("every multi-value function of the exported ABIs names all its outputs", () => {
  const all = Object.entries(abis).filter(([, abi]) => Array.isArray(abi));
  assert.ok(all.length >= 11, `${all.length} ABIs`);
  for (const [name, abi] of all) {
    for (const item of abi as Abi) {
      if (item.type !== "function" || item.outputs.length < 2) continue;
      for (const output of item.outputs) assert.ok(output.name, `${name}.${item.name} has an unnamed output`);
    }
  }
});

test("a count that differs, an unknown function or an unnamed output is refused", () => {
  assert.throws(() => named(vaultAbi, "positionOf", [1n, 2n]), ComputeFiError);
  // @ts-expect-error: not a function of the vault
  assert.throws(() => named(vaultAbi, "noSuchFunction", []), ComputeFiError);
  const unnamed = [
    { type: "function", name: "pair", inputs: [], outputs: [{ type: "uint256", name: "" }, { type: "uint256", name: "b" }], stateMutability: "view" },
  ] as const satisfies Abi;
  assert.throws(() => named(unnamed, "pair", [1n, 2n]), /has no name/);
});
