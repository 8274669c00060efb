import { BaseError, ContractFunctionRevertedError } from "viem";

/** What went wrong, as a stable string a caller can switch on. */
export type ErrorCode =
  /** A deployments file is missing, unreadable or malformed. */
  | "deployment"
  /** An argument is out of range or inconsistent. */
  | "input"
  /** The chain answered something the client cannot use (a missing event, a short reply). */
  | "chain"
  /** A contract would revert (or reverted): see `revert`. */
  | "revert"
  /** The payer cannot pay or the key holder's quota is spent. */
  | "funds"
  /** A wait ran out of time or was aborted. */
  | "timeout"
  /** A sealed message could not be sealed or opened: see `SealError.kind`. */
  | "sealing";

/** A decoded custom error of a contract, e.g. `QuotaExceeded(left, needed)`. */
export interface Revert {
  /** The error's name in the ABI, when the ABI knows it. */
  name?: string;
  /** Its arguments, in ABI order. */
  args: readonly unknown[];
  /** viem's short message. */
  message: string;
}

/** Every error this package throws: a code, a message with context, and the cause. */
export class ComputeFiError extends Error {
  override readonly name: string = "ComputeFiError";
  readonly code: ErrorCode;
  /** What the client was doing and with what (addresses, ids, amounts). */
  readonly context: Readonly<Record<string, unknown>>;
  /** The contract's decoded error, for `code === "revert"`. */
  readonly revert?: Revert;

  constructor(
    code: ErrorCode,
    message: string,
    options: { context?: Record<string, unknown>; cause?: unknown; revert?: Revert } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    if (options.revert !== undefined) this.revert = options.revert;
  }
}

/** The decoded custom error inside a viem error, if there is one. */
export function decodeRevert(error: unknown): Revert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const revert: Revert = { args: reverted.data?.args ?? [], message: reverted.shortMessage };
  if (reverted.data?.errorName !== undefined) revert.name = reverted.data.errorName;
  return revert;
}

/**
 * Wraps a failure of `what`: a contract revert keeps its decoded error
 * (`QuotaExceeded(...)`), anything else keeps viem's error as the cause.
 */
export function wrap(what: string, error: unknown, context: Record<string, unknown> = {}): ComputeFiError {
  if (error instanceof ComputeFiError) return error;
  const revert = decodeRevert(error);
  if (revert !== undefined) {
    const args = revert.args.map(String).join(", ");
    const shown = revert.name === undefined ? revert.message : `${revert.name}(${args})`;
    return new ComputeFiError("revert", `${what} would revert: ${shown}`, { context, cause: error, revert });
  }
  const detail = error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return new ComputeFiError("chain", `${what} failed: ${detail}`, { context, cause: error });
}

/** Runs a read or a simulation, turning its failure into a typed error about `what`. */
export async function attempt<T>(what: string, context: Record<string, unknown>, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (cause) {
    throw wrap(what, cause, context);
  }
}
