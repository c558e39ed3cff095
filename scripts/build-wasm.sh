#!/usr/bin/env bash
# Builds the two WebAssembly variants with Emscripten and copies them to dist/:
#   build-wasm-st/  -> dist/lst.js, dist/lst.wasm                    (single-threaded)
#   build-wasm-mt/  -> dist/lst-threaded.js, dist/lst-threaded.wasm,
#                      dist/lst-threaded.worker.js                    (pthreads)
# plus dist/*.mjs (the same glue as ES modules, for browsers and bundlers),
# dist/lst-worker.js (the browser model worker, scripts/build-worker.mjs),
# dist/build-info.json (what it was built from, scripts/dist-inputs.mjs) and
# dist/package.json (marks the classic glue as CommonJS inside this
# "type": "module" package, so Node can require() it and start its workers).
#
#   build-wasm-rst/ -> dist/lst-relaxed.*, build-wasm-rmt/ -> dist/lst-threaded-relaxed.*
#                      the same two with relaxed SIMD (docs/RELAXED_SIMD.md)
#
# Usage: scripts/build-wasm.sh [st|mt|rst|rmt]...   (default: all four)
# Env:   LST_XNNPACK_WASM_PREFIX=/prefix   link a prebuilt wasm32 XNNPACK
#        (include/xnnpack.h, lib/libXNNPACK.a, lib/libpthreadpool.a) instead
#        of the builtin SIMD128 GEMM.
#        LST_BUILD_JOBS=N                  ninja parallelism (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Emscripten needs Debian's acorn on Node's module path (TOOLCHAIN.md).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
if ! command -v emcmake >/dev/null 2>&1; then
  echo "build-wasm: emcmake not found: install Emscripten (apt-get install -y emscripten, or npm run setup)" >&2
  exit 1
fi

variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(st mt rst rmt)
jobs=${LST_BUILD_JOBS:-2}
xnn_flag=()
if [ -n "${LST_XNNPACK_WASM_PREFIX:-}" ]; then
  for f in include/xnnpack.h lib/libXNNPACK.a lib/libpthreadpool.a; do
    if [ ! -f "$LST_XNNPACK_WASM_PREFIX/$f" ]; then
      echo "build-wasm: LST_XNNPACK_WASM_PREFIX=$LST_XNNPACK_WASM_PREFIX has no $f" >&2
      exit 1
    fi
  done
  xnn_flag=(-DLST_XNNPACK_WASM_PREFIX="$LST_XNNPACK_WASM_PREFIX")
else
  xnn_flag=(-DLST_XNNPACK_WASM_PREFIX=)
fi

mkdir -p dist
for v in "${variants[@]}"; do
  case "$v" in
    st) dir=build-wasm-st; threads=OFF; relaxed=OFF; name=lst ;;
    mt) dir=build-wasm-mt; threads=ON; relaxed=OFF; name=lst-threaded ;;
    rst) dir=build-wasm-rst; threads=OFF; relaxed=ON; name=lst-relaxed ;;
    rmt) dir=build-wasm-rmt; threads=ON; relaxed=ON; name=lst-threaded-relaxed ;;
    *) echo "build-wasm: unknown variant '$v' (st|mt|rst|rmt)" >&2; exit 1 ;;
  esac
  # Configure once, or again when the XNNPACK prefix changed.
  want_prefix="${LST_XNNPACK_WASM_PREFIX:-}"
  have_prefix=$(sed -n 's/^LST_XNNPACK_WASM_PREFIX:PATH=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)
  if [ ! -f "$dir/build.ninja" ] || [ "$want_prefix" != "$have_prefix" ]; then
    echo "==> emcmake: configuring $dir (threads $threads${want_prefix:+, XNNPACK $want_prefix})"
    emcmake cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DLST_WASM_THREADS=$threads -DLST_WASM_RELAXED=$relaxed "${xnn_flag[@]}" >/dev/null
  fi
  echo "==> ninja: $dir ($name.js, $name.wasm)"
  ninja -C "$dir" -j "$jobs" lst_wasm
  for f in "$name.js" "$name.wasm" "$name.worker.js"; do
    if [ -f "$dir/$f" ]; then cp -p "$dir/$f" "dist/$f"; fi
  done
  # The same glue as an ES module (browsers, bundlers): one export appended;
  # the threaded one also carries its pthread worker script, which browsers
  # start from a blob: URL (a separate 3 KB file would be inlined by bundlers
  # as a data: URL, which cross-origin isolation blocks).
  {
    cat "$dir/$name.js"
    printf '\nexport default createLstModule;\n'
    if [ -f "$dir/$name.worker.js" ]; then
      printf 'export const pthreadWorkerSource = %s;\n' "$(node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(process.argv[1], "utf8")))' "$dir/$name.worker.js")"
    fi
  } > "dist/$name.mjs"
done
printf '{\n  "type": "commonjs"\n}\n' > dist/package.json
# The browser model worker, one self-contained file (esbuild), and what dist/ was built from.
node scripts/build-worker.mjs
node scripts/dist-inputs.mjs --write
echo "==> dist/:"
ls -l dist | sed 1d
