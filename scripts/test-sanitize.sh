#!/usr/bin/env bash
# The Catch2 suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (-DLST_SANITIZE=ON: every report halts the run with a stack trace), in
# build-asan/. Portable kernels (no -march=native), so the SIMD paths CI's
# CPU takes are the ones checked.
#
#   scripts/test-sanitize.sh [Catch2 test spec...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LST_ASAN_BUILD_DIR:-build-asan}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  echo "==> cmake: configuring $BUILD_DIR (ASan + UBSan)"
  # -O1 -g1: a quicker build than -O2 -g (npm test and CI run it), line numbers in reports.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DLST_SANITIZE=ON -DLST_BUILD_BENCH=OFF -DLST_NATIVE_ARCH=OFF >/dev/null
fi
echo "==> ninja: building lst_tests (ASan + UBSan)"
ninja -C "$BUILD_DIR" lst_tests
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
echo "==> Catch2 under ASan + UBSan"
"$BUILD_DIR/lst_tests" "$@"
