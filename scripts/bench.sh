#!/usr/bin/env bash
# npm run bench [-- --quick]: builds the benchmarks (native, and the wasm GEMM
# bench) and prints forward latency, GEMM GFLOPS against the measured SIMD
# peak, and ms per generated token, natively and in Node.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
bash scripts/build-native.sh bench_forward bench_gemm bench_generate >/dev/null
[ -f dist/lst.wasm ] && [ -f dist/lst-threaded.wasm ] || bash scripts/build-wasm.sh >/dev/null
ninja -C build-wasm-st bench_gemm >/dev/null
node bench/bench-wasm.mjs "$@"
node bench/bench-wasm-generate.mjs "$@"
if [[ " $* " == *" --quick "* ]]; then ./build/bench_generate --quick; else ./build/bench_generate; fi
