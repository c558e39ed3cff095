// Browser / worker side of the loader (the "#platform" default condition):
// fetch, ES-module glue, cross-origin isolation, the Cache API.
import { defaultFileUrl } from './dist-urls-browser.js';

export { defaultFileUrl };

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

/** The URL a string names, resolved against the page (or the worker's own URL). */
export function resolveUrl(s) {
  return new URL(s, globalThis.document?.baseURI ?? globalThis.location?.href);
}

/**
 * Imports the ES-module glue (lst.mjs / lst-threaded.mjs).
 * @param {URL} url
 * @returns {Promise<{ factory: Function, pthreadWorkerSource?: string }>}
 */
export async function loadGlue(url) {
  let mod;
  try {
    mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ url.href);
  } catch (e) {
    throw new Error(`could not load the WebAssembly glue ${url.href} (${e?.message ?? e}). If you bundle or host ` +
      'the package yourself, serve the files of its dist/ folder and pass { wasmPaths: "<URL of that folder>/" }.');
  }
  if (typeof mod.default !== 'function') throw new Error(`${url.href} is not the package's WebAssembly glue (no default export)`);
  return { factory: mod.default, pthreadWorkerSource: mod.pthreadWorkerSource };
}

/**
 * What the threaded glue needs in a browser: its pthread workers start from a
 * Blob of the worker script that lst-threaded.mjs carries (a same-origin blob:
 * URL works under COEP; a separate tiny file could be inlined as a data: URL
 * by a bundler, which COEP blocks), and importScripts() the classic glue.
 */
export function threadedGlueOptions(jsUrl, glue) {
  if (typeof glue.pthreadWorkerSource !== 'string') {
    throw new Error('the threaded glue lst-threaded.mjs carries no pthread worker script: rebuild dist/ (npm run build:wasm)');
  }
  // One blob: URL per glue, kept: Emscripten may start more workers later.
  glue.pthreadWorkerUrl ??= URL.createObjectURL(new Blob([glue.pthreadWorkerSource], { type: 'text/javascript' }));
  return { mainScriptUrlOrBlob: jsUrl.href, pthreadWorkerUrl: glue.pthreadWorkerUrl };
}

export function unrefWorkers() {}

/** How Emscripten wants a file location: a URL. */
export function fileLocation(url) {
  return url.href;
}
