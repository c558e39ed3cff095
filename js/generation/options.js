// Generation options: the JS API checks only what JSON cannot carry (the
// AbortSignal, the callback; runtime/engine-json.js for the rest) and
// passes everything else, as the user wrote it, to the engine, which parses
// and defaults it (cpp/generation/generate_options.cpp: the reference
// package's snake_case and defaults, docs/SPEC.md §5).
import { describe } from '../config.js';
import { engineJson } from '../runtime/engine-json.js';

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
  const json = engineJson(rest, 'generate');
  return { json, signal, callback };
}
