#!/usr/bin/env bash
# Regenerates the EVM test doubles (fixtures/*.bin)
# from fixtures/TestDoubles.sol with pinned solc and
# OpenZeppelin Contracts from npm. The compiled bytecode is committed so that
# tests need no Solidity toolchain; rerun this after editing the source.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="$root/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent solc@0.8.28 @openzeppelin/contracts@5.1.0
cp "$fixtures/TestDoubles.sol" .
node_modules/.bin/solcjs --bin --optimize --base-path . --include-path node_modules -o out TestDoubles.sol
for name in TestToken TestYieldSource Forwarder DelegateProxy HookToken TestNft CallbackProbe; do
  cp "out/TestDoubles_sol_$name.bin" "$fixtures/$name.bin"
done
echo "wrote $(ls "$fixtures"/*.bin | wc -l) fixtures to $fixtures"
