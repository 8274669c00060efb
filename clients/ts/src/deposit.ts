import { erc20Abi, zeroAddress, type Address, type Hex } from "viem";

import { vaultAbi } from "./abis.js";
import { signer, submit, type ComputeFi } from "./client.js";
import { attempt as read, ComputeFiError } from "./errors.js";
import { named } from "./outputs.js";

/** A member's position in a vault (`positionOf`). */
export interface Position {
  /** Principal, in base units of the asset (= vault shares). */
  principal: bigint;
  /** What a withdrawal pays now (less than the principal only while the source has lost value). */
  withdrawable: bigint;
  /** Credits accrued and not yet claimed to the beneficiary. */
  pendingCredits: bigint;
  /** Unix time the position unlocks. */
  unlockAt: bigint;
  /** Who receives the position's yield as credits. */
  beneficiary: Address;
}

export interface DepositOptions {
  /** The vault (a community's: `community(deployments).vault`). */
  vault: Address;
  /** How much of the asset to deposit, in base units. */
  amount: bigint;
  /** Who receives the yield; left out: keep the current one (the member by default; fixed in a community vault). */
  beneficiary?: Address;
  /** Lock the whole position for this long (locks only extend). */
  lockSeconds?: bigint;
}

export interface DepositResult {
  /** The approval, when the allowance was short. */
  approveTx?: Hex;
  depositTx: Hex;
  /** The member's position after the deposit. */
  position: Position;
}

/** Approves the vault for the asset when needed, then deposits `amount`. */
export async function deposit(cf: ComputeFi, options: DepositOptions): Promise<DepositResult> {
  const wallet = signer(cf, "deposit");
  const member = wallet.account.address;
  const { vault, amount } = options;
  const context = { vault, member, amount };
  if (amount <= 0n) throw new ComputeFiError("input", "a deposit must be positive", { context });
  const { asset } = named(
    vaultAbi,
    "wiring",
    await read("vault.wiring", context, () =>
      cf.publicClient.readContract({ address: vault, abi: vaultAbi, functionName: "wiring" }),
    ),
  );
  const [balance, allowance] = await read("reading the asset", { ...context, asset }, () =>
    Promise.all([
      cf.publicClient.readContract({ address: asset, abi: erc20Abi, functionName: "balanceOf", args: [member] }),
      cf.publicClient.readContract({ address: asset, abi: erc20Abi, functionName: "allowance", args: [member, vault] }),
    ]),
  );
  if (balance < amount) {
    throw new ComputeFiError("funds", `${member} holds ${balance} of the asset, ${amount} needed`, {
      context: { ...context, asset, balance },
    });
  }
  const result: Partial<DepositResult> = {};
  if (allowance < amount) {
    const { request } = await read("asset.approve", context, () =>
      cf.publicClient.simulateContract({
        account: wallet.account,
        address: asset,
        abi: erc20Abi,
        functionName: "approve",
        args: [vault, amount],
      }),
    );
    result.approveTx = (await submit(cf, "asset.approve", () => wallet.writeContract(request), context)).transactionHash;
  }
  const { request } = await read("vault.deposit", context, () =>
    cf.publicClient.simulateContract({
      account: wallet.account,
      address: vault,
      abi: vaultAbi,
      functionName: "deposit",
      args: [amount, options.beneficiary ?? zeroAddress, options.lockSeconds ?? 0n],
    }),
  );
  const receipt = await submit(cf, "vault.deposit", () => wallet.writeContract(request), context);
  return { ...result, depositTx: receipt.transactionHash, position: await positionOf(cf, vault, member) };
}

/** A member's position in `vault`. */
export async function positionOf(cf: ComputeFi, vault: Address, member: Address): Promise<Position> {
  const position = await read("vault.positionOf", { vault, member }, () =>
    cf.publicClient.readContract({ address: vault, abi: vaultAbi, functionName: "positionOf", args: [member] }),
  );
  const { principal, withdrawable, credits, unlockAt, beneficiary } = named(vaultAbi, "positionOf", position);
  return { principal, withdrawable, pendingCredits: credits, unlockAt, beneficiary };
}
