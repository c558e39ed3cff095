#!/usr/bin/env bash
# Every test: the C++ suite (Catch2) natively, then the Node suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-native.sh
echo "==> Catch2: C++ suite"
./build/lst_tests
