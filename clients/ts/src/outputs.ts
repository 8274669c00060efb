// Reading a contract call's outputs by name instead of by position.
//
// viem returns a function's outputs as an array when there are several, so a
// reader would write `request[5]` and a reordering in the contract would
// silently change what it reads. Every multi-value function of the exported
// ABIs names its outputs (`cargo xtask abi` takes the names from the
// contracts' sources), and `named` turns the array into an object with those
// names, typed from the `as const` ABI.
import type { Abi, AbiParameterToPrimitiveType, ContractFunctionName, ExtractAbiItem } from "viem";
import { ComputeFiError } from "./errors.js";

/** The outputs of `fn` of `abi` as an object keyed by their ABI names. */
export type NamedOutputs<abi extends Abi, fn extends ContractFunctionName<abi>> = {
  [P in Extract<ExtractAbiItem<abi, fn>, { type: "function" }>["outputs"][number] as P["name"] &
    string]: AbiParameterToPrimitiveType<P>;
};

/**
 * The outputs `values` of `functionName` of `abi` (as viem returns them) as an
 * object keyed by their names in the ABI.
 *
 * @throws ComputeFiError ("input") when the function is not in the ABI, an
 * output has no name, or the number of values differs from the outputs.
 */
export function named<const abi extends Abi, fn extends ContractFunctionName<abi>>(
  abi: abi,
  functionName: fn,
  values: readonly unknown[],
): NamedOutputs<abi, fn> {
  const item = abi.find((entry) => entry.type === "function" && entry.name === functionName);
  if (item === undefined || item.type !== "function") {
    throw new ComputeFiError("input", `the ABI has no function ${functionName}`, { context: { functionName } });
  }
  if (item.outputs.length !== values.length) {
    throw new ComputeFiError(
      "input",
      `${functionName} returns ${item.outputs.length} values, ${values.length} given`,
      { context: { functionName } },
    );
  }
  const out: Record<string, unknown> = {};
  item.outputs.forEach((output, i) => {
    if (!output.name) {
      throw new ComputeFiError("input", `output ${i} of ${functionName} has no name in the ABI`, {
        context: { functionName },
      });
    }
    out[output.name] = values[i];
  });
  return out as NamedOutputs<abi, fn>;
}
