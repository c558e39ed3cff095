// Quantised weights from JavaScript: save({ dtype: 'int8' }) and load() of
// the file through the engine's reader (matrices kept int8), the weights
// option converting on load, back to float32 for PyTorch, the golden inputs
// near their logits, and malformed files named.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { LongShortTransformer, SafetensorsFile } from '../../js/index.js';
import { VARIANTS, goldenCases, maxAbsDiff, readBytes } from './helpers.js';

const SMALL = { num_tokens: 64, dim: 40, depth: 2, heads: 2, dim_head: 20, max_seq_len: 64, window_size: 8, causal: true };
const tokens = [Array.from({ length: 40 }, (_, i) => (i * 13 + 5) % 64)];

for (const variant of VARIANTS) {
  test(`int8 and f16 models: save, load, runtime.weights, logits near f32 (${variant.name})`, async () => {
    const f32 = await LongShortTransformer.create({ ...SMALL, seed: 1, ...variant.options });
    assert.equal(f32.runtime.weights, 'f32');
    const want = f32.forward(tokens).data;
    const int8File = f32.save({ dtype: 'int8' });
    const st = new SafetensorsFile(int8File);
    assert.equal(st.metadata.weight_format, 'int8');
    assert.equal(st.get('layers.0.1.fn.net.0.weight').dtype, 'I8');
    assert.deepEqual(st.get('layers.0.1.fn.net.0.weight.qscale').dims, [160, 2]);
    assert.ok(int8File.length < f32.save().length / 2.5, `${int8File.length} bytes`);

    const int8 = await LongShortTransformer.load(int8File, variant.options);
    assert.equal(int8.runtime.weights, 'int8');
    const got = int8.forward(tokens).data;
    const d8 = maxAbsDiff(got, want);
    assert.ok(d8 > 0 && d8 < 0.05, `int8 vs f32 max abs ${d8}`);
    // The same file saved again is the same bytes; float32 is its dequantised values.
    assert.deepEqual(int8.save({ dtype: 'int8' }), int8File);
    const back = await LongShortTransformer.load(int8.save({ dtype: 'float32' }), variant.options);
    assert.equal(back.runtime.weights, 'f32');
    assert.equal(new SafetensorsFile(back.save()).names.filter((n) => n.endsWith('.qscale')).length, 0);

    // weights: converts on load / create; 'f32' widens an int8 file.
    const f16 = await LongShortTransformer.load(f32.save(), { ...variant.options, weights: 'f16' });
    assert.equal(f16.runtime.weights, 'f16');
    assert.ok(maxAbsDiff(f16.forward(tokens).data, want) < 5e-3);
    // An F16 file computes in f32 in WebAssembly unless f16 is asked for
    // (SIMD128 has no half conversion: f16 would be slower than f32).
    const f16File = f32.save({ dtype: 'float16' });
    assert.equal((await LongShortTransformer.load(f16File, variant.options)).runtime.weights, 'f32');
    assert.equal((await LongShortTransformer.load(f16File, { ...variant.options, weights: 'stored' })).runtime.weights, 'f32');
    assert.equal((await LongShortTransformer.load(f16File, { ...variant.options, weights: 'f16' })).runtime.weights, 'f16');
    const wide = await LongShortTransformer.load(int8File, { ...variant.options, weights: 'f32' });
    assert.equal(wide.runtime.weights, 'f32');
    assert.deepEqual(wide.forward(tokens).data, back.forward(tokens).data);
    const created = await LongShortTransformer.create({ ...SMALL, seed: 1, weights: 'int8', ...variant.options });
    assert.deepEqual(created.forward(tokens).data, got);

    await assert.rejects(LongShortTransformer.load(int8File, { ...variant.options, weights: 'int4' }),
      /weights must be f32, f16, int8 or stored, got "int4"/);
    assert.throws(() => f32.save({ dtype: 'q4' }), /dtype must be 'float32', 'float16' or 'int8', got 'q4'/);
    for (const m of [f32, int8, back, f16, wide, created]) m.dispose();
  });
}

test('a golden case in int8: logits near the reference, generation runs', async () => {
  const [c] = goldenCases('forward').filter((x) => x.name.includes('_c_'));
  const file = new SafetensorsFile(readBytes(c.path));
  const inputs = file.get('input.tokens');
  const golden = file.get('output.logits').data;
  const model = await LongShortTransformer.load(readBytes(c.path), { threaded: false, weights: 'int8' });
  assert.equal(model.runtime.weights, 'int8');
  const [b, n] = inputs.dims;
  const rows = Array.from({ length: b }, (_, i) => Array.from(inputs.data.slice(i * n, (i + 1) * n), Number));
  const d = maxAbsDiff(model.forward(rows).data, golden);
  console.log(`golden ${c.name} with int8 weights: max abs vs reference ${d.toExponential(2)}`);
  assert.ok(d > 1e-4 && d < 0.1, `${d}`);
  const { tokens: out } = await model.generate(rows[0].slice(0, 5), { max_new_tokens: 8, seed: 1 });
  assert.equal(out.length, 8);
  model.dispose();
});

test('malformed int8 files are named', async () => {
  const f32 = await LongShortTransformer.create({ ...SMALL, seed: 2, threaded: false });
  const file = new SafetensorsFile(f32.save({ dtype: 'int8' }));
  f32.dispose();
  // Rewrites the file without one tensor.
  const without = (drop) => {
    const header = {};
    const parts = [];
    let offset = 0;
    if (file.metadata) header.__metadata__ = file.metadata;
    for (const name of file.names) {
      if (name === drop) continue;
      const t = file.get(name);
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      header[name] = { dtype: t.dtype, shape: t.dims, data_offsets: [offset, offset + bytes.length] };
      parts.push(bytes);
      offset += bytes.length;
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + offset);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    let at = 8 + json.length;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const q = 'layers.1.0.fn.to_out.weight';
  assert.ok((await LongShortTransformer.load(without('nothing'), { threaded: false })).runtime.weights === 'int8');
  await assert.rejects(LongShortTransformer.load(without(`${q}.qscale`), { threaded: false }),
    new RegExp(`'${q}' is I8 but its scale tensor '${q}.qscale' is missing`));
});
