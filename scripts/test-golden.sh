#!/usr/bin/env bash
# The golden runner: checks every case in $LST_GOLDEN_DIR (default
# tests/fixtures) whose kind is supported, natively.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-native.sh lst_tests >/dev/null
echo "==> golden cases in ${LST_GOLDEN_DIR:-tests/fixtures} (native)"
./build/lst_tests "[golden]"
