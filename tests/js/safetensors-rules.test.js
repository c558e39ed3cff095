// The JS safetensors reader follows the engine's fuzzed rules: every file of
// the fuzz corpus that the C++ reader refuses (bad_*) the JS reader refuses
// too, every one it accepts (valid_*) it accepts; and the hostile cases found
// outside the project (negative, fractional and overlapping offsets, a
// non-object __metadata__, a dtype named like an Object property).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { readSafetensorsHeader } from '../../js/index.js';
import { ROOT } from './helpers.js';

const CORPUS = join(ROOT, 'fuzz/corpus/safetensors');

function file(header, dataBytes = 0) {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

test('the fuzz corpus: refused and accepted as the engine does', () => {
  const names = readdirSync(CORPUS);
  assert.ok(names.length >= 20);
  for (const name of names) {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, name)));
    if (name.startsWith('bad_')) assert.throws(() => readSafetensorsHeader(bytes), /safetensors/, name);
    else assert.doesNotThrow(() => readSafetensorsHeader(bytes), name);
  }
});

test('hostile headers are refused by name', () => {
  const t = (extra) => ({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...extra } });
  const cases = [
    [file(t({ data_offsets: [-8, 0] }), 8), /data_offsets \[-8,0\]/],
    [file(t({ data_offsets: [0.5, 8.5] }), 16), /data_offsets/],
    [file({ ...t(), b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlap/],
    [file({ __metadata__: 'x', ...t() }, 8), /__metadata__ is not an object of strings/],
    [file({ __metadata__: { config: { nested: 1 } }, ...t() }, 8), /__metadata__ is not an object of strings/],
    [file(t({ dtype: 'constructor' }), 8), /unknown dtype "constructor"/],
    [file({ a: [[[[1]]]] }), /nested more than 3 levels/],
  ];
  for (const [bytes, re] of cases) assert.throws(() => readSafetensorsHeader(bytes), re);
  const dup = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}');
  const bytes = new Uint8Array(8 + dup.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(dup.length), true);
  bytes.set(dup, 8);
  assert.throws(() => readSafetensorsHeader(bytes), /duplicate key "a"/);
  assert.equal(readSafetensorsHeader(file(t(), 8)).tensors.get('a').shape[0], 2);
});
