// Generation options in the seed's snake_case (SPEC 5), checked and filled
// with the seed's defaults: temperature 1.0, filter_thres 0.9, sampling on.
import { describe } from '../config.js';

const KEYS = ['max_new_tokens', 'temperature', 'filter_thres', 'top_k', 'top_p', 'do_sample', 'seed',
  'eos_token', 'stop', 'signal', 'callback', 'attention', 'context_mode', 'reencode_every'];

function fail(msg) { throw new Error(`generate: ${msg}`); }

/**
 * @param {object} options
 * @param {{ num_tokens: number, depth: number, heads: number }} config
 * @param {(s: string) => number[]} encode string -> token ids (byte-level models)
 */
export function normalizeGenerateOptions(options, config, encode) {
  if (options === null || typeof options !== 'object') fail(`options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options)) if (!KEYS.includes(k)) fail(`unknown option '${k}' (expected ${KEYS.join(', ')})`);
  const o = { ...options };
  const V = config.num_tokens;
  const int = (name, v, lo, hi) => {
    if (!Number.isInteger(v) || v < lo || v > hi) fail(`${name} must be an integer in [${lo}, ${hi}], got ${describe(v)}`);
    return v;
  };
  const num = (name, v, ok, what) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`${name} must be ${what}, got ${describe(v)}`);
    return v;
  };
  const out = {
    max_new_tokens: int('max_new_tokens', o.max_new_tokens ?? 256, 0, 1e7),
    temperature: num('temperature', o.temperature ?? 1.0, (v) => v >= 0, 'a number >= 0'),
    do_sample: o.do_sample ?? true,
    seed: int('seed', o.seed ?? 0, 0, Number.MAX_SAFE_INTEGER),
    filter_thres: -1,
    top_k: 0,
    top_p: num('top_p', o.top_p ?? 1.0, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    eos_token: o.eos_token === undefined || o.eos_token === null ? -1 : int('eos_token', o.eos_token, 0, V - 1),
    stop: [],
    signal: o.signal ?? null,
    callback: o.callback ?? null,
    attention: null,
    exact: (o.context_mode ?? 'exact') === 'exact',
    reencode_every: int('reencode_every', o.reencode_every ?? 0, 0, 1e9),
  };
  if (typeof out.do_sample !== 'boolean') fail(`do_sample must be true or false, got ${describe(o.do_sample)}`);
  if (o.context_mode !== undefined && o.context_mode !== 'exact' && o.context_mode !== 'reencode') {
    fail(`context_mode must be 'exact' or 'reencode', got ${describe(o.context_mode)}`);
  }
  if (o.filter_thres !== undefined && o.filter_thres !== null) {
    out.filter_thres = num('filter_thres', o.filter_thres, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  } else if (o.top_k !== undefined && o.top_k !== null) {
    out.top_k = int('top_k', o.top_k, 1, V);
  } else if (o.top_p === undefined) {
    out.filter_thres = 0.9;  // the seed's default
  }
  if (out.signal !== null && (typeof out.signal !== 'object' || typeof out.signal.aborted !== 'boolean')) {
    fail(`signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
  if (out.callback !== null && typeof out.callback !== 'function') fail(`callback must be a function, got ${describe(o.callback)}`);
  if (o.stop !== undefined && o.stop !== null) {
    const list = typeof o.stop === 'string' || (Array.isArray(o.stop) && o.stop.every((x) => typeof x === 'number'))
      ? [o.stop] : o.stop;
    if (!Array.isArray(list)) fail(`stop must be a string, a list of strings, or a list of token-id lists, got ${describe(o.stop)}`);
    out.stop = list.map((s) => {
      const ids = typeof s === 'string' ? encode(s) : s;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((t) => Number.isInteger(t) && t >= 0 && t < V)) {
        fail(`each stop sequence must be a non-empty string or list of token ids in [0, ${V}), got ${describe(s)}`);
      }
      return ids;
    });
  }
  if (o.attention !== undefined && o.attention !== null) {
    const { layer = 0, head = 0 } = o.attention;
    out.attention = { layer: int('attention.layer', layer, 0, config.depth - 1), head: int('attention.head', head, 0, config.heads - 1) };
  }
  return out;
}
