// What the training classes share: option checks, one wasm instance per
// trainer (its own heap and threads), and reading initial weights.
import { describe } from '../config.js';
import { chooseVariant } from '../runtime/choose-variant.js';
import { instantiate, terminateWorkers } from '../runtime/instantiate.js';
import { readSource } from '../runtime/read-source.js';

export { ENGINE_OPTIONS, checkOptions } from '../runtime/native-handle.js';

/** A number option: finite, within [min, max] (integers when `integer`). */
export function numberOption(options, key, fn, { min = -Infinity, max = Infinity, integer = false, above } = {}) {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  const ok = typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isSafeInteger(v)) &&
    v >= min && v <= max && (above === undefined || v > above);
  if (!ok) {
    const range = above !== undefined ? `> ${above}` : max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${fn}: ${key} must be ${integer ? 'an integer' : 'a number'} ${range}, got ${describe(v)}`);
  }
  return v;
}

/**
 * The build, thread count and a fresh module instance.
 * @returns {Promise<{ Module: any, variant: 'single'|'threaded', simd: 'relaxed'|'simd128', threads: number }>}
 */
export async function startEngine(options) {
  const { variant, threads, simd } = chooseVariant(options);
  const Module = await instantiate(variant, { threads, simd, wasmPaths: options.wasmPaths });
  return { Module, variant, simd, threads };
}

export { terminateWorkers };

/**
 * Initial weights as safetensors bytes: bytes, a path or URL (read like
 * LongShortTransformer.load), or a LongShortTransformer (its save()).
 * @returns {Promise<Uint8Array>}
 */
export async function readInit(init, fn) {
  if (init && typeof init === 'object' && typeof init.save === 'function' && typeof init.config === 'object') {
    return init.save({ dtype: 'float32' });
  }
  try {
    return await readSource(init);
  } catch (e) {
    throw new Error(`${fn}: init: ${e.message}`);
  }
}

/** Copies `bytes` into a new HeapBuffer of `Module` (delete it after use). */
export function heapBuffer(Module, bytes, what) {
  const buf = new Module.HeapBuffer();
  if (!buf.resize(bytes.length)) {
    const message = buf.error();
    buf.delete();
    throw new Error(`could not hold the ${what} (${bytes.length} bytes): ${message}`);
  }
  if (bytes.length) buf.view().set(bytes);
  return buf;
}

/** Runs a wasm call; a trap (not an engine error) becomes a named Error. */
export function wasmCall(owner, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || !(e instanceof Error)) {
      owner._crashed = String(e?.message ?? e);
      if (owner._state) owner._state.crashed = true;  // never handed to another owner (native-handle.js)
      throw new Error(`the WebAssembly module crashed: ${owner._crashed}`);
    }
    throw e;
  }
}
