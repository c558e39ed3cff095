// Hostile inputs through the JS API, in both wasm builds: weight files,
// configs, thread counts, forward inputs, generation options, evaluation,
// save. Each case is a row { name, run, expect }: `expect` is the named
// error (a RegExp) or a function that checks the documented result. After
// every case the same two model instances give bit-identical logits, and the
// process's memory stays bounded over the whole file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LongShortTransformer, SafetensorsFile } from '../../js/index.js';
import { SMALL, VARIANTS, tensorsOf, writeSafetensors } from '../js/helpers.js';
import { assertSameLogits, f32, nested, outcome, rawSafetensors } from './hostile.js';

const TOKENS = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
const BYTE_CONFIG = { ...SMALL, num_tokens: 256 };
const rssAtStart = process.memoryUsage().rss;
const timings = [];

/** Loads `bytes`; a model that loads is measured and freed (the case's expect decides whether loading was right). */
async function loadInfo(bytes, options, extra = {}) {
  const m = await LongShortTransformer.load(bytes, { ...options, ...extra });
  try {
    return { config: m.config, logits: m.forward([[1, 2, 3]]).data };
  } finally {
    m.dispose();
  }
}
async function createInfo(config, options) {
  const m = await LongShortTransformer.create({ ...options, ...config });
  try {
    const n = Math.min(5, m.config.max_seq_len + 1);
    return { config: m.config, logits: m.forward([Array.from({ length: n }, (_, i) => i % m.config.num_tokens)]).data };
  } finally {
    m.dispose();
  }
}
const finite = (r) => assert.ok(r.logits.every(Number.isFinite), 'finite logits');

/** The cases of one build; `ctx` holds the build's options, its two models and the small model's file. */
function cases(ctx) {
  const { opts } = ctx;
  const load = (bytes, extra) => () => loadInfo(typeof bytes === 'function' ? bytes() : bytes, opts, extra);
  const create = (config) => () => createInfo(config, opts);
  // The small model's file with its tensors (and metadata) changed.
  // (a function: built when the case runs)
  const edited = (edit, metadata) => () => {
    const tensors = tensorsOf(ctx.file);
    edit(tensors);
    return writeSafetensors(tensors, metadata === undefined ? ctx.file.metadata : metadata);
  };
  const withConfig = (config) => ({ config: JSON.stringify(config) });
  const one = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
  const fwd = (tokens, o) => () => ctx.model.forward(tokens, o);
  const gen = (prompt, o) => () => ctx.model.generate(prompt, { max_new_tokens: 3, ...o });
  const genBytes = (prompt, o) => () => ctx.bytes.generate(prompt, { max_new_tokens: 3, ...o });
  const getter = (values, index, get) => {
    const a = [...values];
    Object.defineProperty(a, index, { get });
    return a;
  };

  return [
    // ---- weight files: headers ----
    { area: 'file', name: 'empty file', run: load(new Uint8Array(0)), expect: /the weight file is empty/ },
    { area: 'file', name: '7-byte file', run: load(new Uint8Array(7)), expect: /safetensors: file is 7 bytes|too short/ },
    { area: 'file', name: 'header length 2^64-1', run: load(rawSafetensors('{}', undefined, 2n ** 64n - 1n)), expect: /header length \d+ is absurd/ },
    { area: 'file', name: 'header length past the end', run: load(rawSafetensors('{}', undefined, 5000n)), expect: /header length 5000/ },
    { area: 'file', name: 'header not JSON', run: load(rawSafetensors('{"a": ')), expect: /safetensors.*JSON|JSON/ },
    { area: 'file', name: 'header a JSON array', run: load(rawSafetensors('[1, 2]')), expect: /header JSON is not an object/ },
    { area: 'file', name: 'header nested 200,000 levels', run: load(rawSafetensors(`{"a": ${nested(200000)}}`)), expect: /nested more than \d+ levels/ },
    { area: 'file', name: 'metadata config nested 200,000 arrays deep', ms: 5000,
      run: load(rawSafetensors({ __metadata__: { config: nested(200000) } })), expect: /config: 400000 bytes of JSON, more than 65536/ },
    { area: 'file', name: 'metadata config nested 30,000 arrays deep', ms: 5000,
      run: load(rawSafetensors({ __metadata__: { config: nested(30000) } })), expect: /config: JSON nested more than 2 levels/ },
    { area: 'file', name: 'metadata config of 2 MB', run: load(rawSafetensors({ __metadata__: { config: `{"dim": ${'1'.repeat(2e6)}}` } })),
      expect: /config: \d+ bytes of JSON, more than/ },
    { area: 'file', name: 'metadata config not JSON', run: load(rawSafetensors({ __metadata__: { config: '{dim: 3' } })), expect: /config: invalid JSON/ },
    { area: 'file', name: 'metadata config a number', run: load(rawSafetensors({ __metadata__: { config: '42' } })), expect: /config: expected a JSON object/ },
    { area: 'file', name: '__metadata__ an array', run: load(rawSafetensors({ __metadata__: ['config'] })), expect: /__metadata__ is not an object/ },
    { area: 'file', name: '__metadata__ a string', run: load(rawSafetensors({ __metadata__: 'config' })), expect: /__metadata__ is not an object/ },
    { area: 'file', name: '__metadata__ value not a string', run: load(rawSafetensors({ __metadata__: { config: { dim: 3 } } })), expect: /__metadata__ value for key/ },
    { area: 'file', name: 'negative data_offsets', run: load(rawSafetensors({ a: { ...one, data_offsets: [-8, -4] } }, f32([1]))), expect: /'a'.*data_offsets/ },
    { area: 'file', name: 'fractional data_offsets', run: load(rawSafetensors({ a: { ...one, data_offsets: [0.5, 4.5] } }, f32([1, 2]))), expect: /'a'.*data_offsets/ },
    { area: 'file', name: 'reversed data_offsets', run: load(rawSafetensors({ a: { ...one, data_offsets: [4, 0] } }, f32([1]))), expect: /'a'.*data_offsets/ },
    { area: 'file', name: 'data_offsets past the end', run: load(rawSafetensors({ a: { ...one, data_offsets: [0, 4] } }, new Uint8Array(2))), expect: /'a'.*data_offsets/ },
    { area: 'file', name: 'data_offsets 2^70', run: load(rawSafetensors('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 1180591620717411303424]}}', f32([1]))), expect: /'a'.*data_offsets/ },
    { area: 'file', name: 'overlapping data_offsets',
      run: load(rawSafetensors({ a: { ...one, shape: [2], data_offsets: [0, 8] }, b: { ...one, shape: [2], data_offsets: [4, 12] } }, f32([1, 2, 3]))),
      expect: /overlap|data_offsets/ },
    { area: 'file', name: 'dtype named constructor', run: load(rawSafetensors({ a: { ...one, dtype: 'constructor' } }, f32([1]))), expect: /'a'.*dtype/ },
    { area: 'file', name: 'dtype named __proto__', run: load(rawSafetensors({ a: { ...one, dtype: '__proto__' } }, f32([1]))), expect: /'a'.*dtype/ },
    { area: 'file', name: 'dtype a number', run: load(rawSafetensors({ a: { ...one, dtype: 4 } }, f32([1]))), expect: /'a'.*dtype/ },
    { area: 'file', name: 'shape with a negative dim', run: load(rawSafetensors({ a: { ...one, shape: [-1] } }, f32([1]))), expect: /'a'.*shape/ },
    { area: 'file', name: 'shape 2^62 x 2^62', run: load(rawSafetensors('{"a": {"dtype": "F32", "shape": [4611686018427387904, 4611686018427387904], "data_offsets": [0, 4]}}', f32([1]))),
      expect: /'a'.*(shape|bytes|overflow)/ },
    { area: 'file', name: 'duplicate tensor name', run: load(rawSafetensors('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', f32([1]))),
      expect: /duplicate key/ },
    { area: 'file', name: 'no config in the file', run: load(edited(() => {}, null)), expect: /no model config/ },
    { area: 'file', name: 'truncated by one byte', run: () => loadInfo(ctx.small.subarray(0, ctx.small.length - 1), opts), expect: /data_offsets|past the end|safetensors/ },
    { area: 'file', name: 'truncated in the header', run: () => loadInfo(ctx.small.subarray(0, 40), opts), expect: /header|safetensors/ },
    // ---- weight files: tensors ----
    { area: 'file', name: 'missing tensor', run: load(edited((t) => { delete t['layers.1.1.fn.net.3.weight']; })), expect: /layers\.1\.1\.fn\.net\.3\.weight/ },
    { area: 'file', name: 'extra tensors outside the model (documented: ignored)', run: load(edited((t) => { t['input.tokens'] = { dtype: 'I64', shape: [1], data: new BigInt64Array(1) }; })),
      expect: (r) => assertSameLogits(r.logits, ctx.model.forward([[1, 2, 3]]).data, 'extra tensor') },
    { area: 'file', name: 'a layer the config does not have', run: load(edited((t) => { t['layers.2.0.norm.weight'] = { dtype: 'F32', shape: [32], data: new Float32Array(32) }; })),
      expect: /layers\.2\.0\.norm\.weight/ },
    { area: 'file', name: 'shape mismatch', run: load(edited((t) => { t['token_emb.weight'] = { dtype: 'F32', shape: [50, 31], data: new Float32Array(50 * 31) }; })),
      expect: /token_emb\.weight.*shape|shape.*token_emb\.weight/ },
    { area: 'file', name: 'integer dtype for a weight', run: load(edited((t) => { t['to_logits.0.bias'] = { dtype: 'I32', shape: [32], data: new Int32Array(32) }; })),
      expect: /to_logits\.0\.bias.*I32|I32.*to_logits\.0\.bias/ },
    { area: 'file', name: 'F64 weight (documented: converted, as load_state_dict copies)',
      run: load(edited((t) => { t['to_logits.0.bias'] = { dtype: 'F64', shape: [32], data: Float64Array.from(t['to_logits.0.bias'].data) }; })),
      expect: (r) => assertSameLogits(r.logits, ctx.model.forward([[1, 2, 3]]).data, 'F64 weights') },
    { area: 'file', name: 'NaN weight', run: load(edited((t) => { t['to_logits.1.bias'].data[7] = NaN; })), expect: /to_logits\.1\.bias.*(NaN|finite)/ },
    { area: 'file', name: 'infinite weight', run: load(edited((t) => { t['layers.0.0.fn.to_q.weight'].data[0] = -Infinity; })), expect: /layers\.0\.0\.fn\.to_q\.weight.*(inf|finite)/i },
    { area: 'file', name: 'metadata config depth 1e6', ms: 3000,
      run: load(edited(() => {}, withConfig({ ...SMALL, depth: 1e6 }))), expect: /depth must be <= \d+/ },
    { area: 'file', name: 'metadata config depth 1 (file has 2 layers)', run: load(edited(() => {}, withConfig({ ...SMALL, depth: 1 }))), expect: /layers\.1\./ },
    { area: 'file', name: 'config override with an unknown key', run: load(ctx.small, { config: { ...SMALL, dimm: 3 } }), expect: /unknown key 'dimm'/ },
    { area: 'file', name: 'config override of the wrong type', run: load(ctx.small, { config: [1, 2] }), expect: /config must be an object/ },
    // ---- configs ----
    { area: 'config', name: 'depth 1e6', ms: 3000, run: create({ ...SMALL, depth: 1e6 }), expect: /depth must be <= \d+, got 1000000/ },
    { area: 'config', name: 'window 1024 + segment 1023', ms: 3000, run: create({ ...SMALL, window_size: 1024, segment_size: 1023 }), expect: /lcm\(window_size, segment_size\) = 1047552/ },
    { area: 'config', name: 'r = segment_size (causal)', run: create({ ...SMALL, r: 4 }), expect: /causal mode needs r < segment_size/ },
    { area: 'config', name: 'r > segment_size (causal)', run: create({ ...SMALL, r: 9 }), expect: /causal mode needs r < segment_size/ },
    { area: 'config', name: 'dim_head 1 (documented: supported)', run: create({ ...SMALL, dim_head: 1 }), expect: finite },
    { area: 'config', name: 'dim_head 3, odd (documented: supported)', run: create({ ...SMALL, dim_head: 3 }), expect: finite },
    { area: 'config', name: 'max_seq_len 2^31-1 (documented: only generation uses it)', run: create({ ...SMALL, max_seq_len: 2 ** 31 - 1 }), expect: finite },
    { area: 'config', name: 'max_seq_len 2^31', run: create({ ...SMALL, max_seq_len: 2 ** 31 }), expect: /max_seq_len.*(range|<=)/ },
    { area: 'config', name: 'window_size > max_seq_len (documented: allowed)', run: create({ ...SMALL, window_size: 128 }), expect: finite },
    { area: 'config', name: 'unknown key', run: create({ ...SMALL, dimm: 3 }), expect: /unknown option 'dimm'/ },
    { area: 'config', name: 'dim as a string', run: create({ ...SMALL, dim: '32' }), expect: /'dim' must be an integer, got "32"/ },
    { area: 'config', name: 'depth 2.5', run: create({ ...SMALL, depth: 2.5 }), expect: /'depth' must be an integer/ },
    { area: 'config', name: 'causal "yes"', run: create({ ...SMALL, causal: 'yes' }), expect: /'causal' must be true or false/ },
    { area: 'config', name: 'num_tokens 0', run: create({ ...SMALL, num_tokens: 0 }), expect: /num_tokens must be >= 1/ },
    { area: 'config', name: 'heads -1', run: create({ ...SMALL, heads: -1 }), expect: /heads must be >= 1/ },
    { area: 'config', name: 'missing dim', run: create({ num_tokens: 5, depth: 1, max_seq_len: 8 }), expect: /missing required key 'dim'/ },
    { area: 'config', name: 'ff_dropout 0.1 (the reference package kwarg)', run: create({ ...SMALL, ff_dropout: 0.1, attn_dropout: 0.05 }),
      expect: (r) => { finite(r); assert.equal(r.config.ff_dropout, 0.1); } },
    { area: 'config', name: 'ff_dropout 1', run: create({ ...SMALL, ff_dropout: 1 }), expect: /ff_dropout' must be a number in \[0, 1\), got 1/ },
    { area: 'config', name: 'attn_dropout -0.1', run: create({ ...SMALL, attn_dropout: -0.1 }), expect: /attn_dropout' must be a number in \[0, 1\), got -0\.1/ },
    { area: 'config', name: 'attn_dropout "0.1"', run: create({ ...SMALL, attn_dropout: '0.1' }), expect: /attn_dropout' must be a number/ },
    { area: 'config', name: 'num_tokens x dim over 2^31', run: create({ ...SMALL, num_tokens: 1 << 24, dim: 1024 }), expect: /more than 2\^31/ },
    { area: 'config', name: 'create(null)', run: () => LongShortTransformer.create(null), expect: /create: expected the reference package's kwargs, got null/ },
    { area: 'config', name: 'seed -1', run: create({ ...SMALL, seed: -1 }), expect: /seed must be a non-negative integer/ },
    // ---- threads ----
    { area: 'threads', name: 'threads 0', run: create({ ...SMALL, threads: 0 }), expect: /threads must be an integer in \[1, \d+\]/ },
    { area: 'threads', name: 'threads 1.5', run: create({ ...SMALL, threads: 1.5 }), expect: /threads must be an integer/ },
    { area: 'threads', name: 'threads 256', run: create({ ...SMALL, threads: 256 }), expect: /threads must be an integer in \[1, \d+\]/ },
    { area: 'threads', name: 'threads 4294967297', run: create({ ...SMALL, threads: 4294967297 }), expect: /threads must be an integer in \[1, \d+\]/ },
    { area: 'threads', name: 'threads "2"', run: create({ ...SMALL, threads: '2' }), expect: /threads must be an integer/ },
    // ---- forward ----
    { area: 'forward', name: 'id = num_tokens', run: fwd([1, 2, 50]), expect: /token id 50 at \[0, 2\] is out of range \[0, 50\)/ },
    { area: 'forward', name: 'id -1', run: fwd([[1, 2], [-1, 3]]), expect: /token id -1 at \[1, 0\] is out of range/ },
    { area: 'forward', name: 'id 2^53 (BigInt64Array)', run: fwd(new BigInt64Array([0n, 2n ** 53n])), expect: /token id 9007199254740992 at \[0, 1\]/ },
    { area: 'forward', name: 'non-integer id', run: fwd([1, 2.5]), expect: /token id 2\.5 at \[0, 1\] is not an integer/ },
    { area: 'forward', name: 'NaN id', run: fwd([NaN, 1]), expect: /token id NaN at \[0, 0\] is not an integer/ },
    { area: 'forward', name: 'string id', run: fwd(['1', 2]), expect: /token id "1" at \[0, 0\] is not an integer/ },
    { area: 'forward', name: 'a 1 MB string id', run: fwd(['x'.repeat(1e6)]), expect: /token id "x+\.\.\." at \[0, 0\] is not an integer/ },
    { area: 'forward', name: 'empty tokens', run: fwd([]), expect: /tokens is empty/ },
    { area: 'forward', name: 'ragged rows', run: fwd([[1, 2], [3]]), expect: /rows have different lengths/ },
    { area: 'forward', name: 'dims that do not match', run: fwd(new Int32Array(6), { dims: [4, 2] }), expect: /dims \[4, 2\] need 8 entries, got 6/ },
    { area: 'forward', name: 'three dims', run: fwd(new Int32Array(6), { dims: [2, 3, 1] }), expect: /dims must be \[n\] or \[b, n\]/ },
    { area: 'forward', name: 'dims [2^31, 2^31]', run: fwd(new Int32Array(6), { dims: [2 ** 31, 2 ** 31] }), expect: /tokens: dims \[2147483648, 2147483648\] need \d+ entries, got 6/ },
    { area: 'forward', name: 'tokens a number', run: fwd(42), expect: /tokens must be an array/ },
    { area: 'forward', name: 'tokens null', run: fwd(null), expect: /tokens must be/ },
    { area: 'forward', name: 'mask of the wrong length', run: fwd([1, 2, 3], { mask: [true, false] }), expect: /mask has 2 entries but tokens have shape \[1, 3\]/ },
    { area: 'forward', name: 'mask value 2', run: fwd([1, 2], { mask: [1, 2] }), expect: /mask value 2 at \[0, 1\] is not a boolean or 0\/1/ },
    { area: 'forward', name: 'mask of the wrong shape', run: fwd(TOKENS, { mask: [[1, 1, 1, 1, 1]] }), expect: /mask has shape \[1, 5\]/ },
    { area: 'forward', name: 'out of the wrong size', run: fwd([1, 2], { out: new Float32Array(99) }), expect: /out must be a Float32Array of 1 \* 2 \* 50 = 100 logits/ },
    { area: 'forward', name: 'out a Float64Array', run: fwd([1, 2], { out: new Float64Array(100) }), expect: /out must be a Float32Array/ },
    { area: 'forward', name: 'out of the right size (documented: filled)', run: () => { const out = new Float32Array(100); return [out, ctx.model.forward([1, 2], { out })]; },
      expect: ([out, r]) => assert.equal(r.data, out) },
    { area: 'forward', name: 'unknown option', run: fwd([1], { masks: [1] }), expect: /unknown option 'masks'/ },
    { area: 'forward', name: 'options a string', run: fwd([1], 'x'), expect: /options must be an object/ },
    { area: 'forward', name: 're-entrant token getter', run: fwd(getter([1, 2, 3, 4, 5], 2, () => { ctx.model.forward([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]); return 3; })),
      expect: /re-entrant call: this model is already inside a call/ },
    { area: 'forward', name: 're-entrant mask getter', run: fwd([1, 2, 3], { mask: getter([1, 1, 1], 1, () => { ctx.model.forward([1]); return 1; }) }),
      expect: /re-entrant call/ },
    { area: 'forward', name: 'token getter that throws', run: fwd(getter([1, 2, 3], 1, () => { throw new Error('getter boom'); })), expect: /getter boom/ },
    { area: 'forward', name: 'checkFinite with overflowing weights', run: async () => {
      const huge = await LongShortTransformer.load(edited((t) => { for (const x of Object.values(t)) x.data.fill(3e38); })(), opts);
      try {
        return huge.forward([1, 2, 3], { checkFinite: true });
      } finally {
        huge.dispose();
      }
    }, expect: /forward: logit \[0, 0, 0\] is (NaN|-?Infinity) \(not finite/ },
    // ---- generate ----
    { area: 'generate', name: 'max_new_tokens -1', run: gen([1], { max_new_tokens: -1 }), expect: /max_new_tokens must be an integer in \[0, 10000000\], got -1/ },
    { area: 'generate', name: 'max_new_tokens 4294967299', run: gen([1], { max_new_tokens: 4294967299 }), expect: /max_new_tokens must be an integer in \[0, 10000000\], got 4294967299/ },
    { area: 'generate', name: 'max_new_tokens 1.5', run: gen([1], { max_new_tokens: 1.5 }), expect: /max_new_tokens must be an integer/ },
    { area: 'generate', name: 'max_new_tokens "3"', run: gen([1], { max_new_tokens: '3' }), expect: /max_new_tokens must be an integer.*got "3"/ },
    { area: 'generate', name: 'max_new_tokens 0 (documented: no tokens)', run: gen([1], { max_new_tokens: 0 }),
      expect: (r) => { assert.deepEqual(r.tokens, []); assert.equal(r.finish_reason, 'length'); } },
    { area: 'generate', name: 'temperature -1', run: gen([1], { temperature: -1 }), expect: /temperature must be a number >= 0, got -1/ },
    { area: 'generate', name: 'temperature NaN', run: gen([1], { temperature: NaN }), expect: /temperature must be a finite number, got NaN/ },
    { area: 'generate', name: 'temperature Infinity', run: gen([1], { temperature: Infinity }), expect: /temperature must be a finite number/ },
    { area: 'generate', name: 'temperature 0 (documented: greedy)', run: async () => [await gen([1], { temperature: 0, seed: 1 })(), await gen([1], { temperature: 0, seed: 2 })()],
      expect: ([a, b]) => assert.deepEqual(a.tokens, b.tokens) },
    { area: 'generate', name: 'top_k 0', run: gen([1], { top_k: 0 }), expect: /top_k must be an integer in \[1, 50\], got 0/ },
    { area: 'generate', name: 'top_k 51', run: gen([1], { top_k: 51 }), expect: /top_k must be an integer in \[1, 50\], got 51/ },
    { area: 'generate', name: 'top_k 0 beside filter_thres', run: gen([1], { top_k: 0, filter_thres: 0.5 }), expect: /top_k must be an integer/ },
    { area: 'generate', name: 'top_p 0', run: gen([1], { top_p: 0 }), expect: /top_p must be in \(0, 1\], got 0/ },
    { area: 'generate', name: 'top_p 1.5', run: gen([1], { top_p: 1.5 }), expect: /top_p must be in \(0, 1\]/ },
    { area: 'generate', name: 'filter_thres -0.5', run: gen([1], { filter_thres: -0.5 }), expect: /filter_thres must be in \[0, 1\], got -0\.5/ },
    { area: 'generate', name: 'filter_thres 1 (documented: k at least 1)', run: gen([1], { filter_thres: 1 }), expect: (r) => assert.equal(r.tokens.length, 3) },
    { area: 'generate', name: 'stop [] (documented: no stop sequence)', run: gen([1], { stop: [] }), expect: (r) => assert.equal(r.tokens.length, 3) },
    { area: 'generate', name: 'stop [{}]', run: gen([1], { stop: [{}] }), expect: /each stop sequence must be a non-empty string or list of token ids/ },
    { area: 'generate', name: 'stop 5', run: gen([1], { stop: 5 }), expect: /stop must be a string, a list of strings, or a list of token-id lists, got 5/ },
    { area: 'generate', name: 'stop [[99]] out of range', run: gen([1], { stop: [[99]] }), expect: /each stop token must be an integer in \[0, 49\], got 99/ },
    { area: 'generate', name: 'stop text on a 50-token model', run: gen([1], { stop: 'x' }), expect: /text stop sequences need a byte-level model/ },
    { area: 'generate', name: 'stop [null, 3]', run: gen([1], { stop: [null, 3] }), expect: /each stop sequence must be a non-empty string or list of token ids in \[0, 50\), got null/ },
    { area: 'generate', name: 'stop nested 10,000 deep', run: gen([1], { stop: JSON.parse(nested(10000)) }), expect: /nested (too deeply|more than 3 levels)/ },
    { area: 'generate', name: 'options with a cycle', run: () => { const stop = []; stop.push(stop); return gen([1], { stop })(); }, expect: /options contain a cycle/ },
    { area: 'generate', name: 'seed -1', run: gen([1], { seed: -1 }), expect: /seed must be an integer in \[0, 9007199254740991\], got -1/ },
    { area: 'generate', name: 'seed 2^53', run: gen([1], { seed: 2 ** 53 }), expect: /seed must be an integer in \[0, 9007199254740991\]/ },
    { area: 'generate', name: 'seed as a BigInt', run: gen([1], { seed: 5n }), expect: /seed must be a number, got a bigint/ },
    { area: 'generate', name: 'eos_token 50', run: gen([1], { eos_token: 50 }), expect: /eos_token must be an integer in \[0, 49\], got 50/ },
    { area: 'generate', name: 'eos_token "a"', run: gen([1], { eos_token: 'a' }), expect: /eos_token must be an integer/ },
    { area: 'generate', name: 'callback "x"', run: gen([1], { callback: 'x' }), expect: /callback must be a function, got "x"/ },
    { area: 'generate', name: 'callback that throws', run: gen([1], { callback: () => { throw new Error('callback boom'); } }), expect: /callback boom/ },
    { area: 'generate', name: 'callback returning false (documented)', run: gen([1], { max_new_tokens: 10, callback: () => false }),
      expect: (r) => { assert.equal(r.finish_reason, 'callback'); assert.equal(r.tokens.length, 1); } },
    { area: 'generate', name: 'callback calling forward between steps (documented: allowed)', run: gen([1], { seed: 3, callback: () => { ctx.model.forward([1, 2]); } }),
      expect: async (r) => assert.deepEqual(r.tokens, (await gen([1], { seed: 3 })()).tokens) },
    { area: 'generate', name: 'empty prompt', run: gen([]), expect: /the prompt is empty/ },
    { area: 'generate', name: 'text prompt on a 50-token model', run: gen('hello'), expect: /text needs a byte-level model/ },
    { area: 'generate', name: 'prompt id out of range', run: gen([1, 99]), expect: /prompt token 99 at index 1 is not an id in \[0, 50\)/ },
    { area: 'generate', name: 'prompt null', run: gen(null), expect: /prompt must be a string or a list of token ids, got null/ },
    { area: 'generate', name: 'context_mode "fast"', run: gen([1], { context_mode: 'fast' }), expect: /context_mode must be 'exact' or 'reencode', got "fast"/ },
    { area: 'generate', name: 'reencode_every -1', run: gen([1], { context_mode: 'reencode', reencode_every: -1 }), expect: /reencode_every must be an integer/ },
    { area: 'generate', name: 'prompt past max_seq_len (documented: exact, with a warning)', run: gen(Array.from({ length: 70 }, (_, i) => i % 50)),
      expect: (r) => { assert.equal(r.tokens.length, 3); assert.ok(r.warnings.length >= 1); } },
    { area: 'generate', name: 'reencode with max_seq_len 1 (documented: works)', run: async () => {
      const m = await LongShortTransformer.create({ ...SMALL, max_seq_len: 1, ...opts });
      try {
        return await m.generate([1, 2], { max_new_tokens: 4, context_mode: 'reencode' });
      } finally {
        m.dispose();
      }
    }, expect: (r) => assert.equal(r.tokens.length, 4) },
    { area: 'generate', name: 'attention 5', run: gen([1], { attention: 5 }), expect: /attention must be an object \{ layer, head \}, got 5/ },
    { area: 'generate', name: 'attention layer 9', run: gen([1], { attention: { layer: 9 } }), expect: /attention\.layer must be an integer in \[0, 1\], got 9/ },
    { area: 'generate', name: 'unknown option', run: gen([1], { max_tokens: 3 }), expect: /unknown option 'max_tokens'/ },
    { area: 'generate', name: 'options an array', run: () => ctx.model.generate([1], []), expect: /options must be an object/ },
    { area: 'generate', name: 'signal "x"', run: gen([1], { signal: 'x' }), expect: /signal must be an AbortSignal/ },
    { area: 'generate', name: 'signal already aborted (documented)', run: gen([1], { signal: AbortSignal.abort() }),
      expect: (r) => { assert.equal(r.finish_reason, 'abort'); assert.deepEqual(r.tokens, []); } },
    { area: 'generate', name: 'do_sample "no"', run: gen([1], { do_sample: 'no' }), expect: /do_sample must be true or false/ },
    { area: 'generate', name: 'a function in an unknown option', run: gen([1], { extra: () => 1 }), expect: /option 'extra' must be plain data/ },
    { area: 'generate', name: 'stream with a bad option', run: async () => { for await (const s of ctx.model.stream([1], { top_k: -3 })) return s; }, expect: /top_k must be an integer/ },
    { area: 'generate', name: 'one bad prompt in a batch', run: gen([[1, 2], [3, 60]]), expect: /prompt token 60 at index 1/ },
    { area: 'generate', name: 'text stop on a byte-level model (documented: stops)', run: genBytes('ab', { max_new_tokens: 50, stop: ['a', 'b', 'c', 'd', 'e'], temperature: 0 }),
      expect: (r) => assert.ok(['stop', 'length'].includes(r.finish_reason)) },
    // ---- evaluate, save ----
    { area: 'evaluate', name: 'empty data', run: () => ctx.bytes.evaluate(''), expect: /evaluate: evaluation data needs at least 2 bytes, got 0/ },
    { area: 'evaluate', name: 'one byte', run: () => ctx.bytes.evaluate('a'), expect: /evaluate: evaluation data needs at least 2 bytes, got 1/ },
    { area: 'evaluate', name: 'seq 0', run: () => ctx.bytes.evaluate('abcdef', { seq: 0 }), expect: /evaluate: .*seq/ },
    { area: 'evaluate', name: 'seq 1.5', run: () => ctx.bytes.evaluate('abcdef', { seq: 1.5 }), expect: /evaluate: .*seq/ },
    { area: 'evaluate', name: 'seq "8"', run: () => ctx.bytes.evaluate('abcdef', { seq: '8' }), expect: /evaluate: seq must be an integer, got "8"/ },
    { area: 'evaluate', name: 'seq 2^40', run: () => ctx.bytes.evaluate('abcdef', { seq: 2 ** 40 }), expect: /evaluate: .*seq/ },
    { area: 'evaluate', name: 'data a number', run: () => ctx.bytes.evaluate(5), expect: /data must be a string, a Uint8Array or an ArrayBuffer/ },
    { area: 'evaluate', name: 'a 50-token model', run: () => ctx.model.evaluate('abc'), expect: /evaluate: evaluation reads bytes: the model must be byte-level \(num_tokens 256\), not 50/ },
    { area: 'save', name: 'dtype int4', run: () => ctx.model.save({ dtype: 'int4' }), expect: /dtype must be 'float32', 'float16' or 'int8', got 'int4'/ },
    { area: 'save', name: 'dtype int8 (documented: an int8 file)', run: () => ctx.model.save({ dtype: 'int8' }),
      expect: (bytes) => assert.ok(bytes instanceof Uint8Array && bytes.length > 8) },
    { area: 'save', name: 'unknown option', run: () => ctx.model.save({ dtpe: 'float16' }), expect: /save: unknown option 'dtpe'/ },
    // ---- load sources and options ----
    { area: 'load', name: 'missing file', run: () => LongShortTransformer.load('/nonexistent/x.safetensors', opts), expect: /could not read '\/nonexistent\/x\.safetensors': no such file/ },
    { area: 'load', name: '/dev/zero', run: () => LongShortTransformer.load('/dev/zero', opts), expect: /not a regular file/ },
    { area: 'load', name: 'a directory', run: () => LongShortTransformer.load('/tmp', opts), expect: /not a regular file|directory/ },
    { area: 'load', name: 'source a number', run: () => LongShortTransformer.load(42, opts), expect: /load\(\) takes a URL/ },
    { area: 'load', name: 'unknown option', run: load(ctx.small, { thread: 2 }), expect: /unknown option 'thread'/ },
    { area: 'load', name: 'progress_callback "x"', run: load(ctx.small, { progress_callback: 'x' }), expect: /progress_callback must be a function, got "x"/ },
    { area: 'load', name: 'progress_callback that throws', run: () => LongShortTransformer.load(ctx.path, { ...opts, progress_callback: () => { throw new Error('progress boom'); } }),
      expect: /progress boom/ },
    { area: 'load', name: 'signal already aborted', run: load(ctx.small, { signal: AbortSignal.abort() }), expect: /abort/i },
    { area: 'load', name: 'backend "cuda"', run: load(ctx.small, { backend: 'cuda' }), expect: /unknown GEMM backend "cuda" \(expected "builtin" or "xnnpack"\)/ },
    { area: 'load', name: 'cache "sometimes"', run: load(ctx.small, { cache: 'sometimes' }), expect: /cache must be true, false or 'revalidate'/ },
  ];
}

// The rows' names, for node:test (which collects tests before the models exist).
const NAMES = cases({ opts: {}, file: { metadata: {} } }).map((c) => `${c.area}: ${c.name}`);

for (const variant of VARIANTS) {
  describe(`hostile inputs: JS API (${variant.name})`, () => {
    const ctx = { opts: variant.options };
    let reference;
    let referenceBytes;

    before(async () => {
      ctx.model = await LongShortTransformer.create({ ...SMALL, seed: 1, ...variant.options });
      ctx.bytes = await LongShortTransformer.create({ ...BYTE_CONFIG, seed: 2, ...variant.options });
      ctx.small = ctx.model.save();
      ctx.file = new SafetensorsFile(ctx.small);
      ctx.path = join(mkdtempSync(join(tmpdir(), 'lst-hostile-')), 'small.safetensors');
      writeFileSync(ctx.path, ctx.small);
      reference = ctx.model.forward(TOKENS).data;
      referenceBytes = ctx.bytes.forward(TOKENS).data;
    });
    after(() => {
      ctx.model.dispose();
      ctx.bytes.dispose();
    });

    let rows;
    NAMES.forEach((name, i) => {
      test(name, { timeout: 30_000 }, async () => {
        rows ??= cases(ctx);
        const c = rows[i];
        timings.push([`${variant.name} ${c.area}: ${c.name}`, await outcome(c)]);
        assertSameLogits(ctx.model.forward(TOKENS).data, reference, 'the model after the case');
        assertSameLogits(ctx.bytes.forward(TOKENS).data, referenceBytes, 'the byte-level model after the case');
      });
    });
  });
}

test('memory: the process grew by less than 500 MB over the suite', () => {
  const grown = (process.memoryUsage().rss - rssAtStart) / 1e6;
  const slowest = timings.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`);
  process.stdout.write(`# hostile api: ${timings.length} cases, RSS +${grown.toFixed(0)} MB; slowest: ${slowest.join('; ')}\n`);
  assert.ok(grown < 500, `RSS grew by ${grown.toFixed(0)} MB`);
});
