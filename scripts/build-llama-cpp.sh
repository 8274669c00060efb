#!/usr/bin/env bash
# Builds llama.cpp's `llama-bench`, the reference the embedded CPU engine is
# measured against, and prints its path on stdout. Not part of the tests:
# ~12 minutes on 2 cores, once (a built binary is reused).
#
# llama.cpp's sources come from the `llama-cpp-python` sdist on PyPI (the one
# registry these machines reach; it vendors llama.cpp at a fixed commit) and
# cmake from its PyPI wheel. The build targets AVX2/FMA/F16C like the
# engine's kernels, with AVX-512 and AMX off: the native build crashes in the
# AMX kernels on these CPUs, and the comparison is between like kernels.
#
# Usage: scripts/build-llama-cpp.sh
#        target/release/examples/bench --llama-bench "$(scripts/build-llama-cpp.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."

readonly version="0.3.36" # llama.cpp 0c1e570 (ggml 0.25.3)
readonly root="${CARGO_TARGET_DIR:-target}/llama.cpp"
readonly src="${root}/llama_cpp_python-${version}/vendor/llama.cpp"
readonly bin="${src}/build/bin/llama-bench"

log() { echo "build-llama-cpp: $*" >&2; }

if [[ -x "${bin}" ]]; then
    echo "$(realpath "${bin}")"
    exit 0
fi
mkdir -p "${root}"
if ! command -v cmake >/dev/null; then
    log "installing cmake from PyPI"
    python3 -m pip install --quiet cmake >&2
fi
if [[ ! -d "${src}" ]]; then
    log "fetching llama-cpp-python ${version} (sources)"
    python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==${version}" -d "${root}" >&2
    tar -xzf "${root}/llama_cpp_python-${version}.tar.gz" -C "${root}"
fi
log "building llama-bench (takes a while)"
cmake -S "${src}" -B "${src}/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
    -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_OPENMP=OFF \
    -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "${src}/build" -j "$(nproc)" --target llama-bench >&2
echo "$(realpath "${bin}")"
