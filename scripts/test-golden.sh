#!/usr/bin/env bash
# The golden runner: checks every case in $LST_GOLDEN_DIR (default
# tests/fixtures) whose kind is supported, natively (Catch2), then the
# `forward`, `generate`, `train_grad` and `train_steps` cases through the JS API
# with both WebAssembly builds (one line per case and build; fails above the
# tolerances of tests/fixtures/GOLDEN_README.md).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
bash scripts/build-native.sh lst_tests >/dev/null || exit 1
echo "==> golden cases in ${LST_GOLDEN_DIR:-tests/fixtures} (native)"
./build/lst_tests "[golden]" || status=1
bash scripts/build-wasm.sh >/dev/null || exit 1
echo "==> golden forward, generate, train_grad and train_steps cases in ${LST_GOLDEN_DIR:-tests/fixtures} (JS API, wasm single-threaded and threaded)"
node --test --test-reporter=spec --test-name-pattern='^golden' tests/js/golden.test.js tests/js/generate.test.js tests/js/train.test.js || status=1
exit $status
