// Where the browser build files are by default: beside this package, written
// as `new URL('<literal>', import.meta.url)` so that bundlers (Vite, webpack,
// Parcel, Rollup plugins) see each file, copy it and rewrite the URL. The
// prebuilt model worker (dist/lst-worker.js) is built without this file: it
// receives every URL resolved by the page (scripts/build-worker.mjs).

/**
 * @param {string} file a build file name (wasm-files.js)
 * @returns {URL|null} its default URL, or null when the browser never needs it
 */
export function defaultFileUrl(file) {
  switch (file) {
    case 'lst.mjs': return new URL('../../dist/lst.mjs', import.meta.url);
    case 'lst.wasm': return new URL('../../dist/lst.wasm', import.meta.url);
    case 'lst-threaded.mjs': return new URL('../../dist/lst-threaded.mjs', import.meta.url);
    case 'lst-threaded.js': return new URL('../../dist/lst-threaded.js', import.meta.url);
    case 'lst-threaded.wasm': return new URL('../../dist/lst-threaded.wasm', import.meta.url);
    case 'lst-relaxed.mjs': return new URL('../../dist/lst-relaxed.mjs', import.meta.url);
    case 'lst-relaxed.wasm': return new URL('../../dist/lst-relaxed.wasm', import.meta.url);
    case 'lst-threaded-relaxed.mjs': return new URL('../../dist/lst-threaded-relaxed.mjs', import.meta.url);
    case 'lst-threaded-relaxed.js': return new URL('../../dist/lst-threaded-relaxed.js', import.meta.url);
    case 'lst-threaded-relaxed.wasm': return new URL('../../dist/lst-threaded-relaxed.wasm', import.meta.url);
    default: return null;
  }
}
