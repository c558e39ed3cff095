// Where the two builds' files are: beside this package by default (bundlers
// see these `new URL(..., import.meta.url)` literals and copy the files), or
// wherever `wasmPaths` says. Never a CDN.

/** @typedef {'single' | 'threaded'} Variant */

/** The files of each build. */
export const VARIANT_FILES = Object.freeze({
  // js: classic glue (Node require()s it; pthread workers importScripts() it);
  // mjs: the same glue as an ES module (browsers import() it).
  single: Object.freeze({ js: 'lst.js', mjs: 'lst.mjs', wasm: 'lst.wasm' }),
  threaded: Object.freeze({
    js: 'lst-threaded.js', mjs: 'lst-threaded.mjs', wasm: 'lst-threaded.wasm', worker: 'lst-threaded.worker.js',
  }),
});

function defaultUrl(file) {
  switch (file) {
    case 'lst.js': return new URL('../../dist/lst.js', import.meta.url);
    case 'lst.mjs': return new URL('../../dist/lst.mjs', import.meta.url);
    case 'lst.wasm': return new URL('../../dist/lst.wasm', import.meta.url);
    case 'lst-threaded.js': return new URL('../../dist/lst-threaded.js', import.meta.url);
    case 'lst-threaded.mjs': return new URL('../../dist/lst-threaded.mjs', import.meta.url);
    case 'lst-threaded.wasm': return new URL('../../dist/lst-threaded.wasm', import.meta.url);
    case 'lst-threaded.worker.js': return new URL('../../dist/lst-threaded.worker.js', import.meta.url);
    default: return new URL(`../../dist/${file}`, import.meta.url);
  }
}

/**
 * Resolves a build file name against `wasmPaths`: undefined (the package's
 * dist/), a folder (URL or, in Node, a path; a trailing slash is added), or
 * an object mapping file names to URLs (missing names fall back to dist/).
 * @param {string} file
 * @param {string|URL|Record<string, string|URL>|undefined} wasmPaths
 * @returns {URL}
 */
export function resolveWasmFile(file, wasmPaths) {
  if (wasmPaths === undefined || wasmPaths === null) return defaultUrl(file);
  if (typeof wasmPaths === 'object' && !(wasmPaths instanceof URL)) {
    const v = wasmPaths[file];
    return v === undefined ? defaultUrl(file) : toUrl(String(v), false);
  }
  let base = String(wasmPaths);
  if (!base.endsWith('/')) base += '/';
  return new URL(file, toUrl(base, true));
}

function toUrl(s, isDir) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) return new URL(s);
  if (typeof process !== 'undefined' && process.versions?.node) {
    // A file-system path (Node).
    const abs = s.startsWith('/') ? s : `${process.cwd()}/${s}`;
    return new URL(`file://${abs.replace(/\\/g, '/')}${isDir && !abs.endsWith('/') ? '/' : ''}`);
  }
  return new URL(s, globalThis.location?.href);
}
