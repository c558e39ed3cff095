// Resuming a JS Trainer from its saved state (Trainer#saveState, Trainer#resume)
// is exact: N steps equal k steps, saveState(), a new trainer resumed from
// the bytes, and N - k more steps, bit for bit (losses, weights, Adam's state),
// in both wasm builds. A truncated, corrupted or foreign state throws an
// Error naming the problem, and the trainer goes on as if nothing happened.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LongShortTransformer, SafetensorsFile, Trainer } from '../../js/index.js';
import { VARIANTS } from './helpers.js';

const TINY = Object.freeze({
  num_tokens: 256, dim: 32, depth: 2, heads: 2, dim_head: 16, max_seq_len: 32, window_size: 8, segment_size: 8, r: 1,
});
const LINES = ['To be, or not to be, that is the question.', 'Whether tis nobler in the mind to suffer',
  'The slings and arrows of outrageous fortune,', 'Or to take arms against a sea of troubles'];
const TEXT = Array.from({ length: 80 }, (_, i) => LINES[(i * 7) % LINES.length]).join('\n');
// warmup and cosine: the schedule depends on the step count, which the state carries
const OPTIONS = Object.freeze({ data: TEXT, batch: 2, accum: 2, seq: 24, steps: 6, lr: 3e-3, warmup: 2, cosine: true, seed: 5 });
const N = 6;
const K = 2;

const sameBytes = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

for (const variant of VARIANTS) {
  test(`N steps == k steps + saveState + resume + N - k steps, bit for bit (${variant.name})`, async () => {
    const whole = await Trainer.create({ config: TINY, ...OPTIONS, ...variant.options });
    const first = await Trainer.create({ config: TINY, ...OPTIONS, ...variant.options });
    let resumed = null;
    try {
      const losses = [];
      for (let i = 0; i < N; i++) losses.push(whole.step().loss);
      for (let i = 0; i < K; i++) assert.equal(first.step().loss, losses[i]);
      const state = first.saveState();

      // The state is a safetensors file: the model's tensors (it loads as a
      // model, and as init, which gives the trainer its config), Adam's, and
      // what the run was.
      const file = new SafetensorsFile(state);
      assert.equal(file.metadata.kind, 'lst-trainer-state');
      assert.equal(file.metadata.step, String(K));
      assert.match(file.metadata.checksum, /^[0-9a-f]{16}$/);
      assert.equal(JSON.parse(file.metadata.train).lr, OPTIONS.lr);
      assert.ok(file.has('optim.exp_avg.token_emb.weight') && file.has('optim.exp_avg_sq.to_logits.1.bias'));
      assert.ok(sameBytes(file.get('token_emb.weight').data, new SafetensorsFile(first.save()).get('token_emb.weight').data));

      // A new trainer (from the state's weights, without a config), moved
      // one step so that the state has to replace everything, then resumed.
      resumed = await Trainer.create({ init: state, ...OPTIONS, ...variant.options });
      assert.deepEqual(resumed.config, first.config);
      resumed.step();
      assert.equal(resumed.resume(state), K);
      assert.equal(resumed.stepsDone, K);
      // the rest through run(): the events carry the continued step numbers
      const events = [];
      const r = await resumed.run({ valid_every: 0, sample_every: 0, progress_callback: (e) => { events.push(e); } });
      assert.equal(r.steps_run, N - K);
      assert.deepEqual(events.map((e) => e.step), Array.from({ length: N - K }, (_, i) => K + i + 1));
      assert.deepEqual(events.map((e) => e.loss), losses.slice(K));  // exactly equal numbers
      assert.ok(sameBytes(resumed.save(), whole.save()), 'weights differ');
      assert.ok(sameBytes(resumed.saveState(), whole.saveState()), 'Adam state or counters differ');
      assert.deepEqual(resumed.validate(), whole.validate());
      assert.equal(resumed.sample(16), whole.sample(16));
      console.log(`resume from JS (${variant.name}): ${N} steps == ${K} + saveState (${state.length} bytes) + resume + ${N - K}, ` +
        `losses ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    } finally {
      for (const t of [whole, first, resumed]) t?.dispose();
    }
  });
}

test('resume() from a truncated, corrupted or foreign state: a named Error, and the trainer stays usable', async () => {
  const trainer = await Trainer.create({ config: TINY, ...OPTIONS, threaded: false });
  const twin = await Trainer.create({ config: TINY, ...OPTIONS, threaded: false });   // what the trainer should do next
  const other = await Trainer.create({ config: { ...TINY, depth: 1 }, ...OPTIONS, threaded: false });
  try {
    trainer.step();
    twin.step();
    const good = trainer.saveState();
    trainer.step();
    twin.step();
    const before = trainer.saveState();

    const flip = (name) => {  // one bit in the middle of a tensor's data
      const headerLength = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
      const header = JSON.parse(Buffer.from(good.subarray(8, 8 + headerLength)).toString('utf8'));
      const [begin, end] = header[name].data_offsets;
      const bad = good.slice();
      bad[8 + headerLength + Math.floor((begin + end) / 2)] ^= 0x10;
      return bad;
    };
    const tampered = () => {
      const text = Buffer.from(good).toString('latin1').replace('"step":"1"', '"step":"3"');
      assert.notEqual(text, Buffer.from(good).toString('latin1'));
      return new Uint8Array(Buffer.from(text, 'latin1'));
    };
    const cases = [
      ['empty', new Uint8Array(0), /^resume: trainer state \(0 bytes\) is not a whole safetensors file/],
      ['truncated to half', good.subarray(0, good.length >> 1), /^resume: trainer state \(\d+ bytes\) is not a whole safetensors file/],
      ['one byte short', good.subarray(0, good.length - 1), /^resume: trainer state \(\d+ bytes\) is not a whole safetensors file/],
      ['garbage', new Uint8Array(4096).fill(7), /^resume: trainer state .* is not a whole safetensors file/],
      ['a bit flipped in a weight', flip('layers.0.0.fn.to_q.weight'), /^resume: trainer state is corrupted: its checksum is [0-9a-f]{16}, the file says [0-9a-f]{16}/],
      ['a bit flipped in Adam', flip('optim.exp_avg_sq.token_emb.weight'), /^resume: trainer state is corrupted/],
      ['the step counter changed', tampered(), /^resume: trainer state is corrupted/],
      ['a model file', trainer.save(), /^resume: trainer state: not a trainer state .* pass it as init/],
      ['another config', other.saveState(), /^resume: checkpoint config .* differs from the trainer's/],
    ];
    for (const [what, bytes, re] of cases) {
      assert.throws(() => trainer.resume(bytes), (e) => e instanceof Error && re.test(e.message), what);
      assert.equal(trainer.stepsDone, 2, what);
      assert.ok(sameBytes(trainer.saveState(), before), `${what}: the trainer changed`);
    }
    assert.throws(() => trainer.resume('state'), (e) => e instanceof TypeError && /^resume: state must be the Uint8Array of saveState\(\)/.test(e.message));
    assert.throws(() => trainer.resume(), TypeError);

    // still usable: the next step is the one it would have taken anyway
    assert.deepEqual(trainer.step(), twin.step());
    assert.ok(sameBytes(trainer.saveState(), twin.saveState()));
    // and the good state still resumes (an ArrayBuffer too), back to step 1
    assert.equal(trainer.resume(good.slice().buffer), 1);
    const again = await Trainer.create({ config: TINY, ...OPTIONS, threaded: false });
    try {
      again.step();
      assert.deepEqual(trainer.step(), again.step());
    } finally {
      again.dispose();
    }
    // not in the middle of run()
    let during = null;
    await trainer.run({ steps: 1, valid_every: 0, progress_callback: () => { try { trainer.resume(good); } catch (e) { during = e; } } });
    assert.match(String(during?.message), /^resume: this trainer is running/);
    // the state loads as a model too (its weights)
    const model = await LongShortTransformer.load(good, { threaded: false });
    assert.deepEqual(model.config, trainer.config);
    model.dispose();
  } finally {
    for (const t of [trainer, twin, other]) t.dispose();
  }
  assert.throws(() => trainer.resume(new Uint8Array(0)), /disposed/);
});
