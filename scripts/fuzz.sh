#!/usr/bin/env bash
# Builds the libFuzzer target (clang, -DLST_FUZZ=ON: ASan + UBSan + coverage
# on the engine too) and fuzzes the safetensors reader/writer for N seconds
# (default 60) on a scratch copy of fuzz/corpus/safetensors. One core.
#
#   scripts/fuzz.sh [seconds]
#
# Exits non-zero on any crash, sanitizer report, leak, timeout or uncaught
# exception; the reproducer is kept in $BUILD_DIR/fuzz-artifacts/ (replay it
# with: $BUILD_DIR/fuzz_safetensors <file>). Set LST_FUZZ_KEEP_CORPUS=1 to
# keep the grown corpus (printed path) instead of deleting it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${1:-60}
case "$SECS" in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [seconds]" >&2; exit 2 ;; esac
BUILD_DIR=${LST_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}

command -v clang++ >/dev/null || { echo "clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  echo "==> cmake: configuring $BUILD_DIR (clang, LST_FUZZ=ON)"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLST_FUZZ=ON -DLST_BUILD_TESTS=OFF -DLST_BUILD_BENCH=OFF -DLST_NATIVE_ARCH=OFF \
    -DLST_WITH_XNNPACK=OFF >/dev/null
fi
echo "==> ninja: building fuzz_safetensors"
ninja -C "$BUILD_DIR" fuzz_safetensors

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lst-fuzz.XXXXXX")
if [ "${LST_FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
  echo "==> corpus kept in $WORK/corpus"
else
  trap 'rm -rf "$WORK"' EXIT
fi
cp -r "$ROOT/fuzz/corpus/safetensors" "$WORK/corpus"
ARTIFACTS="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$ARTIFACTS"

# UBSan recovers by default: make any report fatal so that libFuzzer sees it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "==> fuzzing for ${SECS}s (corpus: $WORK/corpus, artifacts: $ARTIFACTS)"
status=0
"$BUILD_DIR/fuzz_safetensors" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -dict="$ROOT/fuzz/safetensors.dict" -artifact_prefix="$ARTIFACTS/" \
  -print_final_stats=1 "$WORK/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "==> FUZZER FOUND A FAILURE (exit $status); reproducer(s) in $ARTIFACTS:" >&2
  ls -la "$ARTIFACTS" >&2
  exit 1
fi
echo "==> no crash in ${SECS}s"
