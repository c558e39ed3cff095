// Generation options: the JS API checks only what JSON cannot carry (the
// AbortSignal, the callback, functions or non-finite numbers elsewhere) and
// passes everything else, as the user wrote it, to the engine, which parses
// and defaults it (cpp/generation/generate_options.cpp: the reference
// package's snake_case and defaults, docs/SPEC.md §5).
import { describe } from '../config.js';

function fail(msg) { throw new Error(`generate: ${msg}`); }

/**
 * @param {object} options the user's generate() options
 * @returns {{ json: string, signal: AbortSignal|null, callback: Function|null }}
 */
export function splitGenerateOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(`options must be an object, got ${describe(options)}`);
  }
  const { signal = null, callback = null, ...rest } = options;
  if (signal !== null && (typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    fail(`signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (callback !== null && typeof callback !== 'function') fail(`callback must be a function, got ${describe(callback)}`);
  const json = JSON.stringify(rest, function check(key, value) {
    const name = key === '' ? 'options' : key;
    if (typeof value === 'function' || typeof value === 'symbol') fail(`option '${name}' must be plain data, got a ${typeof value}`);
    if (typeof value === 'bigint') fail(`${name} must be a number, got a bigint`);
    if (typeof value === 'number' && !Number.isFinite(value)) fail(`${name} must be a finite number, got ${value}`);
    return ArrayBuffer.isView(value) ? Array.from(value) : value;
  });
  return { json, signal, callback };
}
