// viem against the devnode, as a dApp frontend would use it. Run by
// offchain/devnode/tests/it/clients.rs, which deploys the contracts first and checks
// every number printed here against the node itself.
//
// Usage: node viem-smoke.mjs <rpc-url> <private-key> <token> <ledger>
//                            <recipient> <mint> <top-up>
//
// `token` is the TestToken (an OpenZeppelin ERC-20 with a public `mint`),
// `ledger` the project's Stylus compute-credits ledger constructed with the
// token as its asset. The script mints `mint` tokens to the key's account,
// approves and tops up `top-up` credits for `recipient` on the Stylus
// ledger, reads the results back, filters the logs, and provokes a typed
// Stylus error. It prints exactly one JSON line; bigints become decimal
// strings. Any failure throws, so the exit status is non-zero.

import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseAbi,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [rpcUrl, privateKey, token, ledger, recipient, mintArg, topUpArg] = process.argv.slice(2);
if (topUpArg === undefined) {
  throw new Error("usage: viem-smoke.mjs <rpc> <key> <token> <ledger> <recipient> <mint> <top-up>");
}
const mint = BigInt(mintArg);
const topUp = BigInt(topUpArg);

// The devnode's chain, declared the way a dApp declares an unknown chain.
const devnode = defineChain({
  id: 412346,
  name: "Stylus devnode",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});

const tokenAbi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function balanceOf(address account) view returns (uint256)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
]);

// Fragments of abi/compute-credits.sol with named parameters, so that viem
// can decode the ledger's custom errors by name.
const ledgerAbi = parseAbi([
  "function topUp(address to, uint256 amount) returns (uint256)",
  "function redeem(uint256 amount, address to)",
  "function spendableOf(address account) view returns (uint256)",
  "event ToppedUp(address indexed payer, address indexed to, uint256 amount)",
  "error InsufficientEarned(address account, uint256 available, uint256 needed)",
]);

const account = privateKeyToAccount(privateKey);
// The node mines on every transaction: poll fast instead of viem's 4 s.
const transport = http(rpcUrl);
const publicClient = createPublicClient({ chain: devnode, transport, pollingInterval: 50 });
const walletClient = createWalletClient({ account, chain: devnode, transport });

/** Sends one signed contract call and waits for its receipt. */
async function send(name, request) {
  const hash = await walletClient.writeContract(request);
  const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
  return { name, hash, status: receipt.status, blockNumber: receipt.blockNumber.toString() };
}

/** The decoded custom error of a call that must revert. */
async function revertOf(request) {
  try {
    await publicClient.simulateContract(request);
  } catch (err) {
    const reverted =
      err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (!reverted) throw err;
    return {
      errorName: reverted.data?.errorName ?? null,
      args: (reverted.data?.args ?? []).map(String),
    };
  }
  throw new Error(`${request.functionName} did not revert`);
}

const chainId = await publicClient.getChainId();
const txs = [
  await send("mint", { address: token, abi: tokenAbi, functionName: "mint", args: [account.address, mint] }),
  await send("approve", { address: token, abi: tokenAbi, functionName: "approve", args: [ledger, topUp] }),
  await send("topUp", { address: ledger, abi: ledgerAbi, functionName: "topUp", args: [recipient, topUp] }),
];

const balance = await publicClient.readContract({
  address: token,
  abi: tokenAbi,
  functionName: "balanceOf",
  args: [account.address],
});
// A read served by the Stylus program.
const spendable = await publicClient.readContract({
  address: ledger,
  abi: ledgerAbi,
  functionName: "spendableOf",
  args: [recipient],
});

// Reads at past blocks (EIP-1898), as dApps and indexers make them: the
// Stylus ledger before the top-up, the token right after the mint.
const topUpBlock = BigInt(txs[2].blockNumber);
const mintBlock = BigInt(txs[0].blockNumber);
const spendableBeforeTopUp = await publicClient.readContract({
  address: ledger,
  abi: ledgerAbi,
  functionName: "spendableOf",
  args: [recipient],
  blockNumber: topUpBlock - 1n,
});
const balanceAtMint = await publicClient.readContract({
  address: token,
  abi: tokenAbi,
  functionName: "balanceOf",
  args: [account.address],
  blockNumber: mintBlock,
});
const ethBeforeMint = await publicClient.getBalance({
  address: account.address,
  blockNumber: mintBlock - 1n,
});

const transfers = await publicClient.getContractEvents({
  address: token,
  abi: tokenAbi,
  eventName: "Transfer",
  fromBlock: 0n,
});
// Logs emitted by the Stylus program, filtered by an indexed argument.
const toppedUp = await publicClient.getLogs({
  address: ledger,
  event: ledgerAbi.find((item) => item.name === "ToppedUp"),
  args: { to: recipient },
  fromBlock: 0n,
});

// Nothing earned yet: redeeming one unit must fail with the typed error.
const revert = await revertOf({
  account,
  address: ledger,
  abi: ledgerAbi,
  functionName: "redeem",
  args: [1n, account.address],
});

console.log(
  JSON.stringify({
    chainId,
    account: account.address,
    txs,
    balance: balance.toString(),
    spendable: spendable.toString(),
    history: {
      spendableBeforeTopUp: spendableBeforeTopUp.toString(),
      balanceAtMint: balanceAtMint.toString(),
      ethBeforeMint: ethBeforeMint.toString(),
    },
    transfers: transfers.map(({ args }) => ({
      from: args.from,
      to: args.to,
      value: args.value.toString(),
    })),
    toppedUp: toppedUp.map(({ args }) => ({
      payer: args.payer,
      to: args.to,
      amount: args.amount.toString(),
    })),
    revert,
  }),
);
