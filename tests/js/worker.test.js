// LongShortTransformerWorker: the model in a worker_threads Worker, same
// results as in-thread, errors come back as Errors, dispose stops it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LongShortTransformer, LongShortTransformerWorker, SafetensorsFile } from '../../js/index.js';
import { FIXTURES, LOGITS_TOL, SMALL, maxAbsDiff, readBytes } from './helpers.js';

test('golden case through the Worker, both builds; errors; save; dispose', async () => {
  const path = `${FIXTURES}/v2_nc_mask_pad_b2.safetensors`;
  const file = new SafetensorsFile(readBytes(path));
  const tokens = file.get('input.tokens');
  const mask = file.get('input.mask');
  for (const options of [{ threaded: false }, { threaded: true, threads: 2 }]) {
    const events = [];
    const m = await LongShortTransformerWorker.load(path, { ...options, progress_callback: (e) => events.push(e.status) });
    try {
      assert.deepEqual(events.at(-1), 'done');
      assert.equal(m.runtime.variant, options.threaded ? 'threaded' : 'single');
      const out = await m.forward(tokens.data, { dims: tokens.dims, mask: mask.data });
      assert.deepEqual(out.dims, file.get('output.logits').dims);
      assert.ok(maxAbsDiff(out.data, file.get('output.logits').data) <= LOGITS_TOL);
      await assert.rejects(m.forward([1, 2, 80]), /token id 80 at \[0, 2\] is out of range \[0, 80\)/);
      await assert.rejects(m.forward([[1], [1, 2]]), /rows have different lengths/);
      const saved = await m.save();
      const back = await LongShortTransformer.load(saved, { threaded: false });
      // Thread counts may differ (sums in another order): close, not bitwise.
      assert.ok(maxAbsDiff(back.forward([[1, 2, 3]]).data, (await m.forward([[1, 2, 3]])).data) < 1e-5);
      back.dispose();
    } finally {
      m.dispose();
    }
    assert.throws(() => m.config, /model was disposed/);
    await assert.rejects(m.forward([1]), /model was disposed/);
  }
  await assert.rejects(LongShortTransformerWorker.load(new Uint8Array(10)), /safetensors/);
  const c = await LongShortTransformerWorker.create({ ...SMALL, seed: 2, threaded: false });
  const local = await LongShortTransformer.create({ ...SMALL, seed: 2, threaded: false });
  assert.deepEqual((await c.forward([5, 6, 7])).data, local.forward([5, 6, 7]).data);
  c.dispose();
  local.dispose();
});
