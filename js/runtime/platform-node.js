// Node side of the loader (chosen by the "#platform" import condition in
// package.json): local files, require() of the CommonJS glue, CPU count.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const isNode = true;

/** Which glue file this platform loads (see wasm-files.js): CommonJS in Node. */
export const glueFile = 'js';

/** Threads the machine offers. */
export function hardwareThreads() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Node always has SharedArrayBuffer and worker_threads. */
export function threadsSupported() {
  return typeof SharedArrayBuffer !== 'undefined';
}

/**
 * Reads a local file given as a path or a file: URL.
 * @param {string|URL} pathOrUrl
 * @returns {Promise<Uint8Array>}
 */
export async function readLocalFile(pathOrUrl) {
  const path = pathOrUrl instanceof URL || String(pathOrUrl).startsWith('file:') ? fileURLToPath(pathOrUrl) : pathOrUrl;
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new Error(`could not read '${path}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

/** True when `source` names a local file rather than an http(s) URL. */
export function isLocalSource(source) {
  if (source instanceof URL) return source.protocol === 'file:';
  return typeof source === 'string' && !/^(https?|blob|data):/i.test(source);
}

/**
 * Loads the Emscripten glue (classic script, CommonJS in Node) and returns
 * its factory.
 * @param {URL} url  file: URL of lst.js / lst-threaded.js
 * @returns {Promise<Function>}
 */
export async function loadGlue(url) {
  if (url.protocol !== 'file:') {
    throw new Error(`in Node, wasmPaths must point to a local folder (a path or file: URL), got ${url.href}`);
  }
  const path = fileURLToPath(url);
  try {
    return createRequire(import.meta.url)(path);
  } catch (e) {
    const why = e.code === 'MODULE_NOT_FOUND' ? 'no such file' : e.message;
    throw new Error(`could not load the WebAssembly glue '${path}' (${why}). ` +
      'Build it with `npm run build:wasm`, or point { wasmPaths } to a folder holding lst.js, lst.wasm, ' +
      'lst-threaded.js, lst-threaded.wasm and lst-threaded.worker.js.');
  }
}

/** What the threaded glue needs besides the defaults. */
export function threadedGlueOptions(/* jsUrl */) {
  return {};  // Node: the glue knows its own __filename for the workers
}

/** Lets Node exit while idle pthread workers are alive. */
export function unrefWorkers(Module) {
  for (const w of Module.PThread?.unusedWorkers ?? []) w.unref?.();
  for (const w of Module.PThread?.runningWorkers ?? []) w.unref?.();
}

/** How Emscripten wants a file location (worker script): a path in Node. */
export function fileLocation(url) {
  return url.protocol === 'file:' ? fileURLToPath(url) : url.href;
}

/** A worker_threads Worker running js/worker/model-worker.js, with a browser-like interface. */
export async function startModelWorker() {
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(new URL('../worker/model-worker.js', import.meta.url));
  w.unref();
  const adapter = {
    onmessage: null,
    onerror: null,
    postMessage: (msg, transfer) => w.postMessage(msg, transfer),
    terminate: () => { w.terminate(); },
    // Keep Node alive only while a call is pending.
    ref: () => w.ref(),
    unref: () => w.unref(),
  };
  w.on('message', (data) => adapter.onmessage?.({ data }));
  w.on('error', (e) => adapter.onerror?.(e));
  return adapter;
}

/** Inside the model worker: the port to the caller, with a browser-like interface. */
export async function workerPort() {
  const { parentPort } = await import('node:worker_threads');
  const port = {
    onmessage: null,
    postMessage: (msg, transfer) => parentPort.postMessage(msg, transfer),
  };
  parentPort.on('message', (data) => port.onmessage?.({ data }));
  return port;
}
