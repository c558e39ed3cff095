// One Emscripten module instance per model (its own heap, so dispose()
// returns all memory; its own pthread workers), from a WebAssembly.Module
// compiled once per build and shared by every instance.
import { fileLocation, glueFile, isNode, loadGlue, readLocalFile, threadedGlueOptions, unrefWorkers } from '#platform';
import { VARIANT_FILES, buildKey, resolveWasmFile } from './wasm-files.js';
import { MISSING_BUILD_HINT } from './missing-build.js';
import { fetchFailure } from './fetch-failure.js';

/** How long an instance may take to start (instantiate, start its pthread workers) before load() fails. */
export const START_TIMEOUT_MS = 30_000;

/** @type {Map<string, Promise<WebAssembly.Module>>} compiled builds by wasm URL */
const compiled = new Map();
/** @type {Map<string, Promise<{ factory: Function, pthreadWorkerSource?: string }>>} glues by JS URL */
const glues = new Map();

function hint(url) {
  return `If you bundle or host the package yourself, serve the files of its dist/ folder and pass ` +
    `{ wasmPaths: '<URL or folder of those files>/' } (looked for ${url.href}). ${MISSING_BUILD_HINT}`;
}

async function compile(url) {
  let bytes;
  if (url.protocol === 'file:' && isNode) {
    try {
      bytes = await readLocalFile(url);
    } catch (e) {
      throw new Error(`could not read the WebAssembly file: ${e.message}. ${hint(url)}`);
    }
    return WebAssembly.compile(bytes);
  }
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch the WebAssembly file ${url.href} (${fetchFailure(e)}). ${hint(url)}`);
  }
  if (!response.ok) throw new Error(`could not fetch the WebAssembly file ${url.href}: HTTP ${response.status}. ${hint(url)}`);
  if (typeof WebAssembly.compileStreaming === 'function' &&
      response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

function cached(map, key, make) {
  let p = map.get(key);
  if (!p) {
    p = make();
    map.set(key, p);
    p.catch(() => map.delete(key));  // let a later call retry
  }
  return p;
}

// A function returning an i8x16.popcnt of a v128 constant: validates only
// where WebAssembly SIMD128 is supported (the wasm-feature-detect probe).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11]);

function checkFeatures() {
  if (typeof WebAssembly !== 'object') throw new Error('this JavaScript engine has no WebAssembly');
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error('this JavaScript engine lacks WebAssembly SIMD128, which both builds need ' +
      '(Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4, Node >= 16.4)');
  }
}

/**
 * A fresh module instance of `variant`. Settles within START_TIMEOUT_MS: a
 * pthread worker that cannot start (blocked by the page's headers, a file that
 * is not served) rejects with what failed and what to do, never a hang.
 * @param {'single'|'threaded'} variant
 * @param {{ threads: number, simd?: 'relaxed'|'simd128', wasmPaths?: string|URL|Record<string, string|URL> }} options
 * @returns {Promise<any>} the Emscripten Module (WasmModel, HeapBuffer, ...)
 */
export async function instantiate(variant, { threads, simd = 'simd128', wasmPaths }) {
  checkFeatures();
  const files = VARIANT_FILES[buildKey(variant, simd)];
  // The classic glue: Node require()s it; browsers need it only for the pthread workers.
  const jsUrl = glueFile === 'js' || variant === 'threaded' ? resolveWasmFile(files.js, wasmPaths) : null;
  const glueUrl = resolveWasmFile(files[glueFile], wasmPaths);
  const wasmUrl = resolveWasmFile(files.wasm, wasmPaths);
  const idleKey = `${wasmUrl.href} ${variant === 'threaded' ? threads : 1}`;
  const reused = idle.get(idleKey);
  if (reused) {
    idle.delete(idleKey);
    return reused;
  }
  const [glue, module] = await Promise.all([
    cached(glues, glueUrl.href, () => loadGlue(glueUrl)),
    cached(compiled, wasmUrl.href, () => compile(wasmUrl)),
  ]);
  let failStart;
  const startFailed = new Promise((_, reject) => { failStart = reject; });
  const threadedHelp = 'The threaded build needs SharedArrayBuffer (in a browser: the page served with ' +
    'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp) and its files served ' +
    `from where { wasmPaths } says (the classic glue ${jsUrl?.href}); or pass { threaded: false }.`;
  // The factory's argument becomes the Module object: a failed start can still reach its workers.
  const options = {
    instantiateWasm(imports, receiveInstance) {
      WebAssembly.instantiate(module, imports).then(
        (instance) => receiveInstance(instance, module), failStart);
      return {};
    },
    locateFile: (file) => (file === files.worker && options.pthreadWorkerUrl
      ? options.pthreadWorkerUrl : fileLocation(resolveWasmFile(file, wasmPaths))),
    print: (s) => console.log(s),
    printErr: (s) => {
      const line = String(s);
      // Emscripten reports a pthread worker's failure (its script did not load or threw) here.
      if (line.startsWith('worker sent an error!')) {
        failStart(new Error(`a worker thread of the threaded build failed to start: ${line.slice(22) || 'no detail'}. ${threadedHelp}`));
      // It warns once when the main thread waits on a lock; waiting for the
      // pool's workers is how a forward() call ends, so that is expected.
      } else if (!line.startsWith('Blocking on the main thread')) console.warn(line);
    },
    onAbort: (what) => failStart(new Error(`the WebAssembly module aborted while starting: ${what}`)),
  };
  if (variant === 'threaded') {
    // The workers the model's thread pool will use (threads - 1, at least 1).
    options.lstPoolSize = Math.max(1, threads - 1);
    Object.assign(options, threadedGlueOptions(jsUrl, glue));
  }
  const timer = setTimeout(() => failStart(new Error(
    `the WebAssembly module did not start within ${START_TIMEOUT_MS / 1000} s` +
    (variant === 'threaded' ? ` (its ${options.lstPoolSize} worker thread(s) never reported ready). ${threadedHelp}` : ''))),
  START_TIMEOUT_MS);
  let Module;
  try {
    Module = await Promise.race([glue.factory(options), startFailed]);
  } catch (e) {
    terminateWorkers(options);
    throw new Error(`could not start the WebAssembly module ${wasmUrl.href}: ${e?.message ?? e}`);
  } finally {
    clearTimeout(timer);
  }
  if (variant === 'threaded') unrefWorkers(Module);
  Module.lstIdleKey = idleKey;
  return Module;
}

// One idle instance per build file and thread count, kept when its model or
// trainer is freed and handed to the next load of the same kind: its heap and
// pthread workers are reused. So load/dispose cycles neither start a module
// again nor pile up freed instances (each holds its whole heap, which
// WebAssembly never shrinks, and its workers) until the garbage collector
// gets to them.
const idle = new Map();

/**
 * Gives back the instance of a freed model or trainer: kept for the next
 * instantiate() of the same kind when `reusable` (it never trapped) and none
 * is kept yet, else its pthread workers are stopped.
 * @param {any} Module
 * @param {{ reusable: boolean }} options
 */
export function releaseInstance(Module, { reusable }) {
  if (!Module) return;
  if (reusable && Module.lstIdleKey && !idle.has(Module.lstIdleKey)) {
    idle.set(Module.lstIdleKey, Module);
    return;
  }
  terminateWorkers(Module);
}

/**
 * Stops an instance's pthread workers (after its model released its threads).
 * @param {any} Module
 */
export function terminateWorkers(Module) {
  const P = Module?.PThread;
  if (!P) return;
  try {
    P.terminateAllThreads?.();
  } catch { /* already gone */ }
  for (const w of P.unusedWorkers ?? []) w.terminate();
  P.unusedWorkers = [];
}
