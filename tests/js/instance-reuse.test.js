// A freed model's (or trainer's) WebAssembly instance is kept and handed to
// the next load of the same build and thread count (js/runtime/instantiate.js):
// the results are the same as in a fresh instance, load/dispose cycles do
// not pile up instances, and an instance that trapped is never reused.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LongShortTransformer, Trainer } from '../../js/index.js';
import { VARIANTS } from './helpers.js';

const A = { num_tokens: 64, dim: 40, depth: 2, heads: 2, dim_head: 20, max_seq_len: 64, window_size: 8, causal: true };
const B = { ...A, dim: 48, dim_head: 24, depth: 3 };
const tokens = [Array.from({ length: 50 }, (_, i) => (i * 11 + 3) % 64)];

for (const variant of VARIANTS) {
  test(`a freed instance is reused, with the same results as a fresh one (${variant.name})`, async () => {
    // B in a fresh instance (A is alive, so B cannot take A's).
    const a = await LongShortTransformer.create({ ...A, seed: 1, ...variant.options });
    const fresh = await LongShortTransformer.create({ ...B, seed: 2, ...variant.options });
    assert.notEqual(fresh._state.Module, a._state.Module);
    const want = fresh.forward(tokens).data;
    const aLogits = a.forward(tokens).data;
    fresh.dispose();
    a.dispose();
    // The next load of the same kind gets one of the freed instances (one is kept per kind).
    const b = await LongShortTransformer.create({ ...B, seed: 2, ...variant.options });
    const kept = b._state.Module;
    assert.deepEqual(b.forward(tokens).data, want, 'B in a reused instance differs from B in a fresh one');
    b.dispose();
    // And back: A again in the same instance, bit for bit as before.
    const a2 = await LongShortTransformer.create({ ...A, seed: 1, ...variant.options });
    assert.equal(a2._state.Module, kept);
    assert.deepEqual(a2.forward(tokens).data, aLogits);
    a2.dispose();
  });
}

test('an instance that trapped is not reused; another thread count is another instance', async () => {
  const m = await LongShortTransformer.create({ ...A, threaded: false });
  const crashed = m._state.Module;
  m._state.crashed = true;  // as _call() marks it after a WebAssembly.RuntimeError
  m.dispose();
  const n = await LongShortTransformer.create({ ...A, threaded: false });
  assert.notEqual(n._state.Module, crashed);
  n.dispose();
  const t2 = await LongShortTransformer.create({ ...A, threaded: true, threads: 2 });
  const two = t2._state.Module;
  t2.dispose();
  const t3 = await LongShortTransformer.create({ ...A, threaded: true, threads: 3 });
  assert.notEqual(t3._state.Module, two);
  assert.equal(t3.runtime.threads, 3);
  t3.dispose();
});

test('a trainer and a model take turns in one instance; 100 load/dispose cycles keep one', async () => {
  const trainer = await Trainer.create({ config: { ...A, num_tokens: 256 }, data: 'abcdefgh '.repeat(300), seq: 16, batch: 2, accum: 1, steps: 2,
    threaded: false, seed: 4 });
  const tModule = trainer._state.Module;
  trainer.step();
  trainer.step();
  assert.equal(trainer.stepsDone, 2);
  trainer.dispose();
  const modules = new Set();
  for (let i = 0; i < 100; i++) {
    const m = await LongShortTransformer.create({ ...A, seed: i, threaded: false });
    modules.add(m._state.Module);
    m.forward([[1, 2, 3]]);
    m.dispose();
  }
  assert.equal(modules.size, 1, `${modules.size} instances for 100 sequential models`);
  assert.ok(modules.has(tModule), 'the trainer\'s instance was not reused');
});
