/**
 * `@compute-fi/client`: typed ABIs for viem and the key-holder flows of
 * Compute-Fi: deposit into a vault, read credits, ask a community's AI as a
 * key holder (optionally with a sealed prompt), wait for the result, open a
 * sealed answer.
 */
export * from "./abis.js";
export * from "./ask.js";
export * from "./client.js";
export * from "./credits.js";
export * from "./deployments.js";
export * from "./deposit.js";
export * from "./errors.js";
export * from "./outputs.js";
export * from "./sealing.js";
export * from "./sessions.js";
export * from "./watch.js";
