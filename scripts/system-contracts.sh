#!/usr/bin/env bash
# Regenerates the runtime code of the devnode's system contracts
# (offchain/devnode/src/system/*.bin) from offchain/devnode/contracts/*.sol with pinned solc
# from npm. The devnode installs runtime code directly at fixed addresses
# (no deployment transaction), so this takes the deployed bytecode, not the
# init code. The output is committed so that building the devnode needs no
# Solidity toolchain; rerun this after editing a contract.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
contracts="$root/offchain/devnode/contracts"
out="$root/offchain/devnode/src/system"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent solc@0.8.28
cp "$contracts/StylusDeployer.sol" .
# solcjs has no --bin-runtime: ask for the deployed bytecode through the
# standard-JSON interface. No metadata hash, so the bytes depend only on the
# source and these settings.
cat >input.json <<'JSON'
{
  "language": "Solidity",
  "sources": { "StylusDeployer.sol": { "urls": ["StylusDeployer.sol"] } },
  "settings": {
    "optimizer": { "enabled": true, "runs": 200 },
    "evmVersion": "cancun",
    "metadata": { "bytecodeHash": "none" },
    "outputSelection": { "*": { "*": ["evm.deployedBytecode.object"] } }
  }
}
JSON
node -e '
  const fs = require("fs");
  const solc = require("solc");
  const input = JSON.parse(fs.readFileSync("input.json", "utf8"));
  for (const name of Object.keys(input.sources)) {
    input.sources[name] = { content: fs.readFileSync(name, "utf8") };
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    for (const e of errors) console.error(e.formattedMessage);
    process.exit(1);
  }
  const code = output.contracts["StylusDeployer.sol"].StylusDeployer.evm.deployedBytecode.object;
  fs.writeFileSync(process.argv[1], code + "\n");
' "$out/stylus_deployer.bin"
echo "wrote $out/stylus_deployer.bin ($(( $(wc -c <"$out/stylus_deployer.bin") / 2 )) bytes)"
