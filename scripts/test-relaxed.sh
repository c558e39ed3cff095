#!/usr/bin/env bash
# The relaxed-SIMD builds in Node (docs/RELAXED_SIMD.md): the int8 kernels'
# Catch2 tests in wasm, each build against the scalar twin bit for bit, and
# the JS suites that take every build (golden cases, int8/f16, generation,
# the relaxed-vs-SIMD128 bound). Node 20 runs relaxed SIMD only with
# --experimental-wasm-relaxed-simd, and computes the relaxed int8 dot product
# wrongly in its baseline compiler, hence --no-liftoff (the loader's probe
# refuses the relaxed build without it). Needs dist/ (scripts/build-wasm.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
RELAXED=(--experimental-wasm-relaxed-simd --no-liftoff)
status=0
for dir in build-wasm-st build-wasm-rst; do
  echo "==> int8 / f16 kernels in wasm, $dir (every kernel set against the scalar twin)"
  ninja -C "$dir" lst_quant_tests >/dev/null || { status=1; continue; }
  (cd "$dir" && node --no-experimental-fetch "${RELAXED[@]}" lst_quant_tests.cjs) || status=1
done
echo "==> Node suites on the relaxed builds too: node ${RELAXED[*]} --test ..."
node "${RELAXED[@]}" --test tests/js/relaxed-simd.test.js tests/js/golden.test.js tests/js/quant.test.js tests/js/instance-reuse.test.js \
  tests/js/generate.test.js || status=1
exit $status
