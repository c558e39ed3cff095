// Where the two builds' files are: beside this package by default (the
// platform's defaultFileUrl: literal `new URL(..., import.meta.url)`s that
// bundlers follow), or wherever `wasmPaths` says. Never a CDN.
import { defaultFileUrl, resolveUrl } from '#platform';

/** @typedef {'single' | 'threaded'} Variant */
/** @typedef {'relaxed' | 'simd128'} Simd */

/**
 * The files of each build: `js` the classic glue (Node require()s it; in
 * browsers the pthread workers importScripts() it), `mjs` the same glue as an
 * ES module (browsers import() it; the threaded one also carries the pthread
 * worker script), `worker` the pthread worker script (Node). Each build comes
 * twice: SIMD128, and relaxed SIMD (docs/RELAXED_SIMD.md), keyed by buildKey().
 */
export const VARIANT_FILES = Object.freeze({
  single: Object.freeze({ js: 'lst.js', mjs: 'lst.mjs', wasm: 'lst.wasm' }),
  threaded: Object.freeze({
    js: 'lst-threaded.js', mjs: 'lst-threaded.mjs', wasm: 'lst-threaded.wasm', worker: 'lst-threaded.worker.js',
  }),
  'single-relaxed': Object.freeze({ js: 'lst-relaxed.js', mjs: 'lst-relaxed.mjs', wasm: 'lst-relaxed.wasm' }),
  'threaded-relaxed': Object.freeze({
    js: 'lst-threaded-relaxed.js', mjs: 'lst-threaded-relaxed.mjs', wasm: 'lst-threaded-relaxed.wasm',
    worker: 'lst-threaded-relaxed.worker.js',
  }),
});

/**
 * @param {Variant} variant
 * @param {Simd} simd
 * @returns {keyof typeof VARIANT_FILES}
 */
export function buildKey(variant, simd) {
  return simd === 'relaxed' ? `${variant}-relaxed` : variant;
}

/** The prebuilt browser model worker (LongShortTransformerWorker). */
export const MODEL_WORKER_FILE = 'lst-worker.js';

/** Every build file a browser may fetch. */
export const BROWSER_FILES = Object.freeze(['lst.mjs', 'lst.wasm', 'lst-threaded.mjs', 'lst-threaded.js', 'lst-threaded.wasm',
  'lst-relaxed.mjs', 'lst-relaxed.wasm', 'lst-threaded-relaxed.mjs', 'lst-threaded-relaxed.js', 'lst-threaded-relaxed.wasm']);

/**
 * Resolves a build file name against `wasmPaths`: undefined (the package's
 * dist/), a folder (URL or, in Node, a path; a trailing slash is added), or
 * an object mapping file names to URLs (missing names fall back to dist/).
 * @param {string} file
 * @param {string|URL|Record<string, string|URL>|undefined} wasmPaths
 * @returns {URL}
 */
export function resolveWasmFile(file, wasmPaths) {
  if (wasmPaths !== undefined && wasmPaths !== null) {
    if (typeof wasmPaths === 'object' && !(wasmPaths instanceof URL)) {
      const v = wasmPaths[file];
      if (v !== undefined) return v instanceof URL ? v : resolveUrl(String(v), false);
    } else {
      let base = String(wasmPaths);
      if (!base.endsWith('/')) base += '/';
      return new URL(file, resolveUrl(base, true));
    }
  }
  const url = defaultFileUrl(file);
  if (!url) throw new Error(`no default location for the build file ${file} here: pass { wasmPaths } naming it`);
  return url;
}

/**
 * `wasmPaths` with every browser build file resolved to an absolute URL
 * string (against the calling page), for a Worker whose own URL is not the
 * page's (a bundler's asset or a blob: URL).
 * @param {string|URL|Record<string, string|URL>|undefined} wasmPaths
 * @returns {Record<string, string>}
 */
export function resolveAllBrowserFiles(wasmPaths) {
  return Object.fromEntries(BROWSER_FILES.map((f) => {
    try {
      return [f, resolveWasmFile(f, wasmPaths).href];
    } catch {
      return [f, undefined];
    }
  }).filter(([, v]) => v !== undefined));
}
