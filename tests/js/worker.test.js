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

test('generation in the Worker: same tokens as in-thread, streamed steps, abort', async () => {
  const opts = { ...SMALL, num_tokens: 256, seed: 3, threaded: false };
  const w = await LongShortTransformerWorker.create(opts);
  const local = await LongShortTransformer.create(opts);
  try {
    const want = await local.generate('Hello', { max_new_tokens: 40, seed: 9 });
    const steps = [];
    const got = await w.generate('Hello', { max_new_tokens: 40, seed: 9, callback: (s) => steps.push(s) });
    assert.deepEqual(got.tokens, want.tokens);
    assert.equal(got.text, want.text);
    assert.deepEqual(steps.map((s) => s.token), want.tokens);
    const streamed = [];
    for await (const s of w.stream('Hello', { max_new_tokens: 10, seed: 9, attention: { layer: 0, head: 1 } })) streamed.push(s);
    assert.deepEqual(streamed.map((s) => s.token), want.tokens.slice(0, 10));
    assert.ok(streamed.at(-1).attention.probs instanceof Float32Array);
    const ac = new AbortController();
    const r = await w.generate('Hello', { max_new_tokens: 1000, signal: ac.signal, callback: (s) => { if (s.index === 4) ac.abort(); } });
    assert.equal(r.finish_reason, 'abort');
    assert.ok(r.tokens.length < 1000);
    await assert.rejects(w.generate('Hello', { top_p: 3 }), /top_p must be in/);
    assert.equal((await w.generate([1, 2], { max_new_tokens: 3 })).tokens.length, 3);
  } finally {
    w.dispose();
    local.dispose();
  }
});
