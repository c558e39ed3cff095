// Browser / worker side of the loader (the "#platform" default condition):
// fetch, ES-module glue, cross-origin isolation.

export const isNode = false;

/** Which glue file this platform loads (see wasm-files.js). */
export const glueFile = 'mjs';

/** Threads the machine offers. */
export function hardwareThreads() {
  return (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1;
}

/** Threads need SharedArrayBuffer, which browsers give cross-origin-isolated pages only. */
export function threadsSupported() {
  return typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
}

/** @returns {Promise<Uint8Array>} */
export async function readLocalFile(path) {
  throw new Error(`cannot read the local path '${path}' in a browser: pass a URL, a Response or bytes`);
}

/** In a browser every string is a URL for fetch(). */
export function isLocalSource() {
  return false;
}

/**
 * Imports the ES-module glue (lst.mjs / lst-threaded.mjs) and returns its factory.
 * @param {URL} url
 */
export async function loadGlue(url) {
  try {
    const mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ url.href);
    return mod.default;
  } catch (e) {
    throw new Error(`could not load the WebAssembly glue ${url.href} (${e.message}). If you bundle or host ` +
      'the package yourself, serve its dist/ folder and pass { wasmPaths: "<url of that folder>/" }.');
  }
}

/** The pthread workers importScripts() the classic glue beside the .mjs. */
export function threadedGlueOptions(jsUrl) {
  return { mainScriptUrlOrBlob: jsUrl.href };
}

export function unrefWorkers() {}

/** How Emscripten wants a file location (worker script): a URL. */
export function fileLocation(url) {
  return url.href;
}

/** A module Worker running js/worker/model-worker.js (bundlers follow this pattern). */
export async function startModelWorker() {
  return new Worker(new URL('../worker/model-worker.js', import.meta.url), { type: 'module' });
}

/** Inside the model worker: the worker's own scope. */
export async function workerPort() {
  return self;
}
