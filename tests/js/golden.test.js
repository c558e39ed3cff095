// The golden forward cases (every `kind: forward` file in LST_GOLDEN_DIR,
// default tests/fixtures) through the JS API, with both wasm builds.
// Prints one line per case and build; fails above 5e-5.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LongShortTransformer, SafetensorsFile } from '../../js/index.js';
import { GOLDEN_DIR, LOGITS_TOL, VARIANTS, goldenCases, maxAbsDiff, readBytes } from './helpers.js';

const cases = goldenCases('forward');

// The bundled fixtures must hold forward cases; a user's LST_GOLDEN_DIR may
// hold other kinds only (checked natively by test:golden).
test('there are golden forward cases', { skip: process.env.LST_GOLDEN_DIR && cases.length === 0 &&
  `no forward cases in ${GOLDEN_DIR}` }, () => {
  assert.ok(cases.length > 0, `no forward cases in ${GOLDEN_DIR}`);
});

for (const variant of VARIANTS) {
  for (const c of cases) {
    test(`golden ${c.name} forward (${variant.name})`, async () => {
      const bytes = readBytes(c.path);
      const file = new SafetensorsFile(bytes);
      const model = await LongShortTransformer.load(bytes, variant.options);
      try {
        const tokens = file.get('input.tokens');
        const mask = file.has('input.mask') ? file.get('input.mask') : null;
        const expected = file.get('output.logits');
        const out = model.forward(tokens.data, { dims: tokens.dims, mask: mask?.data });
        assert.deepEqual(out.dims, expected.dims);
        const err = maxAbsDiff(out.data, expected.data);
        const ok = err <= LOGITS_TOL;
        console.log(`golden ${c.name.padEnd(22)} forward  js-${variant.name.padEnd(12)} max_abs_err ${err.toPrecision(3)}  ${ok ? 'ok' : 'FAIL'}`);
        assert.ok(ok, `${c.name}: max abs error ${err} > ${LOGITS_TOL}`);
      } finally {
        model.dispose();
      }
    });
  }
}
