// One Emscripten module instance per model (its own heap, so dispose()
// returns all memory; its own pthread workers), from a WebAssembly.Module
// compiled once per build and shared by every instance.
import { fileLocation, glueFile, isNode, loadGlue, readLocalFile, threadedGlueOptions, unrefWorkers } from '#platform';
import { VARIANT_FILES, resolveWasmFile } from './wasm-files.js';

/** @type {Map<string, Promise<WebAssembly.Module>>} compiled builds by wasm URL */
const compiled = new Map();
/** @type {Map<string, Promise<Function>>} glue factories by JS URL */
const glues = new Map();

function hint(url) {
  return `If you bundle or host the package yourself, serve the files of its dist/ folder and pass ` +
    `{ wasmPaths: '<URL or folder of those files>/' } (looked for ${url.href}). Build them with \`npm run build:wasm\`.`;
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
    throw new Error(`could not fetch the WebAssembly file ${url.href} (${e.message}). ${hint(url)}`);
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
 * A fresh module instance of `variant`.
 * @param {'single'|'threaded'} variant
 * @param {{ threads: number, wasmPaths?: string|URL|Record<string, string|URL> }} options
 * @returns {Promise<any>} the Emscripten Module (WasmModel, HeapBuffer, ...)
 */
export async function instantiate(variant, { threads, wasmPaths }) {
  checkFeatures();
  const files = VARIANT_FILES[variant];
  const jsUrl = resolveWasmFile(files.js, wasmPaths);
  const glueUrl = resolveWasmFile(files[glueFile], wasmPaths);
  const wasmUrl = resolveWasmFile(files.wasm, wasmPaths);
  const [factory, module] = await Promise.all([
    cached(glues, glueUrl.href, () => loadGlue(glueUrl)),
    cached(compiled, wasmUrl.href, () => compile(wasmUrl)),
  ]);
  let failInstantiation;
  const instantiationFailed = new Promise((_, reject) => { failInstantiation = reject; });
  const options = {
    instantiateWasm(imports, receiveInstance) {
      WebAssembly.instantiate(module, imports).then(
        (instance) => receiveInstance(instance, module), failInstantiation);
      return {};
    },
    locateFile: (file) => fileLocation(resolveWasmFile(file, wasmPaths)),
    print: (s) => console.log(s),
    // Emscripten warns once when the main thread waits on a lock; waiting for
    // the pool's workers is how a forward() call ends, so that is expected.
    printErr: (s) => { if (!String(s).startsWith('Blocking on the main thread')) console.warn(s); },
  };
  if (variant === 'threaded') {
    // The workers the model's thread pool will use (threads - 1, at least 1).
    options.lstPoolSize = Math.max(1, threads - 1);
    Object.assign(options, threadedGlueOptions(jsUrl));
  }
  let Module;
  try {
    Module = await Promise.race([factory(options), instantiationFailed]);
  } catch (e) {
    throw new Error(`could not start the WebAssembly module ${wasmUrl.href}: ${e?.message ?? e}`);
  }
  if (variant === 'threaded') unrefWorkers(Module);
  return Module;
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
