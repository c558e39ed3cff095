// The relaxed-SIMD build (docs/RELAXED_SIMD.md): chosen at load where the
// engine runs it, forced either way by { simd }, named in runtime, and its
// logits within the documented bound of the SIMD128 build's. Plain `node
// --test` covers the engine without relaxed SIMD (Node 20's default); `npm
// run test:relaxed` reruns this file with it (--experimental-wasm-relaxed-simd
// --no-liftoff), and the browser tests run it in Chromium.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LongShortTransformer, SafetensorsFile } from '../../js/index.js';
import { relaxedSimdProblem, relaxedSimdSupported } from '../../js/runtime/choose-variant.js';
import { LOGITS_TOL, goldenCases, maxAbsDiff, readBytes } from './helpers.js';

// |relaxed - simd128| on any logit (docs/RELAXED_SIMD.md: measured 3e-6 on
// config A at n = 1024; the golden tolerance is 5e-5).
const RELAXED_BOUND = 1e-5;
const SMALL = { num_tokens: 64, dim: 40, depth: 2, heads: 2, dim_head: 20, max_seq_len: 64, window_size: 8, causal: true };

test('simd: bad values are named; the default is what the engine runs', async () => {
  await assert.rejects(LongShortTransformer.create({ ...SMALL, simd: 'avx' }), /simd must be 'relaxed', 'simd128' or undefined \(automatic\), got "avx"/);
  await assert.rejects(LongShortTransformer.create({ ...SMALL, simd: 1 }), /simd must be .*got 1/);
  const m = await LongShortTransformer.create({ ...SMALL, threaded: false });
  assert.equal(m.runtime.simd, relaxedSimdSupported() ? 'relaxed' : 'simd128');
  const forced = await LongShortTransformer.create({ ...SMALL, threaded: false, simd: 'simd128' });
  assert.equal(forced.runtime.simd, 'simd128');
  m.dispose();
  forced.dispose();
});

test('simd: relaxed where the engine cannot run it is a named error', { skip: relaxedSimdSupported() && 'this engine runs relaxed SIMD' }, async () => {
  assert.notEqual(relaxedSimdProblem(), '');
  await assert.rejects(LongShortTransformer.create({ ...SMALL, simd: 'relaxed' }),
    (e) => e instanceof Error && e.message.startsWith("simd: 'relaxed' cannot run here: ") && e.message.includes("use simd: 'simd128'"));
});

const skipRelaxed = !relaxedSimdSupported() && `relaxed SIMD not run here: ${relaxedSimdProblem()}`;

test('relaxed and SIMD128 builds: golden cases within 5e-5, within the bound of each other, int8 near', { skip: skipRelaxed }, async () => {
  const cases = goldenCases('forward');
  assert.ok(cases.length > 0);
  for (const threaded of [false, true]) {
    for (const c of cases) {
      const bytes = readBytes(c.path);
      const file = new SafetensorsFile(bytes);
      const tokens = file.get('input.tokens');
      const mask = file.has('input.mask') ? file.get('input.mask') : null;
      const logits = {};
      for (const simd of ['simd128', 'relaxed']) {
        const model = await LongShortTransformer.load(bytes, { threaded, threads: threaded ? 2 : 1, simd });
        assert.equal(model.runtime.simd, simd);
        logits[simd] = model.forward(tokens.data, { dims: tokens.dims, mask: mask?.data }).data;
        model.dispose();
      }
      const want = file.get('output.logits').data;
      const dr = maxAbsDiff(logits.relaxed, want), dd = maxAbsDiff(logits.relaxed, logits.simd128);
      console.log(`${c.name} ${threaded ? 'threaded' : 'single'}: relaxed vs golden ${dr.toExponential(2)}, vs simd128 ${dd.toExponential(2)}`);
      assert.ok(dr <= LOGITS_TOL, `${c.name}: relaxed vs golden ${dr}`);
      assert.ok(dd <= RELAXED_BOUND, `${c.name}: relaxed vs simd128 ${dd}`);
    }
  }
});

test('relaxed build: an int8 model (relaxed int8 dot product) agrees with SIMD128 and the FMA is really used', { skip: skipRelaxed }, async () => {
  const tokens = [Array.from({ length: 60 }, (_, i) => (i * 13 + 5) % 64)];
  const out = {};
  for (const simd of ['simd128', 'relaxed']) {
    const f32 = await LongShortTransformer.create({ ...SMALL, dim: 64, dim_head: 32, seed: 3, threaded: false, simd });
    const int8 = await LongShortTransformer.load(f32.save({ dtype: 'int8' }), { threaded: false, simd });
    out[simd] = { f32: f32.forward(tokens).data, int8: int8.forward(tokens).data };
    f32.dispose();
    int8.dispose();
  }
  // The FMA changes low bits of the f32 model: the relaxed build is not the SIMD128 one.
  assert.ok(maxAbsDiff(out.relaxed.f32, out.simd128.f32) > 0, 'relaxed and SIMD128 gave identical f32 logits');
  assert.ok(maxAbsDiff(out.relaxed.f32, out.simd128.f32) <= RELAXED_BOUND);
  // int8: the matrix products are exact integers in both; the activations between them
  // are f32 (fused or not), and a changed low bit can move an activation's int8 rounding.
  assert.ok(maxAbsDiff(out.relaxed.int8, out.simd128.int8) < 0.05, `int8 ${maxAbsDiff(out.relaxed.int8, out.simd128.int8)}`);
});
