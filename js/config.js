// The reference package's constructor keyword arguments (LongShortTransformer(...)) and the
// engine options that travel beside them in create()/load() option objects.

/** The reference package's kwargs, in its order (the two dropout rates act in training only). */
export const CONFIG_KEYS = Object.freeze([
  'num_tokens', 'dim', 'depth', 'max_seq_len', 'window_size', 'causal',
  'dim_head', 'heads', 'ff_mult', 'segment_size', 'r', 'ff_dropout', 'attn_dropout',
]);
const NUMBER_KEYS = ['ff_dropout', 'attn_dropout'];

const REQUIRED_KEYS = ['num_tokens', 'dim', 'depth', 'max_seq_len'];

/**
 * Checks a config object of the reference package's kwargs in JS (keys and types) and
 * returns its JSON; the engine validates the values themselves.
 * @param {Record<string, unknown>} config
 * @returns {string}
 */
export function configToJson(config) {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`config must be an object of the reference package's kwargs, got ${describe(config)}`);
  }
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw new Error(`config: unknown key '${key}' (the reference package's kwargs are ${CONFIG_KEYS.join(', ')})`);
    }
  }
  for (const key of REQUIRED_KEYS) {
    if (config[key] === undefined || config[key] === null) {
      throw new Error(`config: missing required key '${key}'`);
    }
  }
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null) continue;
    if (key === 'causal') {
      if (typeof value !== 'boolean') throw new Error(`config: 'causal' must be true or false, got ${describe(value)}`);
    } else if (NUMBER_KEYS.includes(key)) {
      // The range, [0, 1), is the engine's (model/config.cpp).
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`config: '${key}' must be a number in [0, 1), got ${describe(value)}`);
    } else if (!Number.isSafeInteger(value)) {
      throw new Error(`config: '${key}' must be an integer, got ${describe(value)}`);
    }
  }
  const clean = {};
  for (const [key, value] of Object.entries(config)) if (value !== undefined) clean[key] = value;
  return JSON.stringify(clean);
}

/**
 * Splits an option object into the reference package's kwargs and everything else.
 * @param {Record<string, unknown>} options
 * @returns {{ config: Record<string, unknown>, rest: Record<string, unknown> }}
 */
export function splitConfig(options) {
  const config = {};
  const rest = {};
  for (const [key, value] of Object.entries(options)) {
    if (CONFIG_KEYS.includes(key)) config[key] = value;
    else rest[key] = value;
  }
  return { config, rest };
}

/** @param {unknown} v */
export function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${v.length ?? v.byteLength}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return `a ${v.constructor?.name ?? 'object'}`;
  return String(v);
}
