#!/usr/bin/env bash
# Configures and builds the native engine, CLI, tests and benchmarks in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LST_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  echo "==> cmake: configuring $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
echo "==> ninja: building native targets"
ninja -C "$BUILD_DIR" "$@"
