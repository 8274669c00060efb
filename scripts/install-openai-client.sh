#!/usr/bin/env bash
# Installs the official `openai` Python client (pinned, from PyPI) into the
# project's cache and prints the folder to put on PYTHONPATH. Idempotent;
# the worker's chat API test runs OpenAI's own SDK against the worker with
# it.
#
# Usage: scripts/install-openai-client.sh     # prints the folder
# Env:   COMPUTEFI_PY_DIR   cache folder (default ~/.cache/compute-fi/python)
set -euo pipefail

readonly version="3.60.0"
dir="${COMPUTEFI_PY_DIR:-${HOME}/.cache/compute-fi/python}/openai-${version}"

if [[ -f "${dir}/.complete" ]]; then
    echo "${dir}"
    exit 0
fi
# Installed beside, then moved in whole: an interrupted install never
# passes as a complete one.
rm -rf "${dir}.partial"
python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --root-user-action=ignore \
    --target "${dir}.partial" "openai==${version}" >&2
touch "${dir}.partial/.complete"
rm -rf "${dir}"
mv "${dir}.partial" "${dir}"
echo "${dir}"
