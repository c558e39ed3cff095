// Every bad input gives a JS Error naming the problem, and the model (and
// the module) keeps working afterwards. Both builds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LongShortTransformer, SafetensorsFile } from '../../js/index.js';
import { FIXTURES, SMALL, VARIANTS, readBytes, tensorsOf, writeSafetensors } from './helpers.js';

const FIXTURE = `${FIXTURES}/v4_c_pad.safetensors`;

for (const variant of VARIANTS) {
  describe(`bad inputs (${variant.name})`, () => {
    let model;
    let reference;
    const tokens = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];

    before(async () => {
      model = await LongShortTransformer.create({ ...SMALL, seed: 1, ...variant.options });
      reference = model.forward(tokens).data;
    });
    after(() => model.dispose());

    // After each bad call the same model must still give the same logits.
    function stillWorks() {
      assert.deepEqual(model.forward(tokens).data, reference);
    }
    function rejects(fn, pattern) {
      assert.throws(fn, (e) => {
        assert.ok(e instanceof Error, `expected an Error, got ${e}`);
        assert.match(e.message, pattern);
        return true;
      });
      stillWorks();
    }

    test('token id out of range', () => {
      rejects(() => model.forward([1, 2, 50]), /token id 50 at \[0, 2\] is out of range \[0, 50\)/);
      rejects(() => model.forward([[1, 2], [-1, 3]]), /token id -1 at \[1, 0\] is out of range/);
      rejects(() => model.forward(new Int32Array([0, 99])), /token id 99 at \[0, 1\]/);
      rejects(() => model.forward(new BigInt64Array([0n, 50n])), /token id 50 at \[0, 1\]/);
    });
    test('non-integer and NaN ids', () => {
      rejects(() => model.forward([1, 2.5]), /token id 2\.5 at \[0, 1\] is not an integer/);
      rejects(() => model.forward([NaN, 1]), /token id NaN at \[0, 0\] is not an integer/);
      rejects(() => model.forward(['1', 2]), /token id "1" at \[0, 0\] is not an integer/);
      rejects(() => model.forward(new Float32Array([1, Infinity])), /token id Infinity at \[0, 1\] is not an integer/);
    });
    test('wrong dims and shapes', () => {
      rejects(() => model.forward([]), /tokens is empty/);
      rejects(() => model.forward([[1, 2], [3]]), /rows have different lengths \(row 0 has 2, row 1 has 1\)/);
      rejects(() => model.forward(new Int32Array(6), { dims: [4, 2] }), /dims \[4, 2\] need 8 entries, got 6/);
      rejects(() => model.forward(new Int32Array(6), { dims: [2, 3, 1] }), /dims must be \[n\] or \[b, n\]/);
      rejects(() => model.forward(new Int32Array(6), { dims: [0, 6] }), /dims must be/);
      rejects(() => model.forward({ data: [1, 2, 3], dims: [2, 2] }), /need 4 entries, got 3/);
      rejects(() => model.forward(42), /tokens must be an array/);
      rejects(() => model.forward([1, [2]]), /mixes numbers and arrays/);
      rejects(() => model.forward([[]]), /dims must be/);
    });
    test('mask of the wrong length or values', () => {
      rejects(() => model.forward([1, 2, 3], { mask: [true, false] }), /mask has 2 entries but tokens have shape \[1, 3\]/);
      rejects(() => model.forward(tokens, { mask: [[1, 1, 1, 1, 1]] }), /mask has shape \[1, 5\] but tokens have shape \[2, 5\]/);
      rejects(() => model.forward([1, 2], { mask: [1, 2] }), /mask value 2 at \[0, 1\] is not a boolean or 0\/1/);
      rejects(() => model.forward([1, 2], { mask: [true, 'yes'] }), /mask value "yes"/);
      rejects(() => model.forward([1, 2], { mask: new Uint8Array(3) }), /mask has 3 entries/);
    });
    test('unknown forward option', () => {
      rejects(() => model.forward([1], { masks: [1] }), /unknown option 'masks'/);
    });
    test('bad save dtype', () => {
      rejects(() => model.save({ dtype: 'int4' }), /dtype must be 'float32', 'float16' or 'int8', got 'int4'/);
      rejects(() => model.save({ dtype: 16 }), /dtype must be 'float32', 'float16' or 'int8', got 16/);
    });

    test('truncated weight file', async () => {
      const bytes = readBytes(FIXTURE);
      for (const cut of [0, 5, 100, bytes.length >> 1, bytes.length - 1]) {
        await assert.rejects(LongShortTransformer.load(bytes.subarray(0, cut), variant.options),
          (e) => e instanceof Error && /empty|safetensors|header|past the end|outside|truncated|bytes/i.test(e.message));
      }
      stillWorks();
    });
    test('garbage weight files', async () => {
      let seed = 7;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      const garbage = Uint8Array.from({ length: 4096 }, rand);
      await assert.rejects(LongShortTransformer.load(garbage, variant.options), /safetensors/);
      const badJson = writeSafetensors({}, null);
      badJson.set(new TextEncoder().encode('{"a":'), 8);
      await assert.rejects(LongShortTransformer.load(badJson, variant.options), /safetensors|JSON/i);
      await assert.rejects(LongShortTransformer.load(writeSafetensors({}, null), variant.options),
        /no model config/);
      stillWorks();
    });
    test('missing tensor', async () => {
      const file = new SafetensorsFile(readBytes(FIXTURE));
      const bytes = writeSafetensors(tensorsOf(file, { drop: ['layers.1.1.fn.net.3.weight'] }), file.metadata);
      await assert.rejects(LongShortTransformer.load(bytes, variant.options), /layers\.1\.1\.fn\.net\.3\.weight/);
      stillWorks();
    });
    test('wrong config', async () => {
      const bytes = readBytes(FIXTURE);
      const config = JSON.parse(new SafetensorsFile(bytes).metadata.config);
      // A config that does not match the file's tensors: names the tensor and shapes.
      await assert.rejects(LongShortTransformer.load(bytes, { ...variant.options, config: { ...config, dim: 48 } }),
        /token_emb|shape/);
      await assert.rejects(LongShortTransformer.load(bytes, { ...variant.options, config: { ...config, dimm: 3 } }),
        /unknown key 'dimm'/);
      await assert.rejects(LongShortTransformer.create({ ...SMALL, r: 4, ...variant.options }),
        /causal mode needs r < segment_size/);
      await assert.rejects(LongShortTransformer.create({ ...SMALL, heads: 0, ...variant.options }),
        /heads must be >= 1/);
      await assert.rejects(LongShortTransformer.create({ ...SMALL, dim: 2.5, ...variant.options }),
        /'dim' must be an integer/);
      await assert.rejects(LongShortTransformer.create({ num_tokens: 10, ...variant.options }),
        /missing required key 'dim'/);
      await assert.rejects(LongShortTransformer.create({ ...SMALL, ...variant.options, backend: 'cuda' }),
        /cuda/);
      await assert.rejects(LongShortTransformer.create({ ...SMALL, ...variant.options, seed: -1 }),
        /seed must be a non-negative integer/);
      // Too big for wasm32: refused before allocating (no size_t wrap-around).
      await assert.rejects(LongShortTransformer.create({ ...SMALL, ...variant.options, num_tokens: 1 << 24, dim: 1024 }),
        /num_tokens x dim = 17179869184 weights in one matrix, more than 2\^31/);
      await assert.rejects(LongShortTransformer.create({ ...SMALL, ...variant.options, num_tokens: 1 << 20, dim: 1024 }),
        /needs [\d.]+ GB .*more than the 4 GB WebAssembly heap/);
      stillWorks();
    });
    test('a re-entrant call from a token getter is refused; the model stays intact', () => {
      // The getter runs while the outer forward writes its tokens into the heap.
      const evil = [1, 2, 3, 4, 5];
      Object.defineProperty(evil, 2, { get: () => { model.forward([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]); return 3; } });
      rejects(() => model.forward(evil), /re-entrant call: this model is already inside a call/);
    });
    test('checkFinite names the first non-finite logit', async () => {
      // Weights at 3e38 overflow float32 in the first matmul.
      const bytes = readBytes(FIXTURE);
      const file = new SafetensorsFile(bytes);
      const tensors = tensorsOf(file);
      for (const t of Object.values(tensors)) if (t.dtype === 'F32') t.data.fill(3e38);
      const huge = await LongShortTransformer.load(writeSafetensors(tensors, file.metadata), variant.options);
      try {
        const ids = [1, 2, 3];
        const plain = huge.forward(ids);  // off by default: the caller gets the raw logits
        assert.ok(plain.data.some((x) => !Number.isFinite(x)));
        assert.throws(() => huge.forward(ids, { checkFinite: true }),
          /forward: logit \[0, 0, 0\] is (NaN|-?Infinity) \(not finite/);
        await assert.rejects(huge.generate(ids, { max_new_tokens: 2 }), /not finite/);
      } finally {
        huge.dispose();
      }
      stillWorks();
    });
    test('wrong load sources and options', async () => {
      await assert.rejects(LongShortTransformer.load('/nonexistent/x.safetensors', variant.options),
        /could not read '\/nonexistent\/x\.safetensors': no such file/);
      await assert.rejects(LongShortTransformer.load(42, variant.options), /load\(\) takes a URL/);
      await assert.rejects(LongShortTransformer.load(FIXTURE, { ...variant.options, thread: 2 }), /unknown option 'thread'/);
      stillWorks();
    });
  });
}

test('dispose from inside a call frees the model when the call returns', async () => {
  const model = await LongShortTransformer.create({ ...SMALL, seed: 3 });
  const ids = [1, 2, 3];
  Object.defineProperty(ids, 1, { get: () => { model.dispose(); return 2; } });
  // The getter runs while the input is read: before the engine call (then the
  // call refuses by name) or inside it (then it completes first). Never an
  // Embind BindingError on a deleted object.
  try {
    assert.equal(model.forward(ids).data.length, 3 * SMALL.num_tokens);
  } catch (e) {
    assert.match(e.message, /model was disposed/);
  }
  assert.equal(model.disposed, true);
  assert.throws(() => model.forward([1]), /model was disposed/);
});

test('use after dispose', async () => {
  for (const variant of VARIANTS) {
    const model = await LongShortTransformer.create({ ...SMALL, ...variant.options });
    model.dispose();
    model.dispose();  // idempotent
    assert.equal(model.disposed, true);
    assert.throws(() => model.forward([1, 2]), /model was disposed/);
    assert.throws(() => model.save(), /model was disposed/);
    assert.throws(() => model.config, /model was disposed/);
    assert.throws(() => model.numParameters, /model was disposed/);
    // The build still serves new models.
    const again = await LongShortTransformer.create({ ...SMALL, ...variant.options });
    assert.equal(again.forward([1, 2]).dims[2], SMALL.num_tokens);
    again.dispose();
  }
});

test('bad thread options', async () => {
  await assert.rejects(LongShortTransformer.create({ ...SMALL, threads: 0 }), /threads must be an integer in \[1, \d+\] \(at most 4x/);
  await assert.rejects(LongShortTransformer.create({ ...SMALL, threads: 256 }), /threads must be an integer in \[1, \d+\]/);
  await assert.rejects(LongShortTransformer.create({ ...SMALL, threads: 1.5 }), /threads must be an integer/);
  await assert.rejects(LongShortTransformer.create({ ...SMALL, threaded: false, threads: 2 }), /single-threaded build runs 1 thread/);
  await assert.rejects(LongShortTransformer.create({ ...SMALL, threaded: 'yes' }), /threaded must be true, false/);
});
