// Shared helpers of the Node suite: fixtures, golden cases, a tiny
// safetensors writer for hand-made bad files.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SafetensorsFile } from '../../js/index.js';
import { relaxedSimdSupported } from '../../js/runtime/choose-variant.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'tests/fixtures');
export const GOLDEN_DIR = process.env.LST_GOLDEN_DIR ? resolve(process.env.LST_GOLDEN_DIR) : FIXTURES;
export const LOGITS_TOL = 5e-5;  // tests/fixtures/GOLDEN_README.md

/** Both builds, as load()/create() options. */
// Both builds with SIMD128; and with relaxed SIMD too where this engine runs
// it (Node 20 with --experimental-wasm-relaxed-simd --no-liftoff, as
// `npm run test:relaxed` starts it; docs/RELAXED_SIMD.md).
export const VARIANTS = [
  { name: 'single', options: { threaded: false, simd: 'simd128' } },
  { name: 'threaded-2T', options: { threaded: true, threads: 2, simd: 'simd128' } },
  ...(relaxedSimdSupported() ? [
    { name: 'single-relaxed', options: { threaded: false, simd: 'relaxed' } },
    { name: 'threaded-relaxed-2T', options: { threaded: true, threads: 2, simd: 'relaxed' } },
  ] : []),
];

export function readBytes(path) {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Every `*.safetensors` in `dir` whose `__metadata__.kind` is `kind`. */
export function goldenCases(kind, dir = GOLDEN_DIR) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => ({ name: f.replace(/\.safetensors$/, ''), path: join(dir, f) }))
    .filter((c) => new SafetensorsFile(readBytes(c.path)).metadata.kind === kind);
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates as NaN
  }
  return m;
}

/** A safetensors file from { name: { dtype, shape, data: TypedArray } }. */
export function writeSafetensors(tensors, metadata) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const parts = [];
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const bytes of parts) {
    out.set(bytes, p);
    p += bytes.length;
  }
  return out;
}

/** The tensors of a parsed file as writeSafetensors() input (optionally without some). */
export function tensorsOf(file, { drop = [] } = {}) {
  const out = {};
  for (const name of file.names) {
    if (drop.includes(name)) continue;
    const t = file.get(name);
    out[name] = { dtype: t.dtype === 'BOOL' ? 'BOOL' : t.dtype, shape: t.dims, data: t.data };
  }
  return out;
}

/** A small config for fast tests. */
export const SMALL = Object.freeze({
  num_tokens: 50, dim: 32, depth: 2, max_seq_len: 64, heads: 2, dim_head: 16, window_size: 8, causal: true,
  segment_size: 4, r: 1,
});
