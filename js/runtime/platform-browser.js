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

/** The page's import map maps "#platform" (the sources are served unbundled). */
function importMapped(name) {
  try {
    return typeof document !== 'undefined' && typeof import.meta.resolve === 'function'
      ? new URL(import.meta.resolve(name)) : null;
  } catch {
    return null;  // not mapped: a bundler resolved "#platform"
  }
}

let relinkedWorker = null;

/**
 * A module Worker running js/worker/model-worker.js (bundlers follow this
 * pattern). Module Workers do not see import maps: when the page serves the
 * sources unbundled with an import map for "#platform", the worker runs a
 * copy of its module graph re-linked to this file (module-graph-browser.js).
 */
export async function startModelWorker() {
  const name = ['#', 'platform'].join('');  // not a literal: bundlers must not resolve it here
  if (importMapped(name)) {
    relinkedWorker ??= import('../worker/module-graph-browser.js')
      .then((m) => m.relinkModuleGraph(new URL('../worker/model-worker.js', import.meta.url), name, new URL(import.meta.url)));
    relinkedWorker.catch(() => { relinkedWorker = null; });
    return new Worker(await relinkedWorker, { type: 'module' });
  }
  return new Worker(new URL('../worker/model-worker.js', import.meta.url), { type: 'module' });
}

/** Inside the model worker: the worker's own scope. */
export async function workerPort() {
  return self;
}
