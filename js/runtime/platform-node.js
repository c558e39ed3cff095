// Node side of the loader (chosen by the "#platform" import condition in
// package.json): local files, require() of the CommonJS glue, CPU count.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MISSING_BUILD_HINT } from './missing-build.js';

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
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new Error(`could not read '${path}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  // As the engine's read_file_bytes: /dev/zero or a pipe would be read until memory runs out.
  if (!info.isFile()) {
    throw new Error(`could not read '${path}': not a regular file (a device, pipe or directory cannot be read as a ` +
      'model or data file)');
  }
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
 * Loads the Emscripten glue (classic script, CommonJS in Node).
 * @param {URL} url  file: URL of lst.js / lst-threaded.js
 * @returns {Promise<{ factory: Function }>}
 */
export async function loadGlue(url) {
  if (url.protocol !== 'file:') {
    throw new Error(`in Node, wasmPaths must point to a local folder (a path or file: URL), got ${url.href}`);
  }
  const path = fileURLToPath(url);
  try {
    return { factory: createRequire(import.meta.url)(path) };
  } catch (e) {
    const why = e.code === 'MODULE_NOT_FOUND' ? 'no such file' : e.message;
    throw new Error(`could not load the WebAssembly glue '${path}' (${why}). ` +
      `${MISSING_BUILD_HINT} Or point { wasmPaths } to a folder holding lst.js, lst.wasm, ` +
      'lst-threaded.js, lst-threaded.wasm and lst-threaded.worker.js (and their -relaxed twins).');
  }
}

/** What the threaded glue needs besides the defaults. */
export function threadedGlueOptions(/* jsUrl, glue */) {
  return {};  // Node: the glue knows its own __filename for the workers
}

/** The package's dist/ files (Node is never bundled, so no literals are needed). */
export function defaultFileUrl(file) {
  return new URL(`../../dist/${file}`, import.meta.url);
}

/** A string as a URL: an absolute URL, or a file-system path (relative to the working directory). */
export function resolveUrl(s, isDir = false) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) return new URL(s);
  const url = pathToFileURL(s);
  if (isDir && !url.pathname.endsWith('/')) url.pathname += '/';
  return url;
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
