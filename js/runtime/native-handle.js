// What every JS object that owns a wasm instance shares: the engine options
// it accepts, their check, and freeing its native object and threads once
// (on dispose(), or by the finalizer if its owner forgot).
import { describe } from '../config.js';
import { releaseInstance } from './instantiate.js';

export const ENGINE_OPTIONS = ['threads', 'threaded', 'simd', 'backend', 'wasmPaths'];

/** Throws naming the first option of `options` that is not in `allowed`. */
export function checkOptions(options, allowed, fn) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(`${fn}: unknown option '${key}' (expected ${allowed.join(', ')})`);
  }
  if (options.backend !== undefined && typeof options.backend !== 'string') {
    throw new Error(`${fn}: backend must be 'builtin' or 'xnnpack', got ${describe(options.backend)}`);
  }
}

/**
 * Frees `state.native` once and gives the instance back for reuse
 * (instantiate.js: releaseInstance), unless it crashed (`state.crashed`).
 */
export function releaseState(state) {
  if (state.released) return;
  state.released = true;
  let freed = false;
  try {
    state.native.release();
    state.native.delete();
    freed = true;
  } catch { /* the instance crashed; nothing left to free */ }
  releaseInstance(state.Module, { reusable: freed && !state.crashed });
  // Drop the instance (its heap can be hundreds of MB) now, not when the
  // owner object is collected: every method checks `released` first.
  state.Module = null;
  state.native = null;
}

/** Frees a state whose owner was garbage-collected without dispose(). */
export const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((state) => releaseState(state)) : null;
