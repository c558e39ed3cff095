#!/usr/bin/env bash
# The golden runner: checks every case in $LST_GOLDEN_DIR (default
# tests/fixtures) whose kind is supported, natively (Catch2), then the
# `forward` and `generate` cases through the JS API with both WebAssembly builds
# (one line per case and build; fails above 5e-5).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
bash scripts/build-native.sh lst_tests >/dev/null || exit 1
echo "==> golden cases in ${LST_GOLDEN_DIR:-tests/fixtures} (native)"
./build/lst_tests "[golden]" || status=1
bash scripts/build-wasm.sh >/dev/null || exit 1
echo "==> golden forward and generate cases in ${LST_GOLDEN_DIR:-tests/fixtures} (JS API, wasm single-threaded and threaded)"
node --test --test-reporter=spec --test-name-pattern='^golden' tests/js/golden.test.js tests/js/generate.test.js || status=1
exit $status
