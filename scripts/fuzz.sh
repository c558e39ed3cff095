#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DLST_FUZZ=ON: ASan + UBSan + coverage
# on the engine too) and fuzzes the safetensors reader/writer for N seconds
# (default 60) on a scratch copy of fuzz/corpus/safetensors, then the JSON
# a user hands the engine (config, generation and trainer options) for N/2
# seconds on fuzz/corpus/config. One core.
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
echo "==> ninja: building fuzz_safetensors fuzz_config"
ninja -C "$BUILD_DIR" fuzz_safetensors fuzz_config

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lst-fuzz.XXXXXX")
if [ "${LST_FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
  echo "==> corpus kept in $WORK/corpus"
else
  trap 'rm -rf "$WORK"' EXIT
fi
cp -r "$ROOT/fuzz/corpus/safetensors" "$WORK/corpus"
cp -r "$ROOT/fuzz/corpus/config" "$WORK/config-corpus"
ARTIFACTS="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$ARTIFACTS"

# UBSan recovers by default: make any report fatal so that libFuzzer sees it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_target() {  # name seconds corpus [extra libFuzzer flags]
  local name=$1 secs=$2 corpus=$3
  shift 3
  echo "==> $name for ${secs}s (corpus: $corpus, artifacts: $ARTIFACTS)"
  local status=0
  "$BUILD_DIR/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$@" "$corpus" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "==> FUZZER FOUND A FAILURE in $name (exit $status); reproducer(s) in $ARTIFACTS:" >&2
    ls -la "$ARTIFACTS" >&2
    exit 1
  fi
}
run_target fuzz_safetensors "$SECS" "$WORK/corpus" -max_len=8192 -dict="$ROOT/fuzz/safetensors.dict"
CONFIG_SECS=$(( SECS / 2 > 5 ? SECS / 2 : 5 ))
run_target fuzz_config "$CONFIG_SECS" "$WORK/config-corpus" -max_len=4096 -dict="$ROOT/fuzz/config.dict"
echo "==> no crash in ${SECS}s + ${CONFIG_SECS}s"
