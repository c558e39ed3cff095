#!/usr/bin/env bash
# Every test: the C++ suite (Catch2) natively and under ASan + UBSan, a short fuzz run, then the WebAssembly builds
# (SIMD128 and relaxed SIMD), the browser tests (node --test tests/browser/ tests/bundlers/,
# headless Chromium), the relaxed builds in Node (scripts/test-relaxed.sh) and the Node suite
# (node --test tests/js/ tests/cli/ tests/hostile/), whose report closes the output.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
status=0
if bash scripts/build-native.sh; then
  echo "==> Catch2: C++ suite"
  ./build/lst_tests || status=1
else
  echo "==> native build failed" >&2
  status=1
fi
echo "==> Catch2 under ASan + UBSan: scripts/test-sanitize.sh (halts on the first report)"
bash scripts/test-sanitize.sh || status=1
echo "==> Fuzz: the safetensors parser and the config/options JSON under ASan/UBSan (short run; scripts/fuzz.sh 600 for the full one)"
bash scripts/fuzz.sh "${LST_FUZZ_SECONDS:-30}" || status=1
echo "==> WebAssembly builds"
bash scripts/build-wasm.sh || exit 1
echo "==> Browser tests: node --test tests/browser/ tests/bundlers/ (headless Chromium: the package, the web demo,"
echo "    and an app built with Vite, webpack and esbuild)"
node --test tests/browser/ tests/bundlers/ || status=1
echo "==> Relaxed SIMD in Node: scripts/test-relaxed.sh (int8 kernels in wasm; golden, int8, generation on the relaxed builds)"
bash scripts/test-relaxed.sh || status=1
echo "==> Node suite: node --test tests/js/ tests/cli/ tests/hostile/ (the JS API, the native CLI, hostile inputs)"
node --test tests/js/ tests/cli/ tests/hostile/ || status=1
exit $status
